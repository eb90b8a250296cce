from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest

from apps.teams.models import Team


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "project_count"]
    search_fields = ["name", "slug", "projects__name"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["projects"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Team]:
        return super().get_queryset(request).annotate(n_projects=Count("projects"))

    @admin.display(description="projects", ordering="n_projects")
    def project_count(self, team: Team) -> int:
        return team.n_projects  # type: ignore[attr-defined]
