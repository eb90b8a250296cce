"""What a dashboard page is about (a project, a team or the whole organisation) and the scope
it reads from the URL: period, environment and service, kept in every link it makes."""

from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import urlencode

from django import forms
from django.http import HttpRequest, QueryDict
from django.shortcuts import get_object_or_404
from django.urls import reverse

from apps.connections.models import Project
from apps.dashboards.periods import Period, PeriodForm
from apps.deployments.models import Environment
from apps.metrics.selectors import PRODUCTION, Scope
from apps.teams.models import Team

# The parameters that make a scope: every link between pages keeps exactly these.
SCOPE_PARAMS = ("period", "since", "until", "environment", "service")
PROJECT, TEAM, ORGANISATION = "project", "team", "organisation"


class ScopeForm(PeriodForm):
    environment = forms.ChoiceField(choices=Environment.choices, required=False)
    service = forms.CharField(required=False, max_length=200)


@dataclass(frozen=True)
class Subject:
    kind: str
    slug: str
    name: str
    project: Project | None = None
    projects: tuple[Project, ...] = ()

    def scope_for(
        self, *, since: date, until: date, environment: str = PRODUCTION, service: str = ""
    ) -> Scope:
        return Scope(
            project=self.project,
            projects=self.projects if self.kind == TEAM else (),
            since=since,
            until=until,
            environment=environment,
            service=service,
        )

    def url(self, page: str) -> str:
        """`page`: dashboard, deployments, incidents, changes (and ci, coverage of a project)."""
        if self.kind == ORGANISATION:
            return (
                reverse("dashboards:overview")
                if page == "dashboard"
                else reverse(f"dashboards:organisation_{page}")
            )
        if page == "dashboard":
            return reverse(f"dashboards:{self.kind}", args=[self.slug])
        prefix = "" if self.kind == PROJECT else "team_"
        return reverse(f"dashboards:{prefix}{page}", args=[self.slug])

    @property
    def tabs(self) -> list[tuple[str, str]]:
        pages = [("dashboard", "Dashboard"), ("deployments", "Deployments")]
        pages += [("changes", "Changes"), ("incidents", "Incidents")]
        if self.kind != ORGANISATION:
            pages += [("coverage", "Data coverage")]
        if self.kind == PROJECT:
            pages += [("ci", "CI")]
        return [(label, self.url(page)) for page, label in pages]


def project_subject(slug: str) -> Subject:
    project = get_object_or_404(Project, slug=slug)
    return Subject(kind=PROJECT, slug=project.slug, name=project.name, project=project)


def organisation_subject() -> Subject:
    return Subject(kind=ORGANISATION, slug="", name="All projects")


@dataclass(frozen=True)
class PageScope:
    """The subject and the scope a request asked for (defaults: production, 90 days)."""

    subject: Subject
    form: ScopeForm
    period: Period
    environment: str
    service: str
    params: QueryDict

    @classmethod
    def from_request(cls, request: HttpRequest, subject: Subject) -> "PageScope":
        form = ScopeForm(request.GET)
        period = form.get_period()
        data = form.cleaned_data if form.is_valid() else {}
        params = QueryDict(mutable=True)
        for name in SCOPE_PARAMS:
            if request.GET.get(name):
                params[name] = request.GET[name]
        return cls(
            subject=subject,
            form=form,
            period=period,
            environment=data.get("environment") or PRODUCTION,
            service=data.get("service") or "",
            params=params,
        )

    def for_subject(self, subject: Subject) -> "PageScope":
        """The same scope about another subject (the overview's rows)."""
        return PageScope(
            subject=subject,
            form=self.form,
            period=self.period,
            environment=self.environment,
            service=self.service,
            params=self.params,
        )

    @property
    def scope(self) -> Scope:
        return self.subject.scope_for(
            since=self.period.since,
            until=self.period.until,
            environment=self.environment,
            service=self.service,
        )

    def previous_scope(self) -> Scope:
        before = self.period.previous()
        return self.subject.scope_for(
            since=before.since,
            until=before.until,
            environment=self.environment,
            service=self.service,
        )

    def query(self, **extra: str) -> str:
        """This scope's query string (environment always explicit), plus `extra`."""
        params = self.params.copy()
        params["environment"] = self.environment
        for key, value in extra.items():
            params[key] = value
        return "?" + params.urlencode()

    def link(self, page: str, **extra: str) -> str:
        return self.subject.url(page) + self.query(**extra)

    def bucket_link(self, page: str, start: date, end: date, **extra: str) -> str:
        """The rows of one chart bucket: its days within the period, same environment and
        service."""
        since, until = max(start, self.period.since), min(end, self.period.until)
        params = {"since": since.isoformat(), "until": until.isoformat()}
        params["environment"] = self.environment
        if self.service:
            params["service"] = self.service
        params.update(extra)
        return self.subject.url(page) + "?" + urlencode(params)

    @property
    def days_text(self) -> str:
        last = self.period.until - timedelta(days=1)
        return f"{self.period.since:%Y-%m-%d} to {last:%Y-%m-%d}"


def team_subject(slug: str) -> Subject:
    team = get_object_or_404(Team, slug=slug)
    projects = tuple(team.projects.order_by("name"))
    return Subject(kind=TEAM, slug=team.slug, name=team.name, projects=projects)
