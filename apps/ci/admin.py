"""CI builds and jobs in the admin: found by project, connection, status, repository and time;
never edited by hand, so the status ordering and the deployments derived from jobs stay
consistent. A build or job recorded by mistake is deleted (its jobs with it; Django's admin log
keeps who and when), and CI health, read from the rows, moves at once. A deployment a deploy job
was counted as stays: it is corrected or deleted on its own page, through the services."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from apps.ci.models import Job, Pipeline


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class JobInline(admin.TabularInline):
    model = Job
    extra = 0
    can_delete = False
    fields = readonly_fields = (
        "external_id",
        "name",
        "status",
        "original_status",
        "duration_seconds",
    )
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Pipeline)
class PipelineAdmin(ReadOnlyAdmin):
    list_display = [
        "external_id",
        "name",
        "repository",
        "branch",
        "short_sha",
        "status",
        "original_status",
        "duration_seconds",
        "finished_at",
        "connection",
    ]
    list_filter = [
        "project",
        "connection",
        "status",
        "repository",
        ("finished_at", admin.DateFieldListFilter),
    ]
    search_fields = ["external_id", "name", "commit_sha", "branch"]
    list_select_related = ["repository", "connection"]
    date_hierarchy = "created"
    inlines = [JobInline]

    @admin.display(description="commit")
    def short_sha(self, obj: Pipeline) -> str:
        return obj.commit_sha[:12]


@admin.register(Job)
class JobAdmin(ReadOnlyAdmin):
    list_display = [
        "external_id",
        "__str__",
        "job_type",
        "repository",
        "branch",
        "short_sha",
        "status",
        "original_status",
        "duration_seconds",
        "finished_at",
        "deployment",
        "connection",
    ]
    list_filter = [
        "project",
        "connection",
        "status",
        "job_type",
        "repository",
        ("finished_at", admin.DateFieldListFilter),
    ]
    search_fields = ["external_id", "name", "job_type", "commit_sha", "branch", "triggered_by"]
    list_select_related = ["repository", "connection", "deployment"]
    date_hierarchy = "created"

    @admin.display(description="commit")
    def short_sha(self, obj: Job) -> str:
        return obj.commit_sha[:12]
