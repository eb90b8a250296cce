"""The issue keys a deployment resolves are stored as rows whenever what they come from is
written: its `resolves` list, its commit set (listed or inferred), and its commits' messages
(as listed, and the change's own, also when that arrives after the deployment). The rows are
always what `resolved_keys` computes from the deployment's other rows."""

from datetime import UTC, datetime, timedelta

import pytest

from apps.deployments.changes import CommitRef, record_change, record_changes
from apps.deployments.models import KEY_MAX_LENGTH, Deployment, ResolvedKey
from apps.deployments.resolutions import keys_in, refresh_resolved_keys, resolved_keys
from apps.deployments.services import DeploymentData, upsert_deployment
from apps.derive.services import after_deployments
from tests.factories import ConnectionFactory, DeploymentCommitFactory, DeploymentFactory

pytestmark = pytest.mark.django_db

REPO = "https://github.com/acme/api"
OTHER = "https://github.com/acme/payments"
T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
A, B, C, D = "a" * 40, "b" * 40, "c" * 40, "d" * 40


@pytest.fixture
def connection():
    return ConnectionFactory()


def deploy(connection, *refs: CommitRef, ident="d1", hours=1.0, repo=REPO, **fields) -> Deployment:
    at = T0 + timedelta(hours=hours)
    data = DeploymentData(
        external_id=ident,
        finished_at=at,
        started_at=at - timedelta(minutes=5),
        repo_url=repo,
        commits=list(refs),
        commit_sha=refs[-1].sha if refs else "",
        **fields,
    )
    deployment = upsert_deployment(connection=connection, data=data).deployment
    after_deployments(deployment_ids=[deployment.pk])  # inference, as the follow-up runs it
    return deployment


def ref(sha: str, message: str = "", repo: str = REPO) -> CommitRef:
    return CommitRef(sha=sha, repo_url=repo, message=message)


def stored(deployment: Deployment) -> set[str]:
    keys = set(ResolvedKey.objects.filter(deployment=deployment).values_list("key", flat=True))
    # Whatever wrote them, the rows are what the deployment's other rows say.
    assert keys == resolved_keys(deployment)
    return keys


class TestTheKeysOfOneDeployment:
    def test_its_resolves_list_is_stored_upper_cased_with_its_project(self, connection):
        deployment = deploy(connection, ref(A), resolves=["inc-1", " OPS-2 ", ""])

        assert stored(deployment) == {"INC-1", "OPS-2"}
        assert set(ResolvedKey.objects.values_list("project_id", flat=True)) == {
            connection.project_id
        }

    def test_the_phrases_of_its_commit_messages_are_stored(self, connection):
        deployment = deploy(
            connection,
            ref(A, "Retry payments\n\nFixes inc-7, closes #12"),
            ref(B, "resolved: OPS-3"),
            ref(C, "mentions INC-9 without saying it fixes it"),
        )

        assert stored(deployment) == {"INC-7", "12", "OPS-3"}

    def test_a_change_recorded_with_its_message_before_the_deployment_counts(self, connection):
        record_change(project=connection.project, sha=A, reported_at=T0, message="closes INC-4")

        deployment = deploy(connection, ref(A))  # listed without a message

        assert stored(deployment) == {"INC-4"}

    def test_a_key_too_long_to_name_an_issue_is_not_stored(self, connection):
        deployment = deploy(connection, ref(A), resolves=["X" * (KEY_MAX_LENGTH + 1), "INC-1"])

        assert set(deployment.resolved_keys.values_list("key", flat=True)) == {"INC-1"}

    def test_a_deployment_naming_no_key_has_no_rows(self, connection):
        deploy(connection, ref(A, "Bump the version"))

        assert not ResolvedKey.objects.exists()


class TestARepost:
    def test_other_resolves_replace_the_keys(self, connection):
        deploy(connection, ref(A), resolves=["INC-1", "INC-2"])

        deployment = deploy(connection, ref(A), resolves=["INC-2", "INC-3"])

        assert stored(deployment) == {"INC-2", "INC-3"}

    def test_a_commit_no_longer_listed_takes_its_key_away(self, connection):
        deploy(connection, ref(A, "fixes INC-1"), ref(B, "fixes INC-2"))

        deployment = deploy(connection, ref(B, "fixes INC-2"))

        assert stored(deployment) == {"INC-2"}

    def test_a_listed_message_rewritten_changes_the_key(self, connection):
        deploy(connection, ref(A, "fixes INC-1"))

        deployment = deploy(connection, CommitRef(sha=A, repo_url=REPO, message="fixes INC-8"))

        # The change keeps the message it was first recorded with; the deployment's own changed.
        assert stored(deployment) == {"INC-1", "INC-8"}

    def test_an_identical_retry_keeps_the_keys(self, connection):
        deploy(connection, ref(A, "fixes INC-1"), resolves=["INC-2"])

        deployment = deploy(connection, ref(A, "fixes INC-1"), resolves=["INC-2"])

        assert stored(deployment) == {"INC-1", "INC-2"}
        assert ResolvedKey.objects.count() == 2


class TestAMessageArrivingAfterTheDeployment:
    def test_a_push_with_the_changes_message_adds_its_key(self, connection):
        deployment = deploy(connection, ref(A), ref(B))
        assert stored(deployment) == set()

        record_changes(
            project=connection.project,
            refs=[ref(A, "Fixes INC-5"), ref(B, "tidy up")],
            reported_at=T0 + timedelta(hours=2),
        )

        assert stored(deployment) == {"INC-5"}

    def test_one_change_reported_with_its_message_adds_its_key(self, connection):
        deployment = deploy(connection, ref(A))

        record_change(
            project=connection.project,
            sha=A,
            reported_at=T0,
            repo_url=REPO,
            message="Merge pull request #9: resolves OPS-1",
        )

        assert stored(deployment) == {"OPS-1"}

    def test_every_deployment_shipping_the_change_gains_the_key(self, connection):
        staging = deploy(connection, ref(A), ident="staging", environment="STAGING")
        production = deploy(connection, ref(A), ident="production", hours=2)

        record_changes(project=connection.project, refs=[ref(A, "fixes INC-5")], reported_at=T0)

        assert stored(staging) == stored(production) == {"INC-5"}


def deployed_then_pushed(connection):
    """A deployed, then B ("fixes INC-1") and C pushed: a head-only deployment of C infers B."""
    record_change(project=connection.project, sha=A, reported_at=T0, repo_url=REPO)
    deploy(connection, ref(A), ident="d1", hours=1)
    record_change(
        project=connection.project,
        sha=B,
        reported_at=T0 + timedelta(hours=2),
        repo_url=REPO,
        message="fixes INC-1",
    )
    record_change(
        project=connection.project, sha=C, reported_at=T0 + timedelta(hours=3), repo_url=REPO
    )


class TestInferredCommits:
    """A deployment naming only its head also contains the changes pushed since the previous
    one (apps.deployments.inference): their messages' keys are its keys."""

    def test_an_inferred_change_brings_its_key(self, connection):
        deployed_then_pushed(connection)

        d2 = deploy(connection, ref(C), ident="d2", hours=4)

        assert stored(d2) == {"INC-1"}

    def test_a_change_no_longer_inferred_takes_its_key_away(self, connection):
        deployed_then_pushed(connection)
        d3 = deploy(connection, ref(C), ident="d3", hours=10)
        assert stored(d3) == {"INC-1"}

        # Another repository's deployment, finished before d3, already shipped B.
        other = deploy(
            connection, ref(B, repo=OTHER), ref(D, repo=OTHER), ident="other", hours=5, repo=OTHER
        )

        assert stored(Deployment.objects.get(pk=d3.pk)) == set()
        assert stored(other) == {"INC-1"}


class TestRefresh:
    def test_rows_written_without_the_writers_are_filled_and_stale_ones_removed(self, connection):
        deployment = DeploymentFactory(connection=connection, resolves=["INC-1"])
        DeploymentCommitFactory(deployment=deployment, message="closes INC-2")
        ResolvedKey.objects.create(deployment=deployment, project=connection.project, key="INC-OLD")

        written = refresh_resolved_keys(deployment_ids=[deployment.pk])

        assert written == 3  # two inserted, one deleted
        assert stored(deployment) == {"INC-1", "INC-2"}
        assert refresh_resolved_keys(deployment_ids=[deployment.pk]) == 0

    def test_many_deployments_take_a_bounded_number_of_queries(
        self, connection, django_assert_max_num_queries
    ):
        deployments = [
            DeploymentFactory(connection=connection, resolves=[f"INC-{n}"]) for n in range(30)
        ]
        for deployment in deployments:
            DeploymentCommitFactory(deployment=deployment, message=f"fixes OPS-{deployment.pk}")

        with django_assert_max_num_queries(4):
            refresh_resolved_keys(deployment_ids=[d.pk for d in deployments])

        assert ResolvedKey.objects.count() == 60

    def test_deleting_a_deployment_deletes_its_keys(self, connection):
        deployment = deploy(connection, ref(A), resolves=["INC-1"])

        deployment.delete()

        assert not ResolvedKey.objects.exists()


@pytest.mark.parametrize(
    ("resolves", "messages", "keys"),
    [
        (["inc-1"], [], {"INC-1"}),
        ([42, " x-1 "], [], {"42", "X-1"}),
        ([], ["Fix: #77", "fixed abc-3", "Closes  ops_2-4"], {"77", "ABC-3", "OPS_2-4"}),
        ([], ["prefix INC-1", "fixing INC-2", "fixes -3"], set()),
        (None, [None, ""], set()),
    ],
)
def test_the_keys_a_resolves_list_and_messages_name(resolves, messages, keys):
    assert keys_in(resolves=resolves, messages=messages) == keys
