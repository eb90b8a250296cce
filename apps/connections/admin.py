from datetime import timedelta
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from apps.connections.forms import ConnectionAdminForm
from apps.connections.hygiene import purge_connection_data
from apps.connections.models import ApiToken, Connection, Project
from apps.connections.services import issue_token, revoke_token
from apps.ingest.selectors import delivery_counts
from apps.integrations.catalog import SIGNED_KINDS, examples_for


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "time_zone", "incident_link_window"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


class ApiTokenInline(admin.TabularInline):
    model = ApiToken
    extra = 0
    can_delete = False
    fields = ["prefix", "name", "created", "expires_at", "revoked_at", "last_used_at"]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Connection)
class ConnectionAdmin(admin.ModelAdmin):
    form = ConnectionAdminForm
    list_display = ["name", "id", "project", "kind", "is_active", "signed"]
    list_filter = ["kind", "is_active", "project"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [ApiTokenInline]
    actions = ["issue_new_token", "purge_data"]
    readonly_fields = ["inbox_last_24h", "setup_examples"]

    def get_fields(self, request: HttpRequest, obj: Connection | None = None) -> list[str]:
        fields = [
            "name",
            "slug",
            "project",
            "kind",
            "is_active",
            "settings",
            "new_signing_secret",
            "clear_signing_secret",
        ]
        return fields if obj is None else [*fields, "inbox_last_24h", "setup_examples"]

    @admin.display(description="Inbox, last 24 hours")
    def inbox_last_24h(self, obj: Connection) -> str:
        counts = delivery_counts(connection_id=obj.pk, since=timezone.now() - timedelta(hours=24))
        url = reverse("admin:ingest_delivery_changelist") + f"?connection__id__exact={obj.pk}"
        return format_html(
            '<a href="{}">{} accepted · {} duplicate · {} rejected</a>',
            url,
            counts.get("accepted", 0),
            counts.get("duplicate", 0),
            counts.get("rejected", 0),
        )

    @admin.display(description="Ready-to-paste examples")
    def setup_examples(self, obj: Connection) -> str:
        request = getattr(self, "_request", None)
        base_url = request.build_absolute_uri("/").rstrip("/") if request else ""
        snippets = format_html_join(
            "",
            "<p><b>{}</b></p><pre style='white-space:pre-wrap'>{}</pre>",
            examples_for(connection=obj, base_url=base_url),
        )
        note = format_html(
            "<p>Export <code>DORAHUB_TOKEN</code> (a token of this connection){}.</p>",
            " and <code>DORAHUB_SECRET</code> (its signing secret)"
            if obj.kind in SIGNED_KINDS
            else "",
        )
        return format_html("{}{}", note, snippets)

    def change_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        self._request = request  # the examples use the real host the admin is served on
        return super().change_view(request, *args, **kwargs)

    @admin.display(boolean=True, description="signing secret")
    def signed(self, obj: Connection) -> bool:
        return obj.has_signing_secret

    @admin.action(description="Delete all data these connections sent (keeps the connections)")
    def purge_data(self, request: HttpRequest, queryset: QuerySet[Connection]) -> None:
        for connection in queryset:
            deleted = purge_connection_data(connection=connection)
            self.message_user(
                request, f"{connection.name}: deleted {sum(deleted.values())} rows {deleted}."
            )

    @admin.action(description="Issue a new API token (shown once)")
    def issue_new_token(self, request: HttpRequest, queryset: QuerySet[Connection]) -> None:
        for connection in queryset:
            issued = issue_token(connection=connection, name="admin")
            messages.warning(
                request,
                format_html(
                    "New token for <b>{}</b>: <code>{}</code> — copy it now, it is not stored "
                    "and will not be shown again.",
                    connection.name,
                    issued.plaintext,
                ),
            )


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["prefix", "name", "connection", "created", "expires_at", "revoked_at"]
    list_filter = ["connection", "revoked_at"]
    search_fields = ["prefix", "name", "connection__name"]
    readonly_fields = ["prefix", "created", "revoked_at", "last_used_at"]
    actions = ["revoke"]

    def get_fields(self, request: HttpRequest, obj: ApiToken | None = None) -> list[str]:
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
