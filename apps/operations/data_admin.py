"""Deployments, changes and incidents in the admin: found by project, connection, environment,
service and time; one record corrected or deleted through `operations.corrections`, so the
metric days are marked and the figures move. Each correction or deletion is recorded by
Django's admin log (LogEntry, shown under "History" on the record), naming the person and the
fields changed."""

from typing import Any

from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from apps.deployments.models import Commit, Deployment, DeploymentCommit
from apps.issues.models import Issue
from apps.operations.corrections import (
    COMMIT_FIELDS,
    DEPLOYMENT_FIELDS,
    ISSUE_FIELDS,
    correct_commit,
    correct_deployment,
    correct_issue,
    delete_commit,
    delete_deployment,
    delete_issue,
)


class DeploymentCommitInline(admin.TabularInline):
    model = DeploymentCommit
    extra = 0
    can_delete = False
    fields = readonly_fields = ("change", "repository", "ref_name", "message", "inferred")
    verbose_name = "commit"
    verbose_name_plural = "commits (a change counts for lead time at its first deployment)"

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="change")
    def change(self, obj: DeploymentCommit) -> str:
        url = reverse("admin:deployments_commit_change", args=[obj.commit_id])
        return format_html('<a href="{}">{}</a>', url, obj.commit.sha[:12])


class CorrectedThroughServices(admin.ModelAdmin):
    """Saves and deletes go through a correction service, never straight to the row."""

    correctable: tuple[str, ...] = ()

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # records come from senders; an admin corrects them

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        fields = [f.name for f in self.model._meta.concrete_fields]
        return [*self.readonly_fields, *(f for f in fields if f not in self.correctable)]

    def correct(self, obj: Any, values: dict[str, Any]) -> list[str]:
        raise NotImplementedError

    def remove(self, obj: Any) -> None:
        raise NotImplementedError

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        values = {
            name: form.cleaned_data[name] for name in form.changed_data if name in self.correctable
        }
        self.correct(obj, values)
        obj.refresh_from_db()

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        # Nothing related is edited here; the admin's change message reads these.
        for formset in formsets:
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        self.remove(obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        for obj in queryset:
            self.remove(obj)


@admin.register(Deployment)
class DeploymentAdmin(CorrectedThroughServices):
    correctable = DEPLOYMENT_FIELDS
    list_display = [
        "name",
        "project",
        "connection",
        "environment",
        "result",
        "service",
        "finished_at",
        "commit_count",
        "dashboard",
    ]
    list_filter = [
        "project",
        "connection",
        "environment",
        "result",
        ("service", admin.AllValuesFieldListFilter),
        ("finished_at", admin.DateFieldListFilter),
        "is_rollback",
    ]
    search_fields = ["name", "external_id", "commit_sha", "service", "repository__name", "ref_name"]
    date_hierarchy = "finished_at"
    list_select_related = ["project", "connection", "repository"]
    readonly_fields = ["dashboard", "incidents_caused"]
    inlines = [DeploymentCommitInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Deployment]:
        return super().get_queryset(request).annotate(commit_total=Count("deployment_commits"))

    @admin.display(description="commits", ordering="commit_total")
    def commit_count(self, obj: Deployment) -> int:
        return obj.commit_total  # type: ignore[attr-defined]  # get_queryset's annotation

    @admin.display(description="on the dashboard")
    def dashboard(self, obj: Deployment) -> str:
        url = reverse("dashboards:deployment", args=[obj.project.slug, obj.pk])
        return format_html('<a href="{}">deployment page</a>', url)

    @admin.display(description="incidents it caused")
    def incidents_caused(self, obj: Deployment) -> str:
        links = [
            format_html(
                '<a href="{}">{}</a>',
                reverse("admin:issues_issue_change", args=[issue.pk]),
                issue.issue_key,
            )
            for issue in obj.incidents.order_by("created_at")
        ]
        return format_html(", ".join(["{}"] * len(links)), *links) if links else "none"

    def correct(self, obj: Deployment, values: dict[str, Any]) -> list[str]:
        return correct_deployment(deployment_id=obj.pk, values=values)

    def remove(self, obj: Deployment) -> None:
        delete_deployment(deployment_id=obj.pk)


@admin.register(Commit)
class CommitAdmin(CorrectedThroughServices):
    correctable = COMMIT_FIELDS
    list_display = ["short_sha", "project", "repository", "service", "start_at", "authored_at"]
    list_filter = [
        "project",
        ("service", admin.AllValuesFieldListFilter),
        ("start_at", admin.DateFieldListFilter),
        "repository",
    ]
    search_fields = ["sha", "message", "repository__name", "service"]
    date_hierarchy = "start_at"
    list_select_related = ["project", "repository"]
    readonly_fields = ["deployed_in"]

    @admin.display(description="sha", ordering="sha")
    def short_sha(self, obj: Commit) -> str:
        return obj.sha[:12]

    @admin.display(description="deployed in")
    def deployed_in(self, obj: Commit) -> str:
        links = [
            format_html(
                '<a href="{}">{}</a>',
                reverse("admin:deployments_deployment_change", args=[deployment.pk]),
                deployment,
            )
            for deployment in obj.deployments.order_by("finished_at")
        ]
        return format_html(", ".join(["{}"] * len(links)), *links) if links else "not deployed"

    def correct(self, obj: Commit, values: dict[str, Any]) -> list[str]:
        return correct_commit(commit_id=obj.pk, values=values)

    def remove(self, obj: Commit) -> None:
        delete_commit(commit_id=obj.pk)


@admin.register(Issue)
class IssueAdmin(CorrectedThroughServices):
    correctable = ISSUE_FIELDS
    list_display = [
        "issue_key",
        "title",
        "project",
        "connection",
        "is_incident",
        "status",
        "service",
        "created_at",
        "resolved_at",
        "caused_by",
        "link_method",
    ]
    list_filter = [
        "project",
        "connection",
        "is_incident",
        "status",
        ("service", admin.AllValuesFieldListFilter),
        ("created_at", admin.DateFieldListFilter),
        "link_method",
    ]
    search_fields = ["issue_key", "title", "service", "description"]
    date_hierarchy = "created_at"
    list_select_related = ["project", "connection", "deployment"]
    readonly_fields = ["caused_by"]

    @admin.display(description="caused by")
    def caused_by(self, obj: Issue) -> str:
        if obj.deployment_id is None:
            return "not linked"
        url = reverse("admin:deployments_deployment_change", args=[obj.deployment_id])
        return format_html('<a href="{}">{}</a>', url, obj.deployment)

    def correct(self, obj: Issue, values: dict[str, Any]) -> list[str]:
        return correct_issue(issue_id=obj.pk, values=values)

    def remove(self, obj: Issue) -> None:
        delete_issue(issue_id=obj.pk)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
