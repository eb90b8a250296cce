"""Reads of METRICS.md: every figure of a scope, aggregated by the database.

The modules, top to bottom: `periods` (scopes, periods, buckets), `results` (what is returned),
`definitions` (a failed deployment, a rework deployment, an incident's environment), `query`
(slices and grouping), `sources` (snapshots or rows), `deployments`, `lead_times`, `incidents`
(the figures' queries), `reports` (the public selectors assembling them). New read code goes into
the module of its concern; the names below stay importable from the package.
"""

from apps.metrics.selectors.definitions import (
    FAILED_ATTEMPT_RESULTS,
    SUCCESS,
    failed_deployment_q,
    incident_environment_q,
    rework_deployment_q,
)
from apps.metrics.selectors.periods import (
    DEFAULT_PERIOD_DAYS,
    INTERVALS,
    PRODUCTION,
    Scope,
    bucket_start,
    bucket_starts,
    default_period,
    next_bucket,
)
from apps.metrics.selectors.query import within_local_days
from apps.metrics.selectors.reports import day_counts, dora_by_project, dora_report
from apps.metrics.selectors.results import (
    ChangeFailureRate,
    DayCounts,
    DeploymentFrequency,
    DoraReport,
    Figures,
    LeadTime,
    ProjectFigures,
    RestoreTime,
    ReworkRate,
    SeriesPoint,
)
from apps.metrics.selectors.sources import MAX_MARKED_DAYS

__all__ = [
    "DEFAULT_PERIOD_DAYS",
    "FAILED_ATTEMPT_RESULTS",
    "INTERVALS",
    "MAX_MARKED_DAYS",
    "PRODUCTION",
    "SUCCESS",
    "ChangeFailureRate",
    "DayCounts",
    "DeploymentFrequency",
    "DoraReport",
    "Figures",
    "LeadTime",
    "ProjectFigures",
    "RestoreTime",
    "ReworkRate",
    "Scope",
    "SeriesPoint",
    "bucket_start",
    "bucket_starts",
    "day_counts",
    "default_period",
    "dora_by_project",
    "dora_report",
    "failed_deployment_q",
    "incident_environment_q",
    "next_bucket",
    "rework_deployment_q",
    "within_local_days",
]
