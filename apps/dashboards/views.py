"""Server-rendered pages for engineering managers. Figures come from the metrics selectors;
these views only pick the scope, call selectors and render."""

from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.paginator import Paginator
from django.db.models import QuerySet, prefetch_related_objects
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, render
from django.views import View

from apps.ci.selectors import ci_health, ci_health_breakdown, duration_trend, on_hold
from apps.connections.models import Project
from apps.dashboards import first_delivery
from apps.dashboards.csv_export import csv_response
from apps.dashboards.filters import (
    DeploymentPageFilter,
    IncidentPageFilter,
    ProjectTimeFilterSet,
)
from apps.dashboards.formatting import headline_cards
from apps.dashboards.periods import Period, PeriodForm
from apps.deployments.models import Deployment
from apps.deployments.selectors import (
    deployment_commits_with_lead_time,
    deployment_list,
    project_services,
)
from apps.issues.models import Issue
from apps.issues.selectors import issue_list
from apps.metrics.selectors import Scope, dora_by_project, dora_report

PAGE_SIZE = 50


def _iso(value: Any) -> str:
    return value.isoformat() if value else ""


class ProjectPageMixin(LoginRequiredMixin):
    def project(self, slug: str) -> Project:
        return get_object_or_404(Project, slug=slug)


class FilteredListPage(ProjectPageMixin, View):
    """A project's rows filtered by django-filter, paginated, or streamed as CSV."""

    filterset_class: type[ProjectTimeFilterSet]
    template_name: str
    csv_name: str
    csv_columns: tuple[tuple[str, Callable[[Any], Any]], ...]

    def rows(self, project: Project) -> QuerySet:
        raise NotImplementedError

    def get(self, request: HttpRequest, slug: str) -> HttpResponseBase:
        project = self.project(slug)
        filterset = self.filterset_class(request.GET, queryset=self.rows(project), tz=project.tz)
        rows = filterset.qs
        if request.GET.get("format") == "csv":
            return csv_response(
                filename=f"{project.slug}-{self.csv_name}.csv",
                header=[name for name, _ in self.csv_columns],
                rows=rows.iterator(chunk_size=2000),
                to_row=lambda row: [value(row) for _, value in self.csv_columns],
            )
        page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
        return render(
            request, self.template_name, {"project": project, "filter": filterset, "page": page}
        )


class DeploymentListPage(FilteredListPage):
    filterset_class = DeploymentPageFilter
    template_name = "dashboards/deployment_list.html"
    csv_name = "deployments"
    csv_columns = (
        ("id", lambda d: d.pk),
        ("external_id", lambda d: d.external_id),
        ("name", lambda d: d.name),
        ("environment", lambda d: d.environment),
        ("result", lambda d: d.result),
        ("service", lambda d: d.service),
        ("repository", lambda d: d.repository.url if d.repository else ""),
        ("commit_sha", lambda d: d.commit_sha),
        ("started_at", lambda d: _iso(d.started_at)),
        ("finished_at", lambda d: _iso(d.finished_at)),
        ("commit_count", lambda d: d.commit_count),
        ("is_rollback", lambda d: d.is_rollback),
        ("is_hotfix", lambda d: d.is_hotfix),
    )

    def rows(self, project: Project) -> QuerySet[Deployment]:
        return deployment_list(project_id=project.pk)


class DeploymentDetailPage(ProjectPageMixin, View):
    def get(self, request: HttpRequest, slug: str, pk: int) -> HttpResponse:
        project = self.project(slug)
        deployment = get_object_or_404(
            Deployment.objects.select_related("repository", "connection"), pk=pk, project=project
        )
        commits = list(deployment_commits_with_lead_time(deployment=deployment))
        # The pull request stages of each change, in one query for the whole list.
        prefetch_related_objects(commits, "commit__pull_requests")
        # `first_deployment_id` is the selector's annotation, `lead_time` is set for the template:
        # neither is a model field the stubs know.
        for dc in commits:
            counted_here = dc.first_deployment_id == deployment.pk  # type: ignore[attr-defined]
            dc.lead_time = (  # type: ignore[attr-defined]
                deployment.finished_at - dc.commit.start_at
                if counted_here and dc.commit.start_at and deployment.finished_at
                else None
            )
        return render(
            request,
            "dashboards/deployment_detail.html",
            {
                "project": project,
                "deployment": deployment,
                "commits": commits,
                "incidents": deployment.incidents.order_by("created_at"),
                "remediates": deployment.remediates.order_by("finished_at"),
                "remediated_by": deployment.remediated_by.order_by("finished_at"),
            },
        )


class IncidentListPage(FilteredListPage):
    filterset_class = IncidentPageFilter
    template_name = "dashboards/incident_list.html"
    csv_name = "incidents"
    csv_columns = (
        ("id", lambda i: i.pk),
        ("key", lambda i: i.issue_key),
        ("title", lambda i: i.title),
        ("status", lambda i: i.status),
        ("service", lambda i: i.service),
        ("created_at", lambda i: _iso(i.created_at)),
        ("resolved_at", lambda i: _iso(i.resolved_at)),
        (
            "time_to_restore_seconds",
            lambda i: int((i.resolved_at - i.created_at).total_seconds()) if i.resolved_at else "",
        ),
        ("deployment_id", lambda i: i.deployment_id or ""),
        ("link_method", lambda i: i.link_method),
    )

    def rows(self, project: Project) -> QuerySet[Issue]:
        return issue_list(project_id=project.pk).filter(is_incident=True)


class IncidentDetailPage(ProjectPageMixin, View):
    def get(self, request: HttpRequest, slug: str, pk: int) -> HttpResponse:
        project = self.project(slug)
        incident = get_object_or_404(
            Issue.objects.select_related("deployment", "resolved_by", "connection"),
            pk=pk,
            project=project,
            is_incident=True,
        )
        time_to_restore = (
            incident.resolved_at - incident.created_at if incident.resolved_at else None
        )
        recovery = (
            incident.resolved_at - incident.deployment.finished_at
            if incident.resolved_at and incident.deployment and incident.deployment.finished_at
            else None
        )
        return render(
            request,
            "dashboards/incident_detail.html",
            {
                "project": project,
                "incident": incident,
                "time_to_restore": time_to_restore,
                "recovery": recovery,
            },
        )


def _figures_dict(figures: Any) -> dict[str, Any]:
    return asdict(figures)


def _project_report(
    request: HttpRequest, project: Project, period: Period, *, interval: str
) -> dict[str, Any]:
    """The metrics selectors' report for the page's scope, as plain data for templates."""
    report = dora_report(
        scope=Scope(
            project=project,
            since=period.since,
            until=period.until,
            environment=request.GET.get("environment") or "PRODUCTION",
            service=request.GET.get("service") or "",
        ),
        interval=interval,
    )
    return {
        **_figures_dict(report.figures),
        "series": [asdict(point) for point in report.series],
        "scope": {"environment": report.scope.environment, "service": report.scope.service},
        "source": report.source,
    }


class OverviewPage(LoginRequiredMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        form = PeriodForm(request.GET)
        period = form.get_period()
        projects = list(Project.objects.order_by("name"))
        previous_period = period.previous()
        current = dora_by_project(projects=projects, since=period.since, until=period.until)
        previous = dora_by_project(
            projects=projects, since=previous_period.since, until=previous_period.until
        )
        rows = [
            {
                "project": now.project,
                "cards": headline_cards(_figures_dict(now.figures), _figures_dict(before.figures)),
            }
            for now, before in zip(current, previous, strict=True)
        ]
        return render(
            request,
            "dashboards/overview.html",
            {"rows": rows, "period": period, "form": form},
        )


class ProjectPage(ProjectPageMixin, View):
    def get(self, request: HttpRequest, slug: str) -> HttpResponse:
        project = self.project(slug)
        form = PeriodForm(request.GET)
        period = form.get_period()
        current = _project_report(request, project, period, interval="week")
        before = period.previous()
        (previous_figures,) = dora_by_project(
            projects=[project],
            since=before.since,
            until=before.until,
            environment=request.GET.get("environment") or "PRODUCTION",
            service=request.GET.get("service") or "",
        )
        previous = _figures_dict(previous_figures.figures)
        unlinked = issue_list(project_id=project.pk).filter(
            is_incident=True,
            deployment__isnull=True,
            created_at__gte=period.bounds(project.tz)[0],
            created_at__lt=period.bounds(project.tz)[1],
        )
        return render(
            request,
            "dashboards/project.html",
            {
                "project": project,
                "form": form,
                "period": period,
                "report": current,
                "cards": headline_cards(current, previous),
                "unlinked_count": unlinked.count(),
                "chart_data": _chart_data(current),
                "services": project_services(project_id=project.pk),
                "first_delivery": first_delivery.panel(request, project),
            },
        )


def _chart_data(report: dict[str, Any]) -> dict[str, Any]:
    series = report.get("series") or []
    return {
        "labels": [point["start"].isoformat() for point in series],
        "deployments": [point["deployments"] for point in series],
        "lead_time_hours": [
            None
            if point["lead_time_median_seconds"] is None
            else round(point["lead_time_median_seconds"] / 3600, 2)
            for point in series
        ],
        "change_failure_rate": [
            None
            if point["change_failure_rate"] is None
            else round(point["change_failure_rate"] * 100, 1)
            for point in series
        ],
        "time_to_restore_hours": [
            None
            if point["time_to_restore_median_seconds"] is None
            else round(point["time_to_restore_median_seconds"] / 3600, 2)
            for point in series
        ],
    }


class CIPage(ProjectPageMixin, View):
    def get(self, request: HttpRequest, slug: str) -> HttpResponse:
        project = self.project(slug)
        form = PeriodForm(request.GET)
        period = form.get_period()
        start, end = period.bounds(project.tz)
        health = ci_health(project_id=project.pk, since=start, until=end)
        trend = duration_trend(project_id=project.pk, since=start, until=end, tz=project.tz)
        return render(
            request,
            "dashboards/ci.html",
            {
                "project": project,
                "form": form,
                "period": period,
                "health": health,
                "waiting": on_hold(project_id=project.pk),
                "by_repository": ci_health_breakdown(
                    project_id=project.pk, since=start, until=end, group_by="repository"
                ),
                "chart_data": {
                    "labels": [row["week"].isoformat() for row in trend],
                    "median_minutes": [
                        None
                        if row["median_duration_seconds"] is None
                        else round(row["median_duration_seconds"] / 60, 2)
                        for row in trend
                    ],
                    "runs": [row["runs"] for row in trend],
                },
            },
        )
