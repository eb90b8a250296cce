"""What the metrics selectors return: one frozen dataclass per figure of METRICS.md."""

from dataclasses import dataclass, field
from datetime import date

from apps.connections.models import Project
from apps.metrics.selectors.periods import Scope


@dataclass(frozen=True)
class DeploymentFrequency:
    deployments: int
    per_day: float | None
    deployment_days: int
    median_deployment_days_per_week: float | None
    failed_attempts: int
    level: str
    median_deployment_days_per_month: float | None = None


@dataclass(frozen=True)
class LeadTime:
    median_seconds: float | None
    p75_seconds: float | None
    p90_seconds: float | None
    changes: int
    skipped: int
    level: str


@dataclass(frozen=True)
class ChangeFailureRate:
    rate: float | None
    failed_deployments: int
    deployments: int
    level: str


@dataclass(frozen=True)
class RestoreTime:
    median_seconds: float | None
    incidents: int
    level: str


@dataclass(frozen=True)
class ReworkRate:
    rate: float | None
    rework_deployments: int
    deployments: int


@dataclass(frozen=True)
class Figures:
    deployment_frequency: DeploymentFrequency
    lead_time: LeadTime
    change_failure_rate: ChangeFailureRate
    time_to_restore: RestoreTime
    failed_deployment_recovery_time: RestoreTime
    rework_rate: ReworkRate


@dataclass(frozen=True)
class SeriesPoint:
    start: date
    deployments: int
    lead_time_median_seconds: float | None
    change_failure_rate: float | None
    time_to_restore_median_seconds: float | None
    failed_attempts: int = 0
    failed_deployments: int = 0
    rework_deployments: int = 0
    rework_rate: float | None = None
    changes: int = 0
    incidents: int = 0
    recovery_median_seconds: float | None = None
    recovered_incidents: int = 0


@dataclass(frozen=True)
class DoraReport:
    scope: Scope
    benchmark: str
    interval: str | None
    source: str  # "snapshots" or "live": where the deployment counts came from
    figures: Figures
    series: list[SeriesPoint]


@dataclass(frozen=True)
class ProjectFigures:
    project: Project
    since: date
    until: date
    source: str
    figures: Figures
    series: list[SeriesPoint] = field(default_factory=list)


@dataclass(frozen=True)
class DayCounts:
    """What a DailySnapshot row holds."""

    deployments: int = 0
    failed_attempts: int = 0
    failed_deployments: int = 0
    rework_deployments: int = 0
    incidents_opened: int = 0
    incidents_resolved: int = 0

    def is_empty(self) -> bool:
        return not any(vars(self).values())
