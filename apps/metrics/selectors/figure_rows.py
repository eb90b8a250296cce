"""The rows behind each figure of a scope: the lists a figure links to reproduce it.

Every queryset here is built from the same query pieces as the figures (the other modules of
this package), so a list's count (and, for a median, the median of its rows) equals the figure
it was opened from (docs/dashboards.md, "Contract for tests").
"""

from typing import Any, cast

from django.db.models import (
    BooleanField,
    Case,
    Count,
    F,
    Min,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
)

from apps.core.aggregates import EpochSeconds, Percentile
from apps.deployments.models import Deployment, DeploymentCommit
from apps.issues.models import Issue
from apps.metrics.selectors.definitions import (
    FAILED_ATTEMPT_RESULTS,
    SUCCESS,
    failed_deployment_q,
    incident_environment_q,
    rework_deployment_q,
)
from apps.metrics.selectors.deployments import deployments_of
from apps.metrics.selectors.incidents import _incidents
from apps.metrics.selectors.lead_times import shipped_first_in
from apps.metrics.selectors.periods import Scope
from apps.metrics.selectors.query import scope_slice

DEPLOYMENT_FIGURES = ("deployments", "failed_attempts", "change_failure_rate", "rework_rate")
INCIDENT_FIGURES = ("time_to_restore", "recovery_time", "open_incidents")
# Aliases a figure may be linked under.
FIGURE_ALIASES = {"deployment_frequency": "deployments"}


def _flag(condition: Q) -> Case:
    return Case(
        When(condition, then=Value(True)), default=Value(False), output_field=BooleanField()
    )


def deployment_rows(*, scope: Scope, figure: str = "") -> QuerySet[Deployment]:
    """The deployments and attempts of `scope` (any result), or those behind `figure`:
    `deployments` (successful ones), `failed_attempts` (FAILURE/ABORT), `change_failure_rate`
    (successful ones that failed afterwards) or `rework_rate` (unplanned fixes).

    Each row says whether it failed and whether it is rework, apart from its result, with the
    incidents and remediating deployments that made it fail."""
    figure = FIGURE_ALIASES.get(figure, figure)
    queryset = deployments_of(scope_slice(scope))
    if figure == "deployments":
        queryset = queryset.filter(SUCCESS)
    elif figure == "failed_attempts":
        queryset = queryset.filter(result__in=FAILED_ATTEMPT_RESULTS)
    elif figure == "change_failure_rate":
        queryset = queryset.filter(SUCCESS & failed_deployment_q())
    elif figure == "rework_rate":
        queryset = queryset.filter(SUCCESS & rework_deployment_q())
    elif figure:
        raise ValueError(f"no deployment figure {figure!r}")
    return (
        queryset.select_related("project", "repository")
        .annotate(
            failed=_flag(SUCCESS & failed_deployment_q()),
            rework=_flag(SUCCESS & rework_deployment_q()),
            commit_count=Count("deployment_commits", distinct=True),
        )
        .prefetch_related(
            Prefetch(
                "incidents",
                queryset=Issue.objects.filter(is_incident=True).order_by("created_at", "pk"),
            ),
            Prefetch("remediated_by", queryset=Deployment.objects.order_by("finished_at", "pk")),
        )
        .order_by("-finished_at", "-id")
    )


def change_rows(*, scope: Scope) -> QuerySet[DeploymentCommit]:
    """The changes whose first successful deployment to the scope's environment lies in the
    period, each with its start, that deployment and its lead time (`lead`, seconds); those
    with no start or a lead time <= 0 are the skipped ones (`counted` is False)."""
    return (
        shipped_first_in(scope_slice(scope))
        .select_related("commit", "deployment", "deployment__project", "repository")
        .annotate(counted=_flag(Q(lead__gt=0)))
        .order_by("-shipped_at", "-deployment_id", "commit_id")  # type: ignore[misc]  # annotation shipped_at unknown to django-stubs
    )


def skip_reason(row: DeploymentCommit) -> str:
    """Why a change is left out of the lead time (METRICS.md)."""
    lead = getattr(row, "lead", None)
    if lead is None:
        return "start unknown: no commit time, no reported change"
    if lead <= 0:
        return "started after its first deployment finished (clock skew or automated push)"
    return ""


def incident_rows(*, scope: Scope, figure: str = "") -> QuerySet[Issue]:
    """The incidents of `scope`: created in the period, or those behind `figure`:
    `time_to_restore` (resolved in the period), `recovery_time` (resolved in the period and
    linked to a deployment with a finish time) or `open_incidents` (unresolved now, whatever
    the period). Each carries `restore` and `recovery` in seconds."""
    piece = scope_slice(scope)
    if figure in ("time_to_restore", "recovery_time"):
        queryset = _incidents(piece, on="resolved_at")
    elif figure == "open_incidents":
        queryset = Issue.objects.filter(
            incident_environment_q(piece.environment), is_incident=True, resolved_at__isnull=True
        )
        if piece.project_ids is not None:
            queryset = queryset.filter(project_id__in=piece.project_ids)
        if piece.service:
            queryset = queryset.filter(
                Q(service=piece.service) | Q(deployment__service=piece.service)
            )
    elif not figure:
        queryset = _incidents(piece, on="created_at")
    else:
        raise ValueError(f"no incident figure {figure!r}")
    queryset = queryset.annotate(
        restore=EpochSeconds("resolved_at") - EpochSeconds("created_at"),
        recovery=EpochSeconds("resolved_at") - EpochSeconds("deployment__finished_at"),
    )
    if figure == "recovery_time":
        queryset = queryset.filter(recovery__isnull=False)
    order = ("created_at", "id") if figure == "open_incidents" else ("-created_at", "-id")
    return queryset.select_related("project", "deployment", "resolved_by").order_by(*order)


def median_of(queryset: QuerySet[Any], field: str) -> float | None:
    """The true median of `field` over the rows (the one aggregate every figure uses)."""
    median = queryset.order_by().aggregate(m=Percentile(F(field), fraction=0.5))["m"]
    return cast(float | None, median)


def lead_time_median(rows: QuerySet[DeploymentCommit]) -> float | None:
    return median_of(rows.filter(lead__gt=0), "lead")  # type: ignore[misc]  # annotation lead unknown to django-stubs


def open_incident_summary(*, scope: Scope) -> dict[str, Any]:
    """How many incidents are open now and when the oldest was created (one query)."""
    return (
        incident_rows(scope=scope, figure="open_incidents")
        .order_by()
        .aggregate(count=Count("pk"), oldest=Min("created_at"))
    )


def unlinked_incident_count(*, scope: Scope) -> int:
    """Incidents created in the period that no rule linked to a deployment."""
    return incident_rows(scope=scope).filter(deployment__isnull=True).count()


def open_incidents_by_project(
    *, project_ids: list[int], environment: str
) -> dict[int, dict[str, Any]]:
    """Per project: incidents open now and the oldest one's creation (one query)."""
    rows = (
        Issue.objects.filter(
            incident_environment_q(environment),
            is_incident=True,
            resolved_at__isnull=True,
            project_id__in=project_ids,
        )
        .order_by()
        .values("project_id")
        .annotate(count=Count("pk"), oldest=Min("created_at"))
    )
    return {row["project_id"]: cast(dict[str, Any], row) for row in rows}


def successful_deployments(*, scope: Scope) -> QuerySet[Deployment]:
    """The deployments the scope's figures count, without the list annotations."""
    return deployments_of(scope_slice(scope)).filter(SUCCESS)


def incidents_created(*, scope: Scope) -> QuerySet[Issue]:
    """The incidents created in the scope's period, without the list annotations."""
    return _incidents(scope_slice(scope), on="created_at")
