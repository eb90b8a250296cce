"""Brute-force protection for the admin and dashboard login forms.

Failed attempts are counted per (client address, username) in the cache; after
LOGIN_MAX_FAILURES within LOGIN_LOCKOUT_SECONDS the form refuses to check passwords at all.

The username is counted as the login form reads it (NFKC, surrounding whitespace stripped) and
case-folded, so `" admin"` and `"Admin"` share `admin`'s counter. The client address is the
one the outermost of `DORAHUB_TRUSTED_PROXIES` proxies saw (`X-Forwarded-For`): behind the TLS
proxy the README prescribes, `REMOTE_ADDR` is the proxy's for everyone."""

import hashlib
import ipaddress
import unicodedata
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.cache import cache

from apps.core.errors import Code

LOGIN_MAX_FAILURES = 5
LOGIN_LOCKOUT_SECONDS = 15 * 60


def normalized_username(username: str) -> str:
    return unicodedata.normalize("NFKC", username).strip().casefold()


def client_address(request: Any) -> str:
    """The caller's address: `REMOTE_ADDR`, or with N trusted proxies in front, the N-th
    `X-Forwarded-For` entry from the right (each proxy appends the address it saw; entries
    further left are the client's to invent)."""
    if request is None:
        return ""
    remote = str(request.META.get("REMOTE_ADDR", ""))
    proxies = int(getattr(settings, "DORAHUB_TRUSTED_PROXIES", 0))
    if proxies <= 0:
        return remote
    forwarded = [
        part.strip()
        for part in str(request.META.get("HTTP_X_FORWARDED_FOR", "")).split(",")
        if part.strip()
    ]
    if not forwarded:
        return remote
    candidate = forwarded[-proxies] if len(forwarded) >= proxies else forwarded[0]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote


def _key(request: Any, username: str) -> str:
    material = f"{client_address(request)}|{normalized_username(username)}"
    digest = hashlib.sha256(material.encode()).hexdigest()[:32]
    return f"login-failures:{digest}"


class ThrottledLoginMixin(AuthenticationForm):
    def clean(self) -> dict[str, Any]:
        key = _key(self.request, str(self.data.get("username", "")))
        if cache.get(key, 0) >= LOGIN_MAX_FAILURES:
            raise forms.ValidationError(
                "Too many failed login attempts. Try again in 15 minutes.", code=Code.THROTTLED
            )
        try:
            return super().clean()
        except forms.ValidationError:
            cache.add(key, 0, timeout=LOGIN_LOCKOUT_SECONDS)
            cache.incr(key)
            raise


class ThrottledAuthenticationForm(ThrottledLoginMixin, AuthenticationForm):
    pass


class ThrottledAdminAuthenticationForm(ThrottledLoginMixin, AdminAuthenticationForm):
    pass
