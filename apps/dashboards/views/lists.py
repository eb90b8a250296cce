"""The lists a figure links to: deployments, changes and incidents, each reproducing its figure
(`data-total`, `data-median`) for the same scope, as a page or CSV."""

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest

from apps.dashboards.filters import DeploymentPageFilter, IncidentPageFilter
from apps.dashboards.formatting import (
    csv_header,
    csv_instant,
    csv_seconds,
    human_duration,
    raw_number,
)
from apps.dashboards.subjects import (
    PageScope,
)
from apps.dashboards.views.base import FilteredListPage
from apps.deployments.models import Deployment
from apps.metrics.selectors import figure_rows


def _links(row: Deployment) -> str:
    causes = [
        f"incident {i.issue_key} ({i.get_link_method_display()})" for i in row.incidents.all()
    ]
    causes += [f"remediated by deployment {d.pk}" for d in row.remediated_by.all()]
    return "; ".join(causes)


class DeploymentListPage(FilteredListPage):
    filterset_class = DeploymentPageFilter
    template_name = "dashboards/deployment_list.html"
    csv_name = "deployments"
    figures = ("", *figure_rows.DEPLOYMENT_FIGURES, "deployment_frequency")
    csv_columns = (
        ("id", lambda d: d.pk),
        ("project", lambda d: d.project.slug),
        ("external_id", lambda d: d.external_id),
        ("name", lambda d: d.name),
        ("environment", lambda d: d.environment),
        ("result", lambda d: d.result),
        ("failed", lambda d: d.failed),
        ("failed_because", _links),
        ("rework", lambda d: d.rework),
        ("service", lambda d: d.service),
        ("repository", lambda d: d.repository.url if d.repository else ""),
        ("commit_sha", lambda d: d.commit_sha),
        ("started_at", lambda d: csv_instant(d.started_at)),
        ("finished_at", lambda d: csv_instant(d.finished_at)),
        ("is_rollback", lambda d: d.is_rollback),
        ("is_hotfix", lambda d: d.is_hotfix),
    )

    headings = {
        "": "every deployment and deploy attempt of this scope",
        "deployments": "the successful deployments counted in deployment frequency",
        "deployment_frequency": "the successful deployments counted in deployment frequency",
        "failed_attempts": "failed deploy attempts: they never reached the environment",
        "change_failure_rate": "the failed deployments behind the change failure rate, each "
        "with what made it fail and how that link was decided",
        "rework_rate": "the rework deployments: rollbacks, hotfixes and remediations",
    }

    def rows(self, page: PageScope, figure: str, request: HttpRequest) -> QuerySet:
        return figure_rows.deployment_rows(scope=page.scope, figure=figure)

    def context_for(self, page: PageScope, figure: str, rows: QuerySet) -> dict[str, Any]:
        return {
            "heading_noun": "deployments" if figure != "failed_attempts" else "attempts",
            "heading": self.headings[figure],
            "median_attr": None,
            "all_rows_href": page.link("deployments"),
            "all_noun": "deployments and attempts",
        }


class ChangeListPage(FilteredListPage):
    template_name = "dashboards/change_list.html"
    csv_name = "changes"
    csv_columns = (
        ("sha", lambda c: c.commit.sha),
        ("project", lambda c: c.deployment.project.slug),
        ("repository", lambda c: c.repository.url if c.repository else ""),
        ("started_at", lambda c: csv_instant(c.commit.start_at)),
        ("first_deployment_id", lambda c: c.deployment_id),
        ("first_deployed_at", lambda c: csv_instant(c.shipped_at)),
        (csv_header("lead_time", "seconds"), lambda c: csv_seconds(c.lead)),
        ("counted", lambda c: c.counted),
        ("skipped_because", figure_rows.skip_reason),
    )

    def rows(self, page: PageScope, figure: str, request: HttpRequest) -> QuerySet:
        rows = figure_rows.change_rows(scope=page.scope)
        if request.GET.get("show") == "skipped":
            return rows.filter(counted=False)  # type: ignore[misc]  # `counted` is change_rows()'s annotation, unknown to django-stubs
        if request.GET.get("show") == "all":
            return rows
        return rows.filter(counted=True)  # type: ignore[misc]  # `counted` is change_rows()'s annotation, unknown to django-stubs

    def context_for(self, page: PageScope, figure: str, rows: QuerySet) -> dict[str, Any]:
        show = self.request.GET.get("show", "")
        every = figure_rows.change_rows(scope=page.scope)
        counts = list(every.order_by().values_list("counted", flat=True))  # type: ignore[misc]  # `counted` is change_rows()'s annotation, unknown to django-stubs
        counted = sum(1 for c in counts if c)
        median = figure_rows.lead_time_median(rows) if show != "skipped" else None
        headings = {
            "": "changes first deployed in the period, counted in the lead time",
            "skipped": "changes first deployed in the period but left out of the lead time, "
            "each with the reason",
            "all": "every change first deployed in the period",
        }
        return {
            "heading_noun": "changes",
            "heading": headings.get(show, headings[""]),
            "median_attr": None if show == "skipped" else raw_number(median),
            "median_text": human_duration(median) if median is not None else "",
            "counted": counted,
            "skipped": len(counts) - counted,
            "show": show,
            "counted_href": page.link("changes"),
            "skipped_href": page.link("changes", show="skipped"),
            "keep": [("show", show)] if show else [],
        }


class IncidentListPage(FilteredListPage):
    filterset_class = IncidentPageFilter
    template_name = "dashboards/incident_list.html"
    csv_name = "incidents"
    figures = ("", *figure_rows.INCIDENT_FIGURES)
    csv_columns = (
        ("id", lambda i: i.pk),
        ("project", lambda i: i.project.slug),
        ("key", lambda i: i.issue_key),
        ("title", lambda i: i.title),
        ("status", lambda i: i.status),
        ("service", lambda i: i.service),
        ("created_at", lambda i: csv_instant(i.created_at)),
        ("resolved_at", lambda i: csv_instant(i.resolved_at)),
        (csv_header("time_to_restore", "seconds"), lambda i: csv_seconds(i.restore)),
        (csv_header("recovery_time", "seconds"), lambda i: csv_seconds(i.recovery)),
        ("deployment_id", lambda i: i.deployment_id or ""),
        ("link_method", lambda i: i.link_method),
    )

    def rows(self, page: PageScope, figure: str, request: HttpRequest) -> QuerySet:
        return figure_rows.incident_rows(scope=page.scope, figure=figure)

    headings = {
        "": "incidents created in the period",
        "time_to_restore": "incidents resolved in the period, behind the time to restore",
        "recovery_time": "linked incidents resolved in the period, behind the failed "
        "deployment recovery time",
        "open_incidents": "incidents open now (whatever the period), oldest first",
    }

    def context_for(self, page: PageScope, figure: str, rows: QuerySet) -> dict[str, Any]:
        field = "recovery" if figure == "recovery_time" else "restore"
        median = figure_rows.median_of(rows, field) if figure != "open_incidents" else None
        return {
            "heading_noun": "incidents",
            "heading": self.headings[figure],
            "median_attr": None if figure == "open_incidents" else raw_number(median),
            "median_text": human_duration(median) if median is not None else "",
            "median_field": field,
            "all_rows_href": page.link("incidents"),
            "all_noun": "incidents",
        }
