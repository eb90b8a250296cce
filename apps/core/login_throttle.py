"""Brute-force protection for the admin and dashboard login forms.

Failed attempts are counted per (client address, username) in the cache; after
LOGIN_MAX_FAILURES within LOGIN_LOCKOUT_SECONDS the form refuses to check passwords at all."""

import hashlib
from typing import Any

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.cache import cache

from apps.core.errors import Code

LOGIN_MAX_FAILURES = 5
LOGIN_LOCKOUT_SECONDS = 15 * 60


def _key(request: Any, username: str) -> str:
    address = request.META.get("REMOTE_ADDR", "") if request is not None else ""
    digest = hashlib.sha256(f"{address}|{username.lower()}".encode()).hexdigest()[:32]
    return f"login-failures:{digest}"


class ThrottledLoginMixin:
    request: Any
    data: Any

    def clean(self) -> dict[str, Any]:
        key = _key(self.request, str(self.data.get("username", "")))
        if cache.get(key, 0) >= LOGIN_MAX_FAILURES:
            raise forms.ValidationError(
                "Too many failed login attempts. Try again in 15 minutes.", code=Code.THROTTLED
            )
        try:
            return super().clean()  # type: ignore[misc]
        except forms.ValidationError:
            cache.add(key, 0, timeout=LOGIN_LOCKOUT_SECONDS)
            cache.incr(key)
            raise


class ThrottledAuthenticationForm(ThrottledLoginMixin, AuthenticationForm):
    pass


class ThrottledAdminAuthenticationForm(ThrottledLoginMixin, AdminAuthenticationForm):
    pass
