"""How GitHub's words map to DORA Hub's: environments, deployment states, run conclusions."""

import re
from datetime import datetime
from typing import Any

from apps.ci.models import CIStatus
from apps.deployments.models import DeploymentResult, Environment

FULL_SHA = re.compile(r"^[0-9a-f]{40}$")

# GitHub environment names are free text: the usual words pick the environment.
ENVIRONMENT_WORDS = (
    (Environment.PRODUCTION, {"production", "prod"}),
    (Environment.STAGING, {"staging", "stage", "stg"}),
    (Environment.TESTING, {"test", "testing", "qa"}),
)
DEPLOYMENT_STATES = {
    "success": DeploymentResult.SUCCESS,
    "failure": DeploymentResult.FAILURE,
    "error": DeploymentResult.FAILURE,
}
# workflow_run conclusions -> (CI status, lifecycle position); "completed" is final.
RUN_CONCLUSIONS = {
    "success": CIStatus.SUCCESS,
    "failure": CIStatus.FAILURE,
    "timed_out": CIStatus.FAILURE,
    "startup_failure": CIStatus.FAILURE,
    "cancelled": CIStatus.ABORTED,
    "action_required": CIStatus.ON_HOLD,
    "skipped": CIStatus.SKIPPED,
    "neutral": CIStatus.SKIPPED,
    "stale": CIStatus.SKIPPED,
}
COMPLETED_PROGRESS = 10


def environment_for(name: str, *, production: bool = False) -> str:
    if production:
        return Environment.PRODUCTION
    words = set(re.split(r"[^a-z0-9]+", name.lower()))
    for environment, names in ENVIRONMENT_WORDS:
        if words & names:
            return environment
    return Environment.DEVELOPMENT


def is_late(*, stored: Any, result: str, at: datetime) -> bool:
    """GitHub does not order deliveries: a finished deployment never moves back to in
    progress, nor to a status older than the one that finished it."""
    if stored.result == DeploymentResult.IN_PROGRESS:
        return False
    if result == DeploymentResult.IN_PROGRESS:
        return True
    return stored.finished_at is not None and at < stored.finished_at
