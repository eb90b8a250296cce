"""Server-rendered pages for engineering managers. Figures come from the metrics selectors and
their rows from `apps.metrics.selectors.figure_rows`; these views pick the subject and scope, call
selectors and render."""

from collections.abc import Callable
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet, prefetch_related_objects
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views import View
from rest_framework.exceptions import ValidationError as DRFValidationError

from apps.ci.selectors import ci_health, ci_health_breakdown, duration_trend, on_hold
from apps.dashboards import first_delivery, overview
from apps.dashboards.charts import trend_charts
from apps.dashboards.csv_export import csv_response
from apps.dashboards.figures import HEADLINE, SECONDARY, build_figures, legend
from apps.dashboards.filters import DeploymentPageFilter, IncidentPageFilter
from apps.dashboards.formatting import csv_header, human_duration
from apps.dashboards.forms import DeploymentMarkForm, IncidentAttributionForm, WithdrawForm
from apps.dashboards.guidance import add_guidance
from apps.dashboards.selectors import data_coverage
from apps.dashboards.subjects import (
    PageScope,
    Subject,
    organisation_subject,
    project_subject,
    team_subject,
)
from apps.deployments.models import Deployment
from apps.deployments.selectors import (
    deployment_commits_with_lead_time,
    link_candidates,
    project_services,
)
from apps.derive.attribution import can_attribute, decide_incident, mark_deployment, withdraw
from apps.issues.models import AttributionDecision, Issue
from apps.issues.selectors import deployment_decisions
from apps.metrics.selectors import dora_report, figure_rows

PAGE_SIZE = 50


def _iso(value: Any) -> str:
    return value.isoformat() if value else ""


def _raw(value: float | None) -> str:
    """A number for a data- attribute: unlocalised, empty when there is none."""
    return "" if value is None else repr(float(value))


def _seconds(value: float | None) -> str:
    return "" if value is None else str(round(value))


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
            "services": _services(scope.subject),
            **extra,
            "keep": keep + extra.get("keep", []),
        }
        return render(request, self.template_name, context)


def _services(subject: Subject) -> list[str]:
    if subject.project is not None:
        return project_services(project_id=subject.project.pk)
    return project_services(project_ids=[p.pk for p in subject.projects] or None)


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
        ("started_at", lambda d: _iso(d.started_at)),
        ("finished_at", lambda d: _iso(d.finished_at)),
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
        ("started_at", lambda c: _iso(c.commit.start_at)),
        ("first_deployment_id", lambda c: c.deployment_id),
        ("first_deployed_at", lambda c: _iso(c.shipped_at)),
        (csv_header("lead_time", "seconds"), lambda c: _seconds(c.lead)),
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
            "median_attr": None if show == "skipped" else _raw(median),
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
        ("created_at", lambda i: _iso(i.created_at)),
        ("resolved_at", lambda i: _iso(i.resolved_at)),
        (csv_header("time_to_restore", "seconds"), lambda i: _seconds(i.restore)),
        (csv_header("recovery_time", "seconds"), lambda i: _seconds(i.recovery)),
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
            "median_attr": None if figure == "open_incidents" else _raw(median),
            "median_text": human_duration(median) if median is not None else "",
            "median_field": field,
            "all_rows_href": page.link("incidents"),
            "all_noun": "incidents",
        }


class DeploymentDetailPage(SubjectPageMixin, View):
    def get(self, request: HttpRequest, slug: str, pk: int) -> HttpResponse:
        subject = self.subject(slug)
        project = subject.project
        deployment = get_object_or_404(
            Deployment.objects.select_related("repository", "connection"), pk=pk, project=project
        )
        commits = list(deployment_commits_with_lead_time(deployment=deployment))
        # The pull request stages of each change, in one query for the whole list.
        prefetch_related_objects(commits, "commit__pull_requests")
        for dc in commits:
            # first_deployment_id is deployment_commits_with_lead_time()'s annotation.
            counted_here = dc.first_deployment_id == deployment.pk  # type: ignore[attr-defined]  # annotation
            dc.lead_time = (  # type: ignore[attr-defined]  # set here for the template
                deployment.finished_at - dc.commit.start_at
                if counted_here and dc.commit.start_at and deployment.finished_at
                else None
            )
        return render(
            request,
            "dashboards/deployment_detail.html",
            {
                "subject": subject,
                "project": project,
                "deployment": deployment,
                "commits": commits,
                "incidents": deployment.incidents.select_related("person_deployment").order_by(
                    "created_at"
                ),
                "remediates": deployment.remediates.order_by("finished_at"),
                "remediated_by": deployment.remediated_by.order_by("finished_at"),
                "decisions": deployment_decisions(deployment=deployment),
                "can_attribute": can_attribute(request.user),
                "mark_form": DeploymentMarkForm(),
            },
        )


class IncidentDetailPage(SubjectPageMixin, View):
    def get(self, request: HttpRequest, slug: str, pk: int) -> HttpResponse:
        subject = self.subject(slug)
        project = subject.project
        assert project is not None  # a project page: project_subject() always sets it
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
                "subject": subject,
                "project": project,
                "incident": incident,
                "time_to_restore": time_to_restore,
                "recovery": recovery,
                "decisions": incident.decisions.select_related(
                    "decided_by", "withdrawn_by", "deployment"
                ),
                "can_attribute": can_attribute(request.user),
                "link_form": IncidentAttributionForm(
                    candidates=link_candidates(project_id=project.pk, around=incident.created_at),
                    initial={"deployment": incident.deployment_id},
                ),
            },
        )


class AttributionView(SubjectPageMixin, View):
    """POST only: a person's decision, then back to the page it was made on."""

    def post(self, request: HttpRequest, slug: str, pk: int, target: str) -> HttpResponse:
        subject = self.subject(slug)
        project = subject.project
        assert project is not None  # a project page: project_subject() always sets it
        if not can_attribute(request.user):
            raise DjangoPermissionDenied("You need the 'correct attribution' permission.")
        try:
            if target == "incident":
                incident = get_object_or_404(Issue, pk=pk, project=project, is_incident=True)
                back = reverse("dashboards:incident", args=[slug, pk])
                form: forms.Form = IncidentAttributionForm(
                    request.POST,
                    candidates=link_candidates(project_id=project.pk, around=incident.created_at),
                )
                if not form.is_valid():
                    messages.error(request, _form_errors(form))
                    return redirect(back)
                deployment = (
                    form.cleaned_data["deployment"]
                    if form.cleaned_data["decision"] == "link"
                    else None
                )
                decide_incident(
                    issue=incident,
                    deployment=deployment,
                    reason=form.cleaned_data["reason"],
                    user=request.user,
                )
            elif target == "deployment":
                deployment = get_object_or_404(Deployment, pk=pk, project=project)
                back = reverse("dashboards:deployment", args=[slug, pk])
                form = DeploymentMarkForm(request.POST)
                if not form.is_valid():
                    messages.error(request, _form_errors(form))
                    return redirect(back)
                mark_deployment(
                    deployment=deployment,
                    action=form.cleaned_data["action"],
                    reason=form.cleaned_data["reason"],
                    user=request.user,
                )
            else:
                decision = get_object_or_404(
                    AttributionDecision.objects.select_related("issue", "deployment"),
                    Q(issue__project=project) | Q(deployment__project=project),
                    pk=pk,
                )
                back = (
                    reverse("dashboards:incident", args=[slug, decision.issue_id])
                    if decision.issue_id
                    else reverse("dashboards:deployment", args=[slug, decision.deployment_id])
                )
                withdraw(
                    decision=decision,
                    user=request.user,
                    reason=WithdrawForm(request.POST).data.get("reason", ""),
                )
        except DRFValidationError as error:
            messages.error(request, str(error.detail))
            return redirect(back)
        messages.success(request, "Decision recorded; the figures are recomputed.")
        return redirect(back)


def _form_errors(form: Any) -> str:
    return "; ".join(f"{name}: {' '.join(errors)}" for name, errors in form.errors.items())


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
                "services": _services(page.subject),
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
                "services": _services(page.subject),
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
