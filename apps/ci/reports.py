"""What CI senders report about builds and jobs, and how two reports of one row are ordered.

Deliveries repeat and arrive out of order, so a stored status only moves when the incoming
report is newer (`compare_reports`): the same reports in any order end in the same state.
"""

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from apps.ci.models import Job, Pipeline
from apps.deployments.services import UpsertResult


@dataclass(frozen=True)
class StatusReport:
    """One status as a sender reported it, with what orders it against other reports."""

    status: str  # a CIStatus
    original_status: str
    # When the status began, if the sender says; the strongest ordering evidence.
    at: datetime | None = None
    # Position of `original_status` in the sender's lifecycle (final statuses highest).
    progress: int = 0
    # The status before this change, if the sender says (Cirrus `old_status`).
    previous_status: str = ""


@dataclass(frozen=True)
class PipelineData:
    external_id: str
    report: StatusReport
    name: str = ""
    repo_url: str = ""
    repository_external_id: str = ""
    branch: str = ""
    commit_sha: str = ""
    commit_at: datetime | None = None
    duration_seconds: int | None = None
    triggered_by: str = ""


@dataclass(frozen=True)
class JobData:
    external_id: str
    identity_key: str
    report: StatusReport
    name: str = ""
    job_type: str = ""
    repo_url: str = ""
    repository_external_id: str = ""
    branch: str = ""
    commit_sha: str = ""
    started_at: datetime | None = None
    finished_at: datetime | None = None
    duration_seconds: int | None = None
    triggered_by: str = ""
    properties: Mapping[str, Any] = field(default_factory=dict)
    service: str = ""
    sender_refs: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PipelineWrite:
    pipeline: Pipeline
    created: bool
    changed: bool
    status_changed: bool
    stale: bool  # the report was older than the stored status and was not applied


@dataclass(frozen=True)
class JobWrite:
    job: Job
    created: bool
    changed: bool
    status_changed: bool
    stale: bool
    deployment: UpsertResult | None = None


class Order(enum.Enum):
    OLDER = "older"
    SAME = "same"
    NEWER = "newer"


def compare_reports(*, current: StatusReport, incoming: StatusReport) -> Order:
    """Is `incoming` newer than the stored status, the same one, or older?

    With a time on both, the later time wins (ties go to the later lifecycle position).
    Without, a report moves forward in the lifecycle, or leaves the stored status when it
    says it comes from exactly that status (a re-run of a finished build); anything else is
    an older delivery arriving late."""
    if current.at is not None and incoming.at is not None and incoming.at != current.at:
        return Order.NEWER if incoming.at > current.at else Order.OLDER
    if incoming.original_status == current.original_status:
        return Order.SAME
    both_timed = current.at is not None and incoming.at is not None
    if not both_timed and incoming.previous_status == current.original_status:
        return Order.NEWER
    return Order.NEWER if incoming.progress > current.progress else Order.OLDER
