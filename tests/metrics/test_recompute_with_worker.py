"""With a real broker and worker: a webhook leads to an updated snapshot with no manual step,
and a burst of webhooks costs a few recomputes, not one each."""

from datetime import UTC, date, datetime

import pytest
from celery.signals import task_postrun

from apps.marks.services import request_recompute
from apps.metrics.models import DailySnapshot
from tests.conftest import wait_for

pytestmark = pytest.mark.celery_worker

NOON = datetime(2024, 3, 5, 12, tzinfo=UTC)
RECOMPUTE = "apps.metrics.tasks.recompute_metrics"


def deploy(api, sender, n: int):
    return api.post(
        f"/api/v1/connections/{sender.connection.pk}/deployments",
        data={
            "id": f"d{n}",
            "repo_url": "r",
            "commit_sha": f"{n:040x}",
            "start_time": NOON.isoformat(),
            "end_time": NOON.isoformat(),
        },
        format="json",
        **sender.auth,
    )


def deployments_in_snapshot() -> int:
    snapshot = DailySnapshot.objects.filter(day=date(2024, 3, 5)).first()
    return snapshot.deployments if snapshot else 0


@pytest.fixture
def recompute_runs():
    runs = []

    def count(sender=None, **kwargs):
        if sender is not None and sender.name == RECOMPUTE:
            runs.append(kwargs.get("task_id"))

    task_postrun.connect(count, weak=False)
    yield runs
    task_postrun.disconnect(count)


def test_a_webhook_updates_the_snapshot_without_any_manual_step(
    api, sender, settings, celery_worker_on_redis
):
    settings.DORAHUB_RECOMPUTE_DELAY_SECONDS = 1

    assert deploy(api, sender, 1).status_code == 201

    assert wait_for(lambda: deployments_in_snapshot() == 1)


def test_a_burst_of_webhooks_is_recomputed_a_few_times_not_once_each(
    api, sender, settings, celery_worker_on_redis, recompute_runs
):
    settings.DORAHUB_RECOMPUTE_DELAY_SECONDS = 2
    burst = 25

    for n in range(burst):
        assert deploy(api, sender, n).status_code == 201

    assert wait_for(lambda: deployments_in_snapshot() == burst, timeout=30)
    assert 1 <= len(recompute_runs) <= 5


def test_requests_for_a_recompute_while_one_is_pending_are_coalesced(celery_app_with, settings):
    import os

    app = celery_app_with(task_always_eager=False, broker_url=os.environ["REDIS_URL"])
    queue = app.connection_for_write().default_channel.client
    queue.flushdb()

    sent = [request_recompute() for _ in range(1000)]

    assert sent.count(True) == 1
    assert queue.llen("celery") == 1
    queue.flushdb()
