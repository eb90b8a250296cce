"""Projects, connections and tokens in the admin: a connection works from its page alone.

Creating a connection issues its first token; tokens are issued (named, with an expiry) and
revoked from the connection's token table. A token's plaintext goes to the next page only,
encrypted in the session and removed on first display, so it is shown exactly once."""

from typing import TYPE_CHECKING, Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from apps.connections.forms import (
    ConnectionAdminForm,
    ProjectAdminForm,
    connection_form_for,
)
from apps.connections.models import ApiToken, Connection, Project
from apps.connections.services import IssuedToken, issue_token, revoke_token
from apps.core import encryption
from apps.core.tasks import enqueue_on_commit
from apps.integrations.catalog import offered_kinds
from apps.integrations.panels import (
    delivery_panel_context,
    first_delivery_state,
    history_context,
    setup_context,
)
from apps.integrations.test_delivery import send_test_delivery
from apps.operations.services import purge_connection_data
from apps.operations.tasks import rederive
from apps.operations.token_admin import ApiTokenInline

if TYPE_CHECKING:
    pass

SHOWN_ONCE_KEY = "dorahub_tokens_to_show"
FIRST_TOKEN_NAME = "first token"


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    form = ProjectAdminForm
    list_display = ["name", "slug", "time_zone", "link_window"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}

    def save_model(self, request: HttpRequest, obj: Project, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if change and "incident_link_window" in form.changed_data:
            enqueue_on_commit(rederive, obj.pk)
            self.message_user(
                request,
                "Incident links are being decided again with the new window; "
                "the figures follow within a minute.",
            )

    @admin.display(description="incident link window", ordering="incident_link_window")
    def link_window(self, obj: Project) -> str:
        hours = int(obj.incident_link_window.total_seconds() // 3600)
        return f"{hours // 24} days" if hours % 24 == 0 else f"{hours} hours"


@admin.register(Connection)
class ConnectionAdmin(admin.ModelAdmin):
    form = ConnectionAdminForm
    list_display = ["name", "id", "project", "kind", "is_active", "signed"]
    list_filter = ["kind", "is_active", "project"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [ApiTokenInline]
    actions = ["issue_new_token", "purge_data"]
    readonly_fields = ["new_tokens", "first_delivery", "setup_examples", "history"]

    class Media:
        js = ["js/delivery-panel.js"]
        css = {"all": ["css/admin-connection.css"]}

    # --- the form: the kind decides the settings fields ---------------------------------
    def _kind(self, request: HttpRequest, obj: Connection | None) -> str | None:
        if obj is not None:
            return obj.kind
        return request.POST.get("kind") or request.GET.get("kind") or None

    def get_form(
        self, request: HttpRequest, obj: Connection | None = None, change: bool = False, **kwargs
    ) -> Any:
        kwargs["form"] = connection_form_for(self._kind(request, obj), kind_choices=offered_kinds())
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fieldsets(self, request: HttpRequest, obj: Connection | None = None) -> list[Any]:
        kind = self._kind(request, obj)
        form_class = connection_form_for(kind, kind_choices=offered_kinds())
        settings_fields = [f"setting_{name}" for name in form_class.setting_names]
        fieldsets: list[Any] = []
        if obj is not None:
            if self._tokens_to_show(request, obj, peek=True):
                fieldsets.append(("New token", {"fields": ["new_tokens"]}))
            fieldsets.append(("Deliveries", {"fields": ["first_delivery"]}))
        fieldsets.append((None, {"fields": ["name", "slug", "project", "kind", "is_active"]}))
        if settings_fields:
            label = dict(offered_kinds()).get(kind or "", kind)
            fieldsets.append((f"Settings for {label}", {"fields": settings_fields}))
        elif obj is None:
            fieldsets.append(
                (
                    "Settings",
                    {
                        "fields": [],
                        "description": "The settings of the chosen kind appear after saving; "
                        "the first API token is issued and shown on the next page.",
                    },
                )
            )
        fieldsets.append(
            ("Signing secret", {"fields": ["new_signing_secret", "clear_signing_secret"]})
        )
        if obj is not None:
            fieldsets.append(("Send your first delivery", {"fields": ["setup_examples"]}))
            fieldsets.append(("History on day one", {"fields": ["history"]}))
        return fieldsets

    def get_object(self, request: HttpRequest, object_id: str, from_field: Any = None) -> Any:
        obj = super().get_object(request, object_id, from_field)
        if obj is not None:
            # Read-only panels render with the request's host and the tokens to show once.
            obj._admin_request = request
        return obj

    # --- tokens: issued through the services, shown once ---------------------------------
    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        connection = form.instance
        if not change and not connection.tokens.exists():
            self._remember(
                request, connection, [issue_token(connection=connection, name=FIRST_TOKEN_NAME)]
            )

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        if formset.model is not ApiToken:
            super().save_formset(request, form, formset, change)
            return
        issued: list[IssuedToken] = []
        revoked: list[tuple[ApiToken, list[str]]] = []
        for token_form in formset.forms:
            if not token_form.has_changed():
                continue
            token = token_form.instance
            if token.pk is None:
                issued.append(
                    issue_token(
                        connection=form.instance,
                        name=token_form.cleaned_data.get("name") or "default",
                        expires_at=token_form.expires_at(),
                    )
                )
            elif token_form.cleaned_data.get("revoke") and token.revoked_at is None:
                revoke_token(token=token)
                revoked.append((token, ["revoked_at"]))
        # What Django's change message and LogEntry read from a saved formset.
        formset.new_objects = [item.token for item in issued]
        formset.changed_objects = revoked
        formset.deleted_objects = []
        self._remember(request, form.instance, issued)

    def _remember(
        self, request: HttpRequest, connection: Connection, issued: list[IssuedToken]
    ) -> None:
        if not issued:
            return
        pending = request.session.get(SHOWN_ONCE_KEY, {})
        pending.setdefault(str(connection.pk), []).extend(
            {"name": item.token.name, "secret": encryption.encrypt(item.plaintext)}
            for item in issued
        )
        request.session[SHOWN_ONCE_KEY] = pending
        request._dorahub_issued = True  # type: ignore[attr-defined]

    def _tokens_to_show(
        self, request: HttpRequest, connection: Connection, *, peek: bool = False
    ) -> list[dict[str, str]]:
        """The plaintexts issued on the previous request; reading them (not peeking) removes
        them from the session, so a reload shows them no more."""
        cached = getattr(request, "_dorahub_shown", None)
        if cached is not None:
            return cached
        pending = request.session.get(SHOWN_ONCE_KEY, {})
        entries = pending.get(str(connection.pk), [])
        if peek or not entries:
            return [{"name": e["name"], "plaintext": ""} for e in entries]
        del pending[str(connection.pk)]
        request.session[SHOWN_ONCE_KEY] = pending
        shown = [{"name": e["name"], "plaintext": encryption.decrypt(e["secret"])} for e in entries]
        request._dorahub_shown = shown  # type: ignore[attr-defined]
        return shown

    def response_add(self, request: HttpRequest, obj: Connection, post_url_continue: Any = None):
        if "_popup" in request.POST or "_addanother" in request.POST:
            return super().response_add(request, obj, post_url_continue)
        self.message_user(request, f"Connection {obj.name} created.", messages.SUCCESS)
        return HttpResponseRedirect(self._change_url(obj))

    def response_change(self, request: HttpRequest, obj: Connection) -> HttpResponse:
        if getattr(request, "_dorahub_issued", False):
            self.message_user(request, "Token issued: copy it from this page now.")
            return HttpResponseRedirect(self._change_url(obj))
        return super().response_change(request, obj)

    @staticmethod
    def _change_url(obj: Connection) -> str:
        return reverse("admin:connections_connection_change", args=[obj.pk])

    # --- read-only panels ------------------------------------------------------------------
    @staticmethod
    def _request(obj: Connection) -> HttpRequest | None:
        return getattr(obj, "_admin_request", None)

    def _base_url(self, obj: Connection) -> str:
        request = self._request(obj)
        return request.build_absolute_uri("/").rstrip("/") if request else ""

    def _first_plaintext(self, obj: Connection) -> str:
        request = self._request(obj)
        shown = self._tokens_to_show(request, obj) if request else []
        return shown[0]["plaintext"] if shown else ""

    @admin.display(description="Copy it now")
    def new_tokens(self, obj: Connection) -> str:
        request = self._request(obj)
        shown = self._tokens_to_show(request, obj) if request else []
        return render_to_string("admin/connections/_new_tokens.html", {"tokens": shown})

    @admin.display(description="Last delivery")
    def first_delivery(self, obj: Connection) -> str:
        return render_to_string(
            "admin/connections/_delivery_panel_frame.html",
            {
                **delivery_panel_context(connection=obj),
                "poll_url": reverse("admin:connections_connection_deliveries", args=[obj.pk]),
                "test_url": reverse("admin:connections_connection_test_delivery", args=[obj.pk]),
            },
        )

    @admin.display(description="Routes and examples")
    def setup_examples(self, obj: Connection) -> str:
        return render_to_string(
            "admin/connections/_setup.html",
            setup_context(
                connection=obj, base_url=self._base_url(obj), token=self._first_plaintext(obj)
            ),
        )

    @admin.display(description="Load history")
    def history(self, obj: Connection) -> str:
        return render_to_string(
            "admin/connections/_history.html",
            history_context(
                connection=obj, base_url=self._base_url(obj), token=self._first_plaintext(obj)
            ),
        )

    @admin.display(boolean=True, description="signing secret")
    def signed(self, obj: Connection) -> bool:
        return obj.has_signing_secret

    # --- the panel's poll and the test delivery -----------------------------------------
    def get_urls(self) -> list[URLPattern]:
        own = [
            path(
                "<int:object_id>/deliveries/",
                self.admin_site.admin_view(self.deliveries_view),
                name="connections_connection_deliveries",
            ),
            path(
                "<int:object_id>/test-delivery/",
                self.admin_site.admin_view(require_POST(self.test_delivery_view)),
                name="connections_connection_test_delivery",
            ),
        ]
        return own + super().get_urls()

    def deliveries_view(self, request: HttpRequest, object_id: int) -> JsonResponse:
        connection = get_object_or_404(Connection.objects.select_related("project"), pk=object_id)
        if not self.has_view_permission(request, connection):
            return JsonResponse(
                {"error": {"code": "forbidden", "message": "Not allowed."}}, status=403
            )
        context = delivery_panel_context(connection=connection)
        return JsonResponse(
            {
                "html": render_to_string("admin/connections/_delivery_panel.html", context),
                "state": first_delivery_state(context["summary"]),
            }
        )

    def test_delivery_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        connection = get_object_or_404(Connection.objects.select_related("project"), pk=object_id)
        if not self.has_change_permission(request, connection):
            return JsonResponse(
                {"error": {"code": "forbidden", "message": "Not allowed."}}, status=403
            )
        response = send_test_delivery(connection=connection)
        level = messages.SUCCESS if response.status_code < 300 else messages.ERROR
        self.message_user(
            request,
            f"Test delivery answered {response.status_code}: {response.data}",
            level,
        )
        return HttpResponseRedirect(self._change_url(connection))

    # --- list actions ----------------------------------------------------------------------
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


# The data pages (deployments, changes, incidents) sit here too: they correct through
# operations.corrections, which runs the derive steps.
from apps.operations import data_admin  # noqa: E402, F401
