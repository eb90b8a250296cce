"""How a receiver's sender proves who it is: each receiver declares one strategy.

* `ConnectionToken`: the URL names the connection (id or name); the API token must be its own.
* `TokenNamesConnection`: the URL names no connection; the API token says which one it is.
* `Signature`: the URL names the connection; the body carries an HMAC signature made with the
  connection's signing secret.

Each strategy checks the credential before it says anything about a connection, so a caller
without a valid one cannot tell a connection that exists from one that does not: a token route
answers 401 for any connection, 403 (wrong_connection) for any connection but the token's own; a
signature route answers an unknown connection as it answers a wrong signature.

Each also declares how it appears in the OpenAPI schema (`security()`), so that Swagger's
"Try it out" sends the credential where the route reads it.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from apps.connections.authentication import ApiTokenAuthentication, extract_token
from apps.connections.models import ApiToken, Connection
from apps.connections.services import authenticate_token
from apps.core.errors import Code, Forbidden, Missing, Unauthenticated
from apps.core.signatures import hmac_sha256_hex, signatures_match


@dataclass(frozen=True)
class Authenticated:
    connection: Connection
    # The token that authenticated the sender; None when the body's signature did.
    token: ApiToken | None = None


@dataclass(frozen=True)
class SecurityScheme:
    """An OpenAPI security scheme: `name` in `components.securitySchemes`."""

    name: str
    definition: dict[str, Any]
    # What drf-spectacular knows the component by: the read API's token authentication for
    # the bearer scheme they share, so both describe one component.
    identity: Any = None


BEARER = SecurityScheme(
    "ApiToken",
    {
        "type": "http",
        "scheme": "bearer",
        "description": "A connection's API token (`dh_...`). `Token <t>` and `X-Api-Key` are "
        "accepted too.",
    },
    identity=ApiTokenAuthentication,
)
API_KEY_HEADER = SecurityScheme(
    "ApiKeyHeader",
    {
        "type": "apiKey",
        "in": "header",
        "name": "X-Api-Key",
        "description": "A connection's API token.",
    },
)
API_KEY_QUERY = SecurityScheme(
    "ApiKeyQuery",
    {
        "type": "apiKey",
        "in": "query",
        "name": "api_key",
        "description": "A connection's API token.",
    },
)
TOKEN_SCHEMES = (BEARER, API_KEY_HEADER, API_KEY_QUERY)

# Alternatives, each a set of schemes that must all be sent together (OpenAPI's shape).
Security = list[tuple[SecurityScheme, ...]]


def connection_in_url(params: Mapping[str, Any]) -> Connection | None:
    """The connection the URL names, or None when there is none by that id or name."""
    queryset = Connection.objects.select_related("project")
    if "connection_id" in params:
        return queryset.filter(pk=params["connection_id"]).first()
    if "connection_name" in params:
        return queryset.filter(name=params["connection_name"]).first()
    return None


def _url_names(params: Mapping[str, Any], connection: Connection) -> bool:
    if "connection_id" in params:
        return str(params["connection_id"]) == str(connection.pk)
    if "connection_name" in params:
        return str(params["connection_name"]) == connection.name
    return False


def _presented_token(headers: Mapping[str, str], query: Mapping[str, str], hint: str) -> ApiToken:
    plaintext = extract_token(headers, query)
    if plaintext is None:
        raise Unauthenticated(f"Authentication required: {hint}.", code=Code.NOT_AUTHENTICATED)
    return authenticate_token(plaintext=plaintext)


def _token_presented(headers: Mapping[str, str], query: Mapping[str, str]) -> bool:
    try:
        return extract_token(headers, query) is not None
    except Unauthenticated:
        return True  # presented, malformed: the token check says so


class Authentication:
    def authenticate(
        self,
        *,
        params: Mapping[str, Any],
        headers: Mapping[str, str],
        query: Mapping[str, str],
        body: bytes,
    ) -> Authenticated:
        raise NotImplementedError

    def security(self) -> Security:
        raise NotImplementedError


@dataclass(frozen=True)
class ConnectionToken(Authentication):
    """The connection's own API token, for the connection the URL names."""

    hint: str = "send 'Authorization: Bearer <token>'"

    def authenticate(
        self,
        *,
        params: Mapping[str, Any],
        headers: Mapping[str, str],
        query: Mapping[str, str],
        body: bytes,
    ) -> Authenticated:
        token = _presented_token(headers, query, self.hint)
        # Compared with the URL, never looked up: a token learns nothing of other connections.
        if not _url_names(params, token.connection):
            raise Forbidden("This token belongs to another connection.", code=Code.WRONG_CONNECTION)
        return Authenticated(connection=token.connection, token=token)

    def security(self) -> Security:
        return [(scheme,) for scheme in TOKEN_SCHEMES]


@dataclass(frozen=True)
class TokenNamesConnection(Authentication):
    """An API token, which names the connection (no connection in the URL). `then` is a
    further check the route still makes (a signed sender's signature)."""

    hint: str = "send 'Authorization: Bearer <token>'"
    then: "Signature | None" = None

    def authenticate(
        self,
        *,
        params: Mapping[str, Any],
        headers: Mapping[str, str],
        query: Mapping[str, str],
        body: bytes,
    ) -> Authenticated:
        token = _presented_token(headers, query, self.hint)
        if self.then is not None:
            self.then.verify(headers=headers, body=body, connection=token.connection, token=token)
        return Authenticated(connection=token.connection, token=token)

    def security(self) -> Security:
        plain: Security = [(scheme,) for scheme in TOKEN_SCHEMES]
        if self.then is None:
            return plain
        signed: Security = [(scheme, self.then.scheme) for scheme in TOKEN_SCHEMES]
        return signed + plain if self.then.token_without_secret else signed


@dataclass(frozen=True)
class Signature(Authentication):
    """`header` carries `sign(secret, body)`, made with the connection's signing secret.

    `unsigned` says what the connection's `allow_unsigned` setting may waive: "never",
    "without_secret" (a connection without a secret takes unsigned deliveries) or "always"
    (deliveries without the header, secret or not). A connection without a secret takes its
    API token instead when `token_without_secret`. A wrong signature is always refused.
    Senders whose signature covers more than the body, or who send several, subclass and
    override `presented`, `refuse_early` and `matches`."""

    header: str
    sign: Callable[[str, bytes], str]
    setup: str  # where the sender is given the secret, for the refusal's message
    normalise: Callable[[str], str] = str.strip
    token_without_secret: bool = False
    unsigned: Literal["never", "without_secret", "always"] = "without_secret"
    # What the header holds, for the schema.
    what: str = "The HMAC-SHA256 signature of the raw body with the connection's signing secret"

    @property
    def scheme(self) -> SecurityScheme:
        return SecurityScheme(
            self.header.replace("-", ""),
            {
                "type": "apiKey",
                "in": "header",
                "name": self.header,
                "description": f"{self.what} ({self.setup}).",
            },
        )

    def authenticate(
        self,
        *,
        params: Mapping[str, Any],
        headers: Mapping[str, str],
        query: Mapping[str, str],
        body: bytes,
    ) -> Authenticated:
        if self.token_without_secret and _token_presented(headers, query):
            # The token is checked first, like on any token route; then the signature too when
            # the connection has a secret.
            who = ConnectionToken().authenticate(
                params=params, headers=headers, query=query, body=body
            )
            self.verify(headers=headers, body=body, connection=who.connection, token=who.token)
            return who
        connection = connection_in_url(params)
        self.verify(headers=headers, body=body, connection=connection, token=None)
        assert connection is not None  # verify refuses an unknown connection
        return Authenticated(connection=connection)

    def verify(
        self,
        *,
        headers: Mapping[str, str],
        body: bytes,
        connection: Connection | None,
        token: ApiToken | None,
    ) -> None:
        """Refuse unless the body is signed with `connection`'s secret or the connection takes
        this delivery unsigned. An unknown connection (None) is refused as a wrong signature."""
        presented = self.presented(headers)
        secret = connection.get_signing_secret() if connection is not None else ""
        allows_unsigned = (
            self.unsigned != "never"
            and connection is not None
            and connection.setting("allow_unsigned")
        )
        token_instead = token is not None and self.token_without_secret and not secret
        if not presented:
            if token_instead or (allows_unsigned and (self.unsigned == "always" or not secret)):
                return self._active(connection)
            raise Unauthenticated(
                f"Missing {self.header}: sign the body with the connection's secret "
                f"({self.setup}); a connection with no signing secret has none to check.",
                code=Code.SIGNATURE_MISSING,
            )
        if not secret and (token_instead or allows_unsigned):
            return self._active(connection)
        self.refuse_early(headers)
        # Compared even without a secret, so an unknown connection costs what a known one does.
        matched = self.matches(
            secret=secret or "no secret", body=body, headers=headers, presented=presented
        )
        if not matched or not secret:
            raise Unauthenticated(
                f"{self.header} does not match the body signed with the connection's secret "
                f"(or the connection has no signing secret: {self.setup}).",
                code=Code.SIGNATURE_INVALID,
            )
        self._active(connection)

    def presented(self, headers: Mapping[str, str]) -> str:
        return self.normalise(headers.get(self.header) or "")

    def refuse_early(self, headers: Mapping[str, str]) -> None:
        """Further refusals before the comparison (a signed timestamp out of tolerance)."""

    def matches(
        self, *, secret: str, body: bytes, headers: Mapping[str, str], presented: str
    ) -> bool:
        return signatures_match(expected=self.sign(secret, body), presented=presented)

    @staticmethod
    def _active(connection: Connection | None) -> None:
        if connection is None or not connection.is_active:
            raise Unauthenticated("This connection is disabled.", code=Code.CONNECTION_INACTIVE)

    def security(self) -> Security:
        signed: Security = [(self.scheme,)]
        if self.token_without_secret:
            signed += [(scheme,) for scheme in TOKEN_SCHEMES]
        return signed


def hmac_hex(secret: str, body: bytes) -> str:
    return hmac_sha256_hex(secret=secret, body=body)


def replayed_connection(params: Mapping[str, Any]) -> Connection:
    """A replayed delivery's connection: it was authenticated when it first arrived."""
    connection = connection_in_url(params)
    if connection is None:
        raise Missing("The delivery's connection no longer exists.")
    return connection
