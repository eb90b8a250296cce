"""`upsert_deployment`, the one write path of every source's deployments, called directly: the
identity of a deployment without an id, a re-post replacing the commit set, an identical retry
changing nothing, and a deployment created by a concurrent delivery updated rather than
duplicated."""

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection as db_connection
from django.db import connections, transaction

from apps.deployments.changes import CommitRef
from apps.deployments.models import Deployment, DeploymentCommit
from apps.deployments.services import DeploymentData, upsert_deployment
from apps.events.models import LifecycleEvent
from apps.marks.models import DirtyDay
from tests.factories import ConnectionFactory

pytestmark = pytest.mark.django_db

REPO = "https://github.com/acme/api"
STARTED = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
FINISHED = STARTED + timedelta(minutes=5)
A, B, C = "a" * 40, "b" * 40, "c" * 40


def deployment(*shas: str, **fields: object) -> DeploymentData:
    values: dict[str, object] = {
        "finished_at": FINISHED,
        "started_at": STARTED,
        "repo_url": REPO,
        "commits": [CommitRef(sha=sha, repo_url=REPO) for sha in shas],
    }
    return DeploymentData(**(values | fields))


def shipped(row: Deployment) -> set[str]:
    return set(
        DeploymentCommit.objects.filter(deployment=row).values_list("commit__sha", flat=True)
    )


@pytest.fixture
def connection():
    return ConnectionFactory()


class TestIdentity:
    def test_the_senders_id_names_the_deployment(self, connection):
        result = upsert_deployment(connection=connection, data=deployment(A, external_id="r-1"))

        assert result.deployment.external_id == "r-1"

    def test_without_an_id_the_pipeline_id_names_it(self, connection):
        result = upsert_deployment(connection=connection, data=deployment(A, pipeline_id="77"))

        assert result.deployment.external_id == "pipeline:77"

    def test_without_either_the_commit_set_start_and_environment_name_it(self, connection):
        first = upsert_deployment(connection=connection, data=deployment(A, B))
        reordered = upsert_deployment(
            connection=connection, data=deployment(B, A, result="FAILURE")
        )

        assert first.deployment.external_id.startswith("digest:")
        assert len(first.deployment.external_id) == len("digest:") + 40
        assert (reordered.created, reordered.changed) == (False, True)
        assert reordered.deployment.pk == first.deployment.pk
        assert Deployment.objects.get().result == "FAILURE"

    def test_the_head_sha_counts_in_the_commit_set(self, connection):
        listed = upsert_deployment(connection=connection, data=deployment(A, B))
        head = upsert_deployment(connection=connection, data=deployment(A, commit_sha=B))

        assert head.deployment.pk == listed.deployment.pk

    @pytest.mark.parametrize(
        "other",
        [
            {"environment": "STAGING"},
            {"started_at": STARTED + timedelta(seconds=1)},
            {"commits": [CommitRef(sha=C, repo_url=REPO)]},
        ],
        ids=["environment", "start", "commits"],
    )
    def test_another_environment_start_or_commit_set_is_another_deployment(self, connection, other):
        first = upsert_deployment(connection=connection, data=deployment(A))
        second = upsert_deployment(connection=connection, data=deployment(A, **other))

        assert second.created
        assert second.deployment.pk != first.deployment.pk

    def test_without_a_start_the_finish_time_stands_in(self, connection):
        first = upsert_deployment(connection=connection, data=deployment(A, started_at=None))
        again = upsert_deployment(
            connection=connection, data=deployment(A, started_at=None, name="renamed")
        )
        started = upsert_deployment(
            connection=connection, data=deployment(A, started_at=FINISHED, name="renamed")
        )

        assert again.deployment.pk == first.deployment.pk
        assert started.deployment.pk == first.deployment.pk  # the same instant, so the same

    def test_the_same_report_on_another_connection_is_another_deployment(self, connection):
        other = ConnectionFactory(project=connection.project)
        mine = upsert_deployment(connection=connection, data=deployment(A))
        theirs = upsert_deployment(connection=other, data=deployment(A))

        assert theirs.created
        assert theirs.deployment.pk != mine.deployment.pk


class TestRepost:
    def test_a_repost_replaces_the_commit_set(self, connection):
        upsert_deployment(connection=connection, data=deployment(A, B, external_id="r"))
        result = upsert_deployment(connection=connection, data=deployment(B, C, external_id="r"))

        assert (result.created, result.changed, result.commit_count) == (False, True, 2)
        assert shipped(result.deployment) == {B, C}
        assert Deployment.objects.count() == 1

    def test_a_repost_with_a_repeated_commit_counts_it_once(self, connection):
        result = upsert_deployment(connection=connection, data=deployment(A, A, B, external_id="r"))

        assert result.commit_count == 2
        assert shipped(result.deployment) == {A, B}

    def test_an_identical_retry_changes_nothing_and_records_no_second_event(self, connection):
        first = upsert_deployment(connection=connection, data=deployment(A, external_id="r"))
        DirtyDay.objects.all().delete()

        retry = upsert_deployment(connection=connection, data=deployment(A, external_id="r"))

        assert (retry.created, retry.changed) == (False, False)
        assert retry.deployment.pk == first.deployment.pk
        assert LifecycleEvent.objects.filter(event="deployment.succeeded").count() == 1
        assert not DirtyDay.objects.exists()  # nothing to rebuild

    def test_moving_a_deployment_to_another_day_marks_both_days(self, connection):
        upsert_deployment(connection=connection, data=deployment(A, external_id="r"))
        DirtyDay.objects.all().delete()
        later = FINISHED + timedelta(days=2)

        moved = upsert_deployment(
            connection=connection, data=deployment(A, external_id="r", finished_at=later)
        )

        assert moved.previous_finished_at == FINISHED
        assert set(DirtyDay.objects.values_list("day", flat=True)) == {
            FINISHED.date(),
            later.date(),
        }


def _hold_a_competing_row(connection, *, digest: str, ready: threading.Event) -> threading.Thread:
    """Another delivery's transaction: it inserts the deployment and commits only once the
    upsert under test waits on the unique index behind it."""

    def compete() -> None:
        try:
            with transaction.atomic():
                Deployment.objects.create(
                    connection=connection,
                    project=connection.project,
                    external_id="r",
                    name="the other delivery",
                    finished_at=FINISHED,
                    payload_digest=digest,
                )
                ready.set()
                with db_connection.cursor() as cursor:
                    for _ in range(200):  # until the other insert waits for this transaction
                        cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
                        if cursor.fetchone()[0]:
                            break
                        time.sleep(0.05)
        finally:
            connections.close_all()

    thread = threading.Thread(target=compete)
    thread.start()
    assert ready.wait(10)
    return thread


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
class TestConcurrentCreation:
    def test_a_row_created_meanwhile_is_updated_with_this_payload(self, connection):
        competitor = _hold_a_competing_row(connection, digest="other", ready=threading.Event())

        result = upsert_deployment(connection=connection, data=deployment(A, B, external_id="r"))
        competitor.join()

        assert (result.created, result.changed) == (False, True)
        # The race branch: the row was not there when this upsert looked for it.
        assert result.previous_finished_at is None
        row = Deployment.objects.get()
        assert row.pk == result.deployment.pk
        assert row.name == f"deployment for {A}"
        assert shipped(row) == {A, B}

    def test_the_same_payload_racing_itself_is_a_duplicate(self, connection):
        data = deployment(A, external_id="r")
        competitor = _hold_a_competing_row(
            connection, digest=data.digest(), ready=threading.Event()
        )

        result = upsert_deployment(connection=connection, data=data)
        competitor.join()

        assert (result.created, result.changed) == (False, False)
        assert Deployment.objects.get().name == "the other delivery"
        assert not LifecycleEvent.objects.exists()  # the other delivery records its own


def test_a_deployment_read_back_from_the_inbox_is_the_one_validated():
    from datetime import UTC, datetime

    from apps.deployments.changes import CommitRef
    from apps.deployments.services import DeploymentData

    data = DeploymentData(
        finished_at=datetime(2024, 5, 1, 12, 5, 0, 250_000, tzinfo=UTC),
        started_at=datetime(2024, 5, 1, 12, 0, tzinfo=UTC),
        commits=(
            CommitRef(
                sha="a" * 40, repo_url="https://github.com/acme/shop", message="fixes SHOP-1"
            ),
            CommitRef(sha="b" * 40, authored_at=datetime(2024, 4, 30, 9, 0, tzinfo=UTC)),
        ),
        external_id="release-7",
        resolves=("SHOP-2",),
        finished_at_is_arrival=True,
    )

    again = DeploymentData.from_json(data.to_json())

    assert again == data
    assert (again.digest(), again.identity()) == (data.digest(), data.identity())
