from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from rest_framework import authentication
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from apps.connections.models import ApiToken
from apps.connections.services import authenticate_token
from apps.core.errors import Code, Unauthenticated

_SCHEMES = ("bearer", "token")


def extract_token(headers: Mapping[str, str], query: Mapping[str, str] | None = None) -> str | None:
    """The presented token from `Authorization: Bearer|Token`, `X-Api-Key` or `?api_key=`."""
    header = headers.get("Authorization") or headers.get("authorization")
    if header:
        scheme, _, value = header.strip().partition(" ")
        if scheme.lower() not in _SCHEMES or not value.strip():
            raise Unauthenticated(
                "Malformed Authorization header; use 'Bearer <token>'.", code=Code.INVALID_HEADER
            )
        return value.strip()
    api_key = headers.get("X-Api-Key") or headers.get("x-api-key")
    if api_key:
        return api_key.strip()
    if query and query.get("api_key"):
        return query["api_key"].strip()
    return None


@dataclass(frozen=True)
class ApiClient:
    """The `request.user` of a machine client: authenticated, never staff."""

    token: ApiToken
    is_authenticated: bool = True
    is_anonymous: bool = False
    is_staff: bool = False
    is_superuser: bool = False
    is_active: bool = True

    @property
    def pk(self) -> int:
        return -self.token.pk

    def __str__(self) -> str:
        return f"token {self.token.prefix}"


class ApiTokenAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[ApiClient, ApiToken] | None:
        try:
            plaintext = extract_token(request.headers, request.query_params)
            if plaintext is None:
                return None
            token = authenticate_token(plaintext=plaintext)
        except Unauthenticated as exc:
            # DRF's own exception, so that DRF adds the WWW-Authenticate challenge.
            raise AuthenticationFailed(exc.message, code=exc.code) from None
        return ApiClient(token=token), token

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="dorahub"'


def token_project_id(request: Any) -> int | None:
    """The project a token-authenticated request is limited to (None for people)."""
    auth = getattr(request, "auth", None)
    if isinstance(auth, ApiToken):
        return auth.connection.project_id
    return None
