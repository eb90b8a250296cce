"""The dashboards: a project or team page, data coverage, the overview and the CI page."""

from django.conf import settings
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views import View

from apps.ci.selectors import ci_health, ci_health_breakdown, duration_trend, on_hold
from apps.dashboards import first_delivery, overview
from apps.dashboards.charts import trend_charts
from apps.dashboards.figures import HEADLINE, SECONDARY, build_figures, legend
from apps.dashboards.formatting import human_duration
from apps.dashboards.guidance import add_guidance
from apps.dashboards.selectors import data_coverage
from apps.dashboards.subjects import (
    PageScope,
    organisation_subject,
)
from apps.dashboards.views.base import SubjectPageMixin, subject_services
from apps.metrics.selectors import dora_report, figure_rows


class DashboardPage(SubjectPageMixin, View):
    """A project's or a team's figures, explained, with their trends."""

    def get(self, request: HttpRequest, slug: str) -> HttpResponse:
        page = PageScope.from_request(request, self.subject(slug))
        interval = "month" if request.GET.get("interval") == "month" else "week"
        benchmark = settings.DORAHUB_BENCHMARK
        report = dora_report(scope=page.scope, interval=interval, benchmark=benchmark)
        previous = dora_report(scope=page.previous_scope(), interval=None, benchmark=benchmark)
        opened = figure_rows.open_incident_summary(scope=page.scope)
        coverage = data_coverage(scope=page.scope)
        figures = build_figures(
            report.figures,
            previous.figures,
            link=page.link,
            benchmark=benchmark,
            environment=page.environment,
            unlinked_incidents=figure_rows.unlinked_incident_count(scope=page.scope),
            open_incidents=opened["count"],
        )
        add_guidance(
            figures,
            coverage=coverage,
            page=page,
            base_url=request.build_absolute_uri("/").rstrip("/"),
        )
        return render(
            request,
            "dashboards/project.html",
            {
                "page_scope": page,
                "subject": page.subject,
                "project": page.subject.project,
                "form": page.form,
                "period": page.period,
                "report": report,
                "figures": figures,
                "headline": [figures[key] for key in HEADLINE],
                "secondary": [figures[key] for key in SECONDARY],
                "legend": legend(benchmark),
                "benchmark": benchmark,
                "interval": interval,
                "open_incidents": opened,
                "open_age": human_duration((timezone.now() - opened["oldest"]).total_seconds())
                if opened["oldest"]
                else "",
                "keep": [("interval", "month")] if interval == "month" else [],
                "open_href": page.link("incidents", figure="open_incidents"),
                "unlinked_href": page.link("incidents", linked="false"),
                "chart_data": trend_charts(
                    report.series, page=page, interval=interval, benchmark=benchmark
                ),
                "services": subject_services(page.subject),
                "first_delivery": first_delivery.panel(request, page.subject.project)
                if page.subject.project is not None
                else None,
            },
        )


class CoveragePage(SubjectPageMixin, View):
    """Per source: the last delivery and its counts; the share of deployments with known
    changes and of incidents with a link."""

    def get(self, request: HttpRequest, slug: str) -> HttpResponse:
        page = PageScope.from_request(request, self.subject(slug))
        return render(
            request,
            "dashboards/coverage.html",
            {
                "page_scope": page,
                "subject": page.subject,
                "project": page.subject.project,
                "form": page.form,
                "period": page.period,
                "coverage": data_coverage(scope=page.scope),
                "services": subject_services(page.subject),
            },
        )


class OverviewPage(LoginRequiredMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        page = PageScope.from_request(request, organisation_subject())
        context = overview.overview_context(
            page=page,
            sort=request.GET.get("sort", ""),
            order=request.GET.get("order", ""),
        )
        context["keep"] = [(k, request.GET[k]) for k in ("sort", "order") if request.GET.get(k)]
        return render(request, "dashboards/overview.html", context)


class CIPage(SubjectPageMixin, View):
    def get(self, request: HttpRequest, slug: str) -> HttpResponse:
        page = PageScope.from_request(request, self.subject(slug))
        project = page.subject.project
        if project is None:
            raise Http404
        start, end = page.period.bounds(project.tz)
        health = ci_health(project_id=project.pk, since=start, until=end)
        trend = duration_trend(project_id=project.pk, since=start, until=end, tz=project.tz)
        medians = [row["median_duration_seconds"] for row in trend]
        return render(
            request,
            "dashboards/ci.html",
            {
                "page_scope": page,
                "subject": page.subject,
                "project": project,
                "form": page.form,
                "period": page.period,
                "health": health,
                "waiting": on_hold(project_id=project.pk),
                "by_repository": ci_health_breakdown(
                    project_id=project.pk, since=start, until=end, group_by="repository"
                ),
                "chart_data": {
                    "labels": [row["week"].isoformat() for row in trend],
                    "charts": [
                        {
                            "metric": "ci_duration",
                            "title": "Median build duration (min)",
                            "kind": "line",
                            "values": [None if m is None else round(m / 60, 2) for m in medians],
                            "tips": [
                                f"{human_duration(m)} · {row['runs']} runs"
                                for m, row in zip(medians, trend, strict=True)
                            ],
                            "links": [],
                            "thresholds": [],
                        }
                    ],
                },
                "services": [],
            },
        )
