"""What follows an accepted delivery of deployments or incidents (see apps.ingest.followups):
rollbacks, incident causes and resolutions are decided again, then the snapshots of the days the
delivery touched are rebuilt a few seconds later."""

from django.db import transaction

from apps.ingest.followups import on_effect
from apps.issues import linking
from apps.metrics.services import schedule_recompute


@on_effect("deployments")
def after_deployments(ids: list[int]) -> None:
    # Runs inside the after_ingest task, so a failure retries the whole follow-up.
    linking.after_deployments(deployment_ids=ids)
    transaction.on_commit(schedule_recompute)


@on_effect("incidents")
def after_incidents(ids: list[int]) -> None:
    linking.after_incidents(issue_ids=ids)
    transaction.on_commit(schedule_recompute)
