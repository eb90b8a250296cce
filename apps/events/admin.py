import json
import secrets
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html

from apps.events.forms import TriggerAdminForm
from apps.events.models import LifecycleEvent, Trigger, TriggerDelivery
from apps.events.services import redeliver


@admin.register(Trigger)
class TriggerAdmin(admin.ModelAdmin):
    form = TriggerAdminForm
    list_display = ["name", "is_active", "scope", "pattern_list", "url", "modified"]
    list_filter = ["is_active", "all_projects", "project"]
    filter_horizontal = ["connections"]
    list_select_related = ["project"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Trigger]:
        return super().get_queryset(request).prefetch_related("connections")

    @admin.display(description="scope")
    def scope(self, obj: Trigger) -> str:
        if obj.all_projects:
            return "installation-wide"
        if obj.project_id is not None:
            return f"project {obj.project}"
        return "connections: " + ", ".join(c.name for c in obj.connections.all())

    search_fields = ["name", "url", "description"]

    @admin.display(description="events")
    def pattern_list(self, obj: Trigger) -> str:
        return ", ".join(obj.patterns)

    def save_model(self, request: HttpRequest, obj: Trigger, form: Any, change: bool) -> None:
        if not obj.secret_encrypted:
            generated = secrets.token_urlsafe(32)
            obj.set_secret(generated)
            messages.warning(
                request,
                format_html(
                    "Signing secret of <b>{}</b>: <code>{}</code> — copy it now; it is stored "
                    "encrypted and never shown again.",
                    obj.name,
                    generated,
                ),
            )
        super().save_model(request, obj, form, change)


@admin.register(TriggerDelivery)
class TriggerDeliveryAdmin(admin.ModelAdmin):
    list_display = [
        "uuid",
        "created",
        "trigger",
        "event_name",
        "status",
        "attempts",
        "response_code",
        "duration_ms",
        "last_error",
        "next_attempt_at",
    ]
    list_filter = ["status", "trigger", ("created", admin.DateFieldListFilter)]
    search_fields = ["uuid", "event__name", "last_error"]
    list_select_related = ["trigger", "event"]
    date_hierarchy = "created"
    actions = ["redeliver_selected"]
    readonly_fields = [
        "uuid",
        "trigger",
        "event",
        "status",
        "attempts",
        "response_code",
        "duration_ms",
        "last_error",
        "created",
        "last_attempt_at",
        "next_attempt_at",
        "delivered_at",
        "pretty_history",
    ]
    exclude = ["history", "run_started_attempt"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="event")
    def event_name(self, obj: TriggerDelivery) -> str:
        return obj.event.name

    @admin.display(description="attempts log")
    def pretty_history(self, obj: TriggerDelivery) -> str:
        return format_html(
            "<pre style='white-space:pre-wrap;max-width:70em'>{}</pre>",
            json.dumps(obj.history, indent=2),
        )

    @admin.action(description="Redeliver selected deliveries (same delivery id)")
    def redeliver_selected(self, request: HttpRequest, queryset: QuerySet[TriggerDelivery]) -> None:
        count = 0
        for delivery in queryset:
            redeliver(delivery=delivery)
            count += 1
        self.message_user(request, f"Queued {count} deliveries to be sent again.")


@admin.register(LifecycleEvent)
class LifecycleEventAdmin(admin.ModelAdmin):
    list_display = ["occurred_at", "name", "project", "connection", "is_insight", "dispatched_at"]
    list_filter = [
        "project",
        "connection",
        "is_insight",
        "origin",
        "event",
        ("occurred_at", admin.DateFieldListFilter),
    ]
    search_fields = ["name", "repo"]
    list_select_related = ["project", "connection"]
    date_hierarchy = "occurred_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
