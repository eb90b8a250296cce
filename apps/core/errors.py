"""The one vocabulary of error codes, and the application errors that carry them.

Every `{"error": {"code": ...}}` the API answers with is a member of `Code`; a new code is added
here first. Services, commands and tasks raise the `ApplicationError` subclasses below, which say
what went wrong in the application's words; `apps.core.exceptions` alone maps them to HTTP.
"""

from enum import StrEnum
from typing import Any


class Code(StrEnum):
    # the request itself
    VALIDATION_ERROR = "validation_error"
    MALFORMED_JSON = "malformed_json"
    PARSE_ERROR = "parse_error"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    PAYLOAD_TOO_LARGE = "payload_too_large"
    LENGTH_REQUIRED = "length_required"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    NOT_ACCEPTABLE = "not_acceptable"
    # who is asking
    NOT_AUTHENTICATED = "not_authenticated"
    AUTHENTICATION_FAILED = "authentication_failed"
    INVALID_HEADER = "invalid_header"
    INVALID_TOKEN = "invalid_token"
    TOKEN_REVOKED = "token_revoked"
    TOKEN_EXPIRED = "token_expired"
    CONNECTION_INACTIVE = "connection_inactive"
    SIGNATURE_MISSING = "signature_missing"
    SIGNATURE_INVALID = "signature_invalid"
    TIMESTAMP_OUT_OF_TOLERANCE = "timestamp_out_of_tolerance"
    # what they may touch
    PERMISSION_DENIED = "permission_denied"
    WRONG_CONNECTION = "wrong_connection"
    WRONG_PROJECT = "wrong_project"
    # what they asked for
    NOT_FOUND = "not_found"
    UNKNOWN_PROVIDER = "unknown_provider"
    CONFLICT = "conflict"
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
    # the installation
    THROTTLED = "throttled"
    SERVICE_UNAVAILABLE = "service_unavailable"
    SERVER_ERROR = "server_error"


class ApplicationError(Exception):
    """A refusal the caller can act on: a code of the vocabulary and a sentence for a person."""

    default_code: Code = Code.VALIDATION_ERROR

    def __init__(self, message: str, *, code: Code | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code


class InvalidInput(ApplicationError):
    """The input breaks a rule; `fields` names each offending field with its problems."""

    default_code = Code.VALIDATION_ERROR

    def __init__(
        self,
        message: str = "Invalid input.",
        *,
        fields: dict[str, list[str]] | None = None,
        code: Code | None = None,
    ) -> None:
        super().__init__(message, code=code)
        self.fields = fields


class Unauthenticated(ApplicationError):
    """The caller did not prove who it is (no, a dead or a wrong credential)."""

    default_code = Code.NOT_AUTHENTICATED


class Forbidden(ApplicationError):
    """The caller is known but may not touch this (another connection's or project's data)."""

    default_code = Code.PERMISSION_DENIED


class Missing(ApplicationError):
    """What the caller named does not exist (or is not theirs to see)."""

    default_code = Code.NOT_FOUND


class Conflict(ApplicationError):
    default_code = Code.CONFLICT


class Unprocessable(ApplicationError):
    """Well-formed, but it contradicts what the caller said before (a reused idempotency key)."""

    default_code = Code.VALIDATION_ERROR


class LengthRequired(ApplicationError):
    """A chunked body this server cannot read (its WSGI server does not de-chunk)."""

    default_code = Code.LENGTH_REQUIRED


class TooLarge(ApplicationError):
    default_code = Code.PAYLOAD_TOO_LARGE


class RateLimited(ApplicationError):
    default_code = Code.THROTTLED

    def __init__(self, message: str, *, wait: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.wait = wait


class Unavailable(ApplicationError):
    """A part the application depends on (the database) is down; retrying later may work."""

    default_code = Code.SERVICE_UNAVAILABLE
