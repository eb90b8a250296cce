"""The one error shape of the API, produced by one exception handler.

{"error": {"code": "<machine_code>", "message": "<human sentence>", "fields": {...}}}

The codes are `apps.core.errors.Code`. The application's own errors (`apps.core.errors`) are
mapped to HTTP here and only here; DRF's exceptions (raised by serializers and views) too.
"""

import logging
from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import Http404, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from apps.core import errors
from apps.core.errors import Code

logger = logging.getLogger(__name__)


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "Request body is larger than the limit."
    default_code = Code.PAYLOAD_TOO_LARGE.value


class ServiceUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The database is unavailable; retry later."
    default_code = Code.SERVICE_UNAVAILABLE.value


def vocabulary_code(code: str) -> str:
    """`code` as a member of the vocabulary; an unlisted one is a defect, logged loudly."""
    if code in Code.__members__.values():
        return Code(code).value
    logger.error("error code %r is not in apps.core.errors.Code", code)
    return code


def error_body(code: str, message: str, fields: dict[str, Any] | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": vocabulary_code(code), "message": message}
    if fields is not None:
        error["fields"] = fields
    return {"error": error}


def _flatten_fields(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """Turn DRF's nested ValidationError detail into {"a.b[0].c": ["problem"]}."""
    out: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = "body" if key == "non_field_errors" and not prefix else str(key)
            if key == "non_field_errors" and prefix:
                name = prefix
            elif prefix and (isinstance(key, int) or str(key).isdigit()):
                name = f"{prefix}[{key}]"
            elif prefix:
                name = f"{prefix}.{key}"
            for sub_key, problems in _flatten_fields(value, name).items():
                out.setdefault(sub_key, []).extend(problems)
    elif isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            out[prefix or "body"] = [str(item) for item in detail]
        else:
            for index, item in enumerate(detail):
                if item in ({}, []):
                    continue
                for sub_key, problems in _flatten_fields(item, f"{prefix}[{index}]").items():
                    out.setdefault(sub_key, []).extend(problems)
    else:
        out[prefix or "body"] = [str(detail)]
    return out


def _validation_message(fields: dict[str, list[str]]) -> str:
    first_field, problems = next(iter(fields.items()))
    more = f" (and {len(fields) - 1} more)" if len(fields) > 1 else ""
    return f"Invalid input: {first_field}: {problems[0]}{more}"


# Most specific first: the HTTP status of each kind of application error.
_STATUS_OF: tuple[tuple[type[errors.ApplicationError], int], ...] = (
    (errors.InvalidInput, status.HTTP_400_BAD_REQUEST),
    (errors.Unauthenticated, status.HTTP_401_UNAUTHORIZED),
    (errors.Forbidden, status.HTTP_403_FORBIDDEN),
    (errors.Missing, status.HTTP_404_NOT_FOUND),
    (errors.Conflict, status.HTTP_409_CONFLICT),
    (errors.Unprocessable, status.HTTP_422_UNPROCESSABLE_ENTITY),
    (errors.LengthRequired, status.HTTP_411_LENGTH_REQUIRED),
    (errors.TooLarge, status.HTTP_413_REQUEST_ENTITY_TOO_LARGE),
    (errors.RateLimited, status.HTTP_429_TOO_MANY_REQUESTS),
    (errors.Unavailable, status.HTTP_503_SERVICE_UNAVAILABLE),
)


def application_error_to_response(exc: errors.ApplicationError) -> Response:
    status_code = next(
        (code for kind, code in _STATUS_OF if isinstance(exc, kind)), status.HTTP_400_BAD_REQUEST
    )
    headers: dict[str, str] = {}
    if isinstance(exc, errors.RateLimited) and exc.wait:
        headers["Retry-After"] = str(int(exc.wait))
    if isinstance(exc, errors.InvalidInput) and exc.fields:
        fields = _flatten_fields(exc.fields)
        body = error_body(exc.code, _validation_message(fields), fields)
    else:
        body = error_body(exc.code, exc.message)
    return Response(body, status=status_code, headers=headers)


def exception_to_response(exc: Exception) -> Response | None:
    """Map an exception to a response in the error shape; None for unexpected errors."""
    if isinstance(exc, errors.ApplicationError):
        return application_error_to_response(exc)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) or "Not found.")
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge()
    elif isinstance(exc, OperationalError | InterfaceError):
        logger.warning("database unavailable: %s", exc)
        exc = ServiceUnavailable()
    elif isinstance(exc, DatabaseError):
        return None

    if not isinstance(exc, exceptions.APIException):
        return None

    headers: dict[str, str] = {}
    # Only some APIException subclasses carry these (NotAuthenticated answers, Throttled).
    auth_header = getattr(exc, "auth_header", None)
    if auth_header:
        headers["WWW-Authenticate"] = auth_header
    wait = getattr(exc, "wait", None)
    if wait:
        headers["Retry-After"] = str(int(wait))

    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten_fields(exc.detail)
        body = error_body(Code.VALIDATION_ERROR, _validation_message(fields), fields)
    else:
        detail = exc.detail
        if isinstance(detail, list | dict):
            message = "; ".join(f"{v}" for v in _flatten_fields(detail).values())
        else:
            message = str(detail)
        code = getattr(detail, "code", None) or exc.default_code
        if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
            code = exc.default_code if code in ("invalid", "error") else code
        body = error_body(str(code), message)
    return Response(body, status=exc.status_code, headers=headers)


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    response = exception_to_response(exc)
    if response is not None:
        set_rollback()
    return response


def json_404(request: Any, exception: Exception | None = None) -> JsonResponse:
    return JsonResponse(error_body(Code.NOT_FOUND, "No such route."), status=404)


def json_500(request: Any) -> JsonResponse:
    return JsonResponse(
        error_body(Code.SERVER_ERROR, "An unexpected error occurred; it has been logged."),
        status=500,
    )


_API_PREFIXES = ("/api/", "/v1/", "/webhook/", "/healthz")


def handler404(request: Any, exception: Exception | None = None) -> Any:
    if request.path.startswith(_API_PREFIXES):
        return json_404(request, exception)
    from django.views.defaults import page_not_found

    return page_not_found(request, exception)


def handler500(request: Any) -> Any:
    if request.path.startswith(_API_PREFIXES):
        return json_500(request)
    from django.views.defaults import server_error

    return server_error(request)
