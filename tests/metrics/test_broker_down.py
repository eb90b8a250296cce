"""With the broker down, webhooks are still accepted and figures stay current (computed from the
rows); once the broker is back, the reconciliation runs the follow-ups that never ran."""

from datetime import UTC, date, datetime, timedelta

from apps.ingest.models import Delivery
from apps.issues.models import Issue, LinkMethod
from apps.metrics.models import DailySnapshot
from apps.operations.tasks import reconcile

UNUSED_BROKER = "redis://127.0.0.1:6390/0"
NOON = datetime(2024, 3, 5, 12, tzinfo=UTC)


def post(api, sender, route, body):
    return api.post(
        f"/api/v1/connections/{sender.connection.pk}/{route}",
        data=body,
        format="json",
        **sender.auth,
    )


def test_webhooks_are_accepted_while_the_broker_is_down_and_reconcile_catches_up(
    api, sender, staff_client, celery_app_with
):
    celery_app_with(task_always_eager=False, broker_url=UNUSED_BROKER)

    deployed = post(
        api,
        sender,
        "deployments",
        {
            "id": "d1",
            "repo_url": "r",
            "commit_sha": "a" * 40,
            "start_time": NOON.isoformat(),
            "end_time": NOON.isoformat(),
        },
    )
    reported = post(
        api,
        sender,
        "issues",
        {
            "issue_key": "INC-1",
            "title": "down",
            "type": "INCIDENT",
            "status": "TODO",
            "created_date": (NOON + timedelta(hours=1)).isoformat(),
        },
    )

    assert (deployed.status_code, reported.status_code) == (201, 201)
    assert Delivery.objects.filter(processed_at__isnull=True).count() == 2
    assert Issue.objects.get().link_method == LinkMethod.NONE  # its follow-up has not run
    figures = staff_client.get(
        "/api/v1/metrics/dora", {"since": "2024-03-01", "until": "2024-04-01"}
    ).json()
    assert figures["deployment_frequency"]["deployments"] == 1  # read from the rows meanwhile

    celery_app_with(task_always_eager=True)  # the broker is back
    summary = reconcile(older_than_seconds=0)

    assert summary["requeued"] == 2
    assert not Delivery.objects.filter(processed_at__isnull=True).exists()
    assert Issue.objects.get().link_method == LinkMethod.WINDOW
    snapshot = DailySnapshot.objects.get(day=date(2024, 3, 5))
    assert (snapshot.deployments, snapshot.failed_deployments) == (1, 1)


def test_reconcile_leaves_recent_deliveries_to_the_worker(api, sender, celery_app_with):
    celery_app_with(task_always_eager=False, broker_url=UNUSED_BROKER)
    post(
        api,
        sender,
        "deployments",
        {"repo_url": "r", "commit_sha": "b" * 40, "start_time": NOON.isoformat()},
    )
    celery_app_with(task_always_eager=True)

    summary = reconcile()  # default: only deliveries older than DORAHUB_RECONCILE_AFTER_SECONDS

    assert summary["stranded"] == 0
    assert Delivery.objects.get().processed_at is None
