from collections.abc import Mapping

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
        name: (REDACTED if name.lower() in SECRET_HEADERS else value)
        for name, value in headers.items()
    }


def redact_query(query: Mapping[str, str]) -> dict[str, str]:
    return {
        name: (REDACTED if name.lower() in SECRET_QUERY_KEYS else value)
        for name, value in query.items()
    }
