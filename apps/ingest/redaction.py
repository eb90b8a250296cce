"""What the inbox keeps of a request's credentials: nothing. Known secret headers and query
keys are replaced whole; a token under any other name (`?apikey=`, `X-Auth-Token`,
`Private-Token`) is still recognised by its shape, as the logs already do."""

from collections.abc import Mapping

from apps.core.logging import redact as redact_text

REDACTED = "[REDACTED]"
SECRET_HEADERS = {
    "authorization",
    "x-api-key",
    "cookie",
    "proxy-authorization",
    "x-hub-signature",
    "x-hub-signature-256",
    "x-cirrus-signature",
    "x-gitlab-token",
}
SECRET_QUERY_KEYS = {"api_key", "token", "access_token", "key"}


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {
        name: (REDACTED if name.lower() in SECRET_HEADERS else redact_text(value))
        for name, value in headers.items()
    }


def redact_query(query: Mapping[str, str]) -> dict[str, str]:
    return {
        name: (REDACTED if name.lower() in SECRET_QUERY_KEYS else redact_text(value))
        for name, value in query.items()
    }


__all__ = ["REDACTED", "redact_headers", "redact_query", "redact_text"]
