"""What every dashboard page shares: the subject (project, team or organisation) from the URL,
the filtered list page and the services its filter offers."""

from collections.abc import Callable
from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.views import View

from apps.dashboards.csv_export import csv_response
from apps.dashboards.subjects import (
    PageScope,
    Subject,
    organisation_subject,
    project_subject,
    team_subject,
)
from apps.deployments.selectors import project_services

PAGE_SIZE = 50


class SubjectPageMixin(LoginRequiredMixin):
    """Pages about a project (`/projects/<slug>/...`), a team (`/teams/<slug>/...`) or the
    organisation (`/organisation/...`); the URL pattern names the kind."""

    kind = "project"

    def subject(self, slug: str | None) -> Subject:
        if self.kind == "organisation":
            return organisation_subject()
        if self.kind == "team":
            return team_subject(slug or "")
        return project_subject(slug or "")


class FilteredListPage(SubjectPageMixin, View):
    """The rows of one scope (and of one figure, `?figure=`), filtered further by
    django-filter, paginated, or streamed as CSV with the same filters."""

    filterset_class: type | None = None
    template_name: str
    csv_name: str
    figures: tuple[str, ...] = ("",)
    csv_columns: tuple[tuple[str, Callable[[Any], Any]], ...]

    def rows(self, page: PageScope, figure: str, request: HttpRequest) -> QuerySet:
        raise NotImplementedError

    def context_for(self, page: PageScope, figure: str, rows: QuerySet) -> dict[str, Any]:
        return {}

    def get(self, request: HttpRequest, slug: str | None = None) -> HttpResponseBase:
        scope = PageScope.from_request(request, self.subject(slug))
        figure = request.GET.get("figure", "")
        if figure not in self.figures:
            raise Http404(f"No figure {figure!r} on this list.")
        rows = self.rows(scope, figure, request)
        filterset = None
        if self.filterset_class is not None:
            filterset = self.filterset_class(request.GET, queryset=rows)
            rows = filterset.qs
        if request.GET.get("format") == "csv":
            name = scope.subject.slug or "organisation"
            return csv_response(
                filename=f"{name}-{self.csv_name}.csv",
                header=[header for header, _ in self.csv_columns],
                rows=rows.iterator(chunk_size=2000),
                to_row=lambda row: [value(row) for _, value in self.csv_columns],
            )
        paginated = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
        extra = self.context_for(scope, figure, rows)
        keep = [("figure", figure)] if figure else []
        context = {
            "page_scope": scope,
            "subject": scope.subject,
            "project": scope.subject.project,
            "form": scope.form,
            "period": scope.period,
            "filter": filterset,
            "page": paginated,
            "figure": figure,
            "services": subject_services(scope.subject),
            **extra,
            "keep": keep + extra.get("keep", []),
        }
        return render(request, self.template_name, context)


def subject_services(subject: Subject) -> list[str]:
    """The services a subject's deployments name, for the service filter."""
    if subject.project is not None:
        return project_services(project_id=subject.project.pk)
    return project_services(project_ids=[p.pk for p in subject.projects] or None)
