import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from apps.connections import tokens
from apps.connections.connection_settings import validate_settings
from apps.connections.models import ApiToken, Connection, ConnectionKind, Project
from apps.core.errors import Code, Unauthenticated


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    plaintext: str  # shown once, never stored


def get_or_create_project(*, slug: str, name: str | None = None, time_zone: str = "UTC") -> Project:
    project, _ = Project.objects.get_or_create(
        slug=slugify(slug), defaults={"name": name or slug, "time_zone": time_zone}
    )
    return project


def issue_token(
    *, connection: Connection, name: str = "default", expires_at: datetime | None = None
) -> IssuedToken:
    for _ in range(5):  # a prefix collision is astronomically rare; retry rather than fail
        plaintext = tokens.generate()
        try:
            with transaction.atomic():
                token = ApiToken.objects.create(
                    connection=connection,
                    name=name,
                    prefix=tokens.lookup_prefix(plaintext),
                    digest=tokens.digest(plaintext),
                    expires_at=expires_at,
                )
        except IntegrityError:
            continue
        return IssuedToken(token=token, plaintext=plaintext)
    raise RuntimeError("could not generate a unique token prefix")


def revoke_token(*, token: ApiToken) -> None:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    forget_cached_tokens()  # the other processes forget it within DORAHUB_TOKEN_CACHE_SECONDS


@transaction.atomic
def create_connection(
    *,
    project: Project,
    name: str,
    kind: str,
    secret: str = "",
    connection_settings: dict[str, Any] | None = None,
    token_name: str = "default",  # noqa: S107 - a label, not a secret
) -> tuple[Connection, IssuedToken]:
    if kind not in ConnectionKind.values:
        raise ValueError(
            f"Unknown kind {kind!r}; choose one of {', '.join(ConnectionKind.values)}."
        )
    connection = Connection(
        project=project,
        name=name,
        slug=slugify(name)[:100],
        kind=kind,
        settings=validate_settings(connection_settings or {}),
    )
    connection.set_signing_secret(secret)
    connection.save()
    return connection, issue_token(connection=connection, name=token_name)


def authenticate_token(*, plaintext: str) -> ApiToken:
    """Resolve a presented token to a usable ApiToken or raise Unauthenticated."""
    if not tokens.looks_valid(plaintext):
        raise Unauthenticated("Malformed API token.", code=Code.INVALID_TOKEN)
    token = _token_with_prefix(tokens.lookup_prefix(plaintext))
    matched = tokens.matching_key(plaintext, token.digest) if token is not None else None
    if token is None or matched is None:
        # Compare anyway so timing does not tell a wrong prefix from a wrong secret.
        tokens.matches(plaintext, "0" * 64)
        raise Unauthenticated("Unknown API token.", code=Code.INVALID_TOKEN)
    if matched > 0:
        # Made with a previous hash key: store it under the current one, so the old key can
        # be dropped once every token has been used.
        token.digest = tokens.digest(plaintext)
        ApiToken.objects.filter(pk=token.pk).update(digest=token.digest)
    if token.revoked_at is not None:
        raise Unauthenticated("This API token has been revoked.", code=Code.TOKEN_REVOKED)
    if token.expires_at is not None and token.expires_at <= timezone.now():
        raise Unauthenticated("This API token has expired.", code=Code.TOKEN_EXPIRED)
    if not token.connection.is_active:
        raise Unauthenticated("This connection is disabled.", code=Code.CONNECTION_INACTIVE)
    touch_token(token=token)
    return token


# prefix -> (monotonic deadline, token with its connection and project). Per process, so each
# web worker looks a token up at most once per DORAHUB_TOKEN_CACHE_SECONDS; the checks above
# (digest, revoked, expired, connection active) run on every request against that copy.
_recent_tokens: dict[str, tuple[float, ApiToken]] = {}
_RECENT_TOKENS_MAX = 10_000


def _token_with_prefix(prefix: str) -> ApiToken | None:
    ttl = settings.DORAHUB_TOKEN_CACHE_SECONDS
    now = time.monotonic()
    if ttl > 0 and (hit := _recent_tokens.get(prefix)) is not None and hit[0] > now:
        return hit[1]
    token = ApiToken.objects.select_related("connection__project").filter(prefix=prefix).first()
    # Only tokens that exist are kept: unknown prefixes are the caller's to invent.
    if ttl > 0 and token is not None:
        if len(_recent_tokens) >= _RECENT_TOKENS_MAX:
            _recent_tokens.clear()
        _recent_tokens[prefix] = (now + ttl, token)
    return token


def forget_cached_tokens() -> None:
    """Drop this process's cached tokens (tests; a revoke in this process)."""
    _recent_tokens.clear()


def touch_token(*, token: ApiToken, now: datetime | None = None) -> bool:
    """Record use at most once per DORAHUB_TOKEN_TOUCH_SECONDS; return True when written."""
    now = now or timezone.now()
    interval = timedelta(seconds=settings.DORAHUB_TOKEN_TOUCH_SECONDS)
    if token.last_used_at is not None and now - token.last_used_at < interval:
        return False
    # The condition in the UPDATE keeps concurrent requests from all writing.
    stale = ApiToken.objects.filter(pk=token.pk).exclude(last_used_at__gt=now - interval)
    written = stale.update(last_used_at=now) > 0
    token.last_used_at = now
    return written
