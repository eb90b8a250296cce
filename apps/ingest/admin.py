import contextlib
import json
from typing import TYPE_CHECKING

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html

from apps.ingest import pipeline
from apps.ingest.models import Delivery

# ModelAdmin is generic in the stubs only (django-stubs-ext's monkeypatch is not installed in
# production).
if TYPE_CHECKING:
    _DeliveryModelAdmin = admin.ModelAdmin[Delivery]
else:
    _DeliveryModelAdmin = admin.ModelAdmin


@admin.register(Delivery)
class DeliveryAdmin(_DeliveryModelAdmin):
    list_display = [
        "id",
        "received_at",
        "route",
        "connection",
        "status",
        "response_status",
        "error",
    ]
    list_filter = [
        "status",
        "route",
        "connection",
        "connection__project",
        ("received_at", admin.DateFieldListFilter),
    ]
    search_fields = ["delivery_id", "error", "route"]
    date_hierarchy = "received_at"
    list_select_related = ["connection"]
    actions = ["reprocess"]
    readonly_fields = [
        "route",
        "route_params",
        "connection",
        "received_at",
        "status",
        "response_status",
        "error",
        "delivery_id",
        "body_size",
        "attempts",
        "processed_at",
        "pretty_headers",
        "pretty_query",
        "pretty_body",
        "pretty_response",
        "effects",
        "readings",
    ]
    exclude = ["headers", "query", "body", "response_body"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Delivery | None = None) -> bool:
        return False

    @staticmethod
    def _pre(value: str) -> str:
        return format_html("<pre style='white-space:pre-wrap;max-width:70em'>{}</pre>", value)

    @admin.display(description="headers")
    def pretty_headers(self, obj: Delivery) -> str:
        return self._pre(json.dumps(obj.headers, indent=2, sort_keys=True))

    @admin.display(description="query")
    def pretty_query(self, obj: Delivery) -> str:
        return self._pre(json.dumps(obj.query, indent=2, sort_keys=True))

    @admin.display(description="body")
    def pretty_body(self, obj: Delivery) -> str:
        text = obj.body_text
        with contextlib.suppress(ValueError):
            text = json.dumps(json.loads(text), indent=2)
        return self._pre(text)

    @admin.display(description="response")
    def pretty_response(self, obj: Delivery) -> str:
        return self._pre(json.dumps(obj.response_body, indent=2))

    @admin.action(description="Reprocess selected deliveries")
    def reprocess(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> None:
        done, skipped = 0, 0
        for delivery in queryset:
            if delivery.connection_id is None:
                skipped += 1  # never authenticated: there is no sender to trust
                continue
            response = pipeline.replay(delivery=delivery)
            done += 1
            if response.status_code >= 400:
                messages.warning(
                    request, f"Delivery {delivery.pk}: {response.status_code} {response.data}"
                )
        self.message_user(
            request, f"Reprocessed {done} deliveries; skipped {skipped} unauthenticated."
        )
