"""API tokens in the admin: the token table on a connection's page, and the token list.

Neither writes a token itself: issuing and revoking go through `apps.connections.services`, so
a token's digest is made in one place and its plaintext is shown exactly once."""

from typing import TYPE_CHECKING, Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.forms import BaseInlineFormSet
from django.http import HttpRequest
from django.utils.html import format_html

from apps.connections.forms import TokenInlineForm
from apps.connections.models import ApiToken
from apps.connections.services import issue_token, revoke_token

if TYPE_CHECKING:
    from django.contrib.admin.options import _FieldGroups


class TokenFormSet(BaseInlineFormSet):
    """Writes nothing itself: `ConnectionAdmin.save_formset` issues and revokes through the
    services, so a token's digest is made in one place."""


class ApiTokenInline(admin.TabularInline):
    model = ApiToken
    form = TokenInlineForm
    formset = TokenFormSet
    extra = 1
    can_delete = False
    fields = [
        "name",
        "expires_in",
        "prefix",
        "created",
        "expires_at",
        "last_used_at",
        "revoked_at",
        "revoke",
    ]
    readonly_fields = ["prefix", "created", "expires_at", "last_used_at", "revoked_at"]
    verbose_name = "API token"
    verbose_name_plural = (
        "API tokens: name a new one in the empty row (it is shown once, on the next page); "
        "tick 'revoke' to revoke one"
    )


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["prefix", "name", "connection", "created", "expires_at", "revoked_at"]
    list_filter = ["connection", "revoked_at"]
    search_fields = ["prefix", "name", "connection__name"]
    readonly_fields = ["prefix", "created", "revoked_at", "last_used_at"]
    actions = ["revoke"]

    def get_fields(self, request: HttpRequest, obj: ApiToken | None = None) -> "_FieldGroups":
        if obj is None:
            return ["connection", "name", "expires_at"]
        return [
            "connection",
            "name",
            "prefix",
            "created",
            "expires_at",
            "revoked_at",
            "last_used_at",
        ]

    def get_readonly_fields(self, request: HttpRequest, obj: ApiToken | None = None) -> list[str]:
        if obj is None:
            return []
        return ["connection", *self.readonly_fields]

    def save_model(self, request: HttpRequest, obj: ApiToken, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        issued = issue_token(connection=obj.connection, name=obj.name, expires_at=obj.expires_at)
        # Hand the saved row back to the admin so its log and redirect point at it.
        obj.__dict__.update({k: v for k, v in issued.token.__dict__.items() if k != "_state"})
        obj._state.adding = False
        obj._state.db = issued.token._state.db
        messages.warning(
            request,
            format_html(
                "Token: <code>{}</code> — copy it now; it is not stored and is never shown again.",
                issued.plaintext,
            ),
        )

    @admin.action(description="Revoke selected tokens")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        for token in queryset:
            revoke_token(token=token)
        self.message_user(request, f"Revoked {queryset.count()} token(s).")
