from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from apps.issues.models import AttributionDecision


@admin.register(AttributionDecision)
class AttributionDecisionAdmin(admin.ModelAdmin):
    """The audit trail of people's attribution decisions: read-only here (decisions are made
    and withdrawn on the incident and deployment pages). Who may decide is the permission
    "Can correct incident and deployment attribution", granted on users or groups."""

    list_display = ["decided_at", "action", "issue", "deployment", "decided_by", "withdrawn_at"]
    list_filter = ["action", ("withdrawn_at", admin.EmptyFieldListFilter)]
    search_fields = ["reason", "issue__issue_key", "deployment__external_id"]
    list_select_related = ["issue", "deployment", "decided_by"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
