"""The applier (apps/ingest/applier.py): pending deliveries are applied in batches, each
connection's in arrival order, by one applier at a time; a delivery refused at apply time is
rejected with its error; a batch that fails midway leaves everything pending, nothing doubled;
two appliers at once apply each delivery once."""

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db import OperationalError, connections, transaction

from apps.deployments.models import Deployment
from apps.ingest import applier
from apps.ingest.applier import apply_all, apply_pending
from apps.ingest.models import Delivery, DeliveryStatus
from apps.integrations.native import receivers as native
from apps.issues.models import Issue
from tests.factories import ConnectionFactory, token_for

INCIDENT = {
    "issue_key": "INC-1",
    "title": "checkout down",
    "status": "TODO",
    "type": "INCIDENT",
    "created_date": "2024-03-01T11:00:00Z",
}


def sender():
    connection = ConnectionFactory(kind="devlake")
    return connection, {"HTTP_AUTHORIZATION": f"Bearer {token_for(connection)}"}


def deployment(external_id: str, *shas: str, at: str = "2024-03-01T10:00:00Z") -> dict:
    return {
        "id": external_id,
        "start_time": at,
        "end_time": at,
        "deploymentCommits": [
            {"repo_url": "https://github.com/acme/shop", "commit_sha": sha.ljust(40, "0")}
            for sha in shas
        ],
    }


def post(api, connection, auth, route: str, body: dict):
    response = api.post(
        f"/api/v1/connections/{connection.pk}/{route}", data=body, format="json", **auth
    )
    assert response.status_code == 202, response.content
    return response.json()["delivery_id"]


@contextmanager
def another_applier_holding(connection) -> Iterator[None]:
    """Another applier's transaction holds `connection`'s advisory lock meanwhile."""
    locked, release = threading.Event(), threading.Event()

    def hold():
        try:
            with transaction.atomic(), connections["default"].cursor() as cursor:
                cursor.execute(
                    "SELECT pg_advisory_xact_lock(%s, %s)",
                    [applier.LOCK_NAMESPACE, connection.pk],
                )
                locked.set()
                release.wait(10)
        finally:
            connections["default"].close()

    thread = threading.Thread(target=hold)
    thread.start()
    assert locked.wait(10)
    try:
        yield
    finally:
        release.set()
        thread.join()


def shipped(connection, external_id: str) -> set[str]:
    stored = Deployment.objects.get(connection=connection, external_id=external_id)
    return {sha[:3] for sha in stored.deployment_commits.values_list("commit__sha", flat=True)}


@pytest.mark.django_db
def test_one_batch_applies_mixed_deliveries_and_derives_once_for_all(
    api, production_road, django_capture_on_commit_callbacks
):
    connection, auth = sender()
    post(api, connection, auth, "deployments", deployment("d-1", "aaa"))
    post(api, connection, auth, "issues", INCIDENT)
    post(
        api,
        connection,
        auth,
        "changes",
        {
            "identifier": "bbb".ljust(40, "0"),
            "timestamp": 1709280000,
            "repository": "https://github.com/acme/shop",
        },
    )

    with django_capture_on_commit_callbacks(execute=True):
        batch = apply_pending()

    assert len(batch) == 3
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.ACCEPTED}
    # The incident's follow-up ran with the deployment in place: linked by the window.
    incident = Issue.objects.get(issue_key="INC-1")
    assert incident.deployment == Deployment.objects.get(external_id="d-1")
    assert not Delivery.objects.filter(processed_at__isnull=True).exists()


@pytest.mark.django_db
def test_a_connections_deliveries_apply_in_arrival_order(api, production_road):
    connection, auth = sender()
    for shas in (("aaa",), ("aaa", "bbb"), ("ccc",)):
        post(api, connection, auth, "deployments", deployment("d-1", *shas))

    assert apply_all(limit=2) == 3

    assert shipped(connection, "d-1") == {"ccc"}


@pytest.mark.django_db
def test_a_delivery_refused_at_apply_time_is_rejected_with_its_error_and_the_rest_apply(
    api, production_road
):
    connection, auth = sender()
    post(api, connection, auth, "deployments", deployment("d-1", "aaa"))
    # Stored by an earlier release whose rules took it: this one's refuse it.
    stale = Delivery.objects.create(
        route="deployments",
        route_params={"connection_id": str(connection.pk)},
        connection=connection,
        body=b'{"id": "d-2", "start_time": "yesterday"}',
        status=DeliveryStatus.PENDING,
        received_at=Delivery.objects.get().received_at,
    )
    post(api, connection, auth, "deployments", deployment("d-3", "ccc"))

    assert len(apply_pending()) == 3

    stale.refresh_from_db()
    assert stale.status == DeliveryStatus.REJECTED
    assert stale.response_status == 400
    assert "start_time" in stale.error or "start_time" in str(stale.response_body)
    assert set(Deployment.objects.values_list("external_id", flat=True)) == {"d-1", "d-3"}


@pytest.mark.django_db(transaction=True)
def test_a_batch_that_fails_midway_leaves_everything_pending_and_applies_once_later(
    api, production_road, monkeypatch
):
    connection, auth = sender()
    for i in range(2):
        post(api, connection, auth, "deployments", deployment(f"d-{i}", f"{i:03d}"))
    post(api, connection, auth, "issues", INCIDENT)
    post(api, connection, auth, "deployments", deployment("d-2", "002"))
    real = native.upsert_issue

    def database_goes_away(**kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(native, "upsert_issue", database_goes_away)

    with pytest.raises(OperationalError):
        apply_pending()  # the first two deployments were written when the issue failed

    assert not Deployment.objects.exists()
    assert Delivery.objects.filter(status=DeliveryStatus.PENDING).count() == 4
    monkeypatch.setattr(native, "upsert_issue", real)
    assert apply_all() == 4
    assert Deployment.objects.count() == 3
    assert Issue.objects.count() == 1
    assert Delivery.objects.filter(status=DeliveryStatus.ACCEPTED).count() == 4


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_connection_held_by_one_applier_is_skipped_by_another(api, production_road):
    held, held_auth = sender()
    free, free_auth = sender()
    post(api, held, held_auth, "deployments", deployment("h-1", "aaa"))
    post(api, free, free_auth, "deployments", deployment("f-1", "bbb"))
    with another_applier_holding(held):
        batch = apply_pending()

    assert len(batch) == 1
    assert Deployment.objects.get().external_id == "f-1"
    assert Delivery.objects.get(connection=held).status == DeliveryStatus.PENDING


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_appliers_at_once_apply_every_delivery_once_and_in_order(api, production_road):
    senders = [sender() for _ in range(3)]
    expected: dict[tuple[int, str], set[str]] = {}
    for round_ in range(5):
        for connection, auth in senders:
            for record in ("r1", "r2", "r3"):
                sha = f"{round_}{record[-1]}{connection.pk % 10}"
                post(api, connection, auth, "deployments", deployment(record, sha))
                expected[(connection.pk, record)] = {sha[:3]}
    applied: list[int] = []
    errors: list[BaseException] = []

    def run():
        try:
            applied.append(apply_all(limit=4))
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)
        finally:
            connections["default"].close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    apply_all()  # what either left when it found the other holding the connections

    assert errors == []
    assert not Delivery.objects.filter(status=DeliveryStatus.PENDING).exists()
    assert Delivery.objects.count() == 45
    assert Deployment.objects.count() == 9
    for (connection_pk, record), shas in expected.items():
        connection = next(c for c, _ in senders if c.pk == connection_pk)
        assert shipped(connection, record) == shas


@pytest.mark.django_db
def test_new_deployments_of_a_batch_are_written_in_statements_that_do_not_grow_with_them(
    api, production_road, django_assert_max_num_queries
):
    connection, auth = sender()
    for i in range(60):
        post(api, connection, auth, "deployments", deployment(f"d-{i}", f"a{i:02d}", f"b{i:02d}"))
    post(api, connection, auth, "deployments", deployment("d-7", "a07", "c07"))  # a re-post

    # The 59 new ones in about 15 statements; d-7, sent twice, one delivery at a time (about 18
    # each), so the second applies over the first.
    with django_assert_max_num_queries(56):
        batch = apply_pending()

    assert len(batch) == 61
    assert Deployment.objects.count() == 60
    assert shipped(connection, "d-3") == {"a03", "b03"}
    assert shipped(connection, "d-7") == {"a07", "c07"}
    statuses = Delivery.objects.order_by("pk").values_list("response_status", flat=True)
    assert list(statuses) == [201] * 60 + [200]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_sender_that_waits_past_its_deadline_gets_the_receipt(api, production_road):
    connection, auth = sender()
    with another_applier_holding(connection):
        response = api.post(
            f"/api/v1/connections/{connection.pk}/deployments",
            data=deployment("d-1", "aaa"),
            format="json",
            HTTP_PREFER="wait=1",
            **auth,
        )

    assert response.status_code == 202
    assert "Preference-Applied" not in response
    assert response.json()["status"] == "accepted"
    assert production_road.count == 1  # handed to the applier instead
    assert apply_all() == 1
