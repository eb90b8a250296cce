"""A deployment that names only its head commit also contains the commits recorded between it
and the previous deployment of its repository and environment (METRICS.md)."""

from datetime import UTC, datetime, timedelta

import pytest

from apps.deployments.changes import record_change
from apps.deployments.models import Deployment

pytestmark = pytest.mark.django_db

REPO = "https://github.com/acme/shop"
OTHER = "https://github.com/acme/payments"
T0 = datetime(2024, 5, 1, 9, tzinfo=UTC)


@pytest.fixture
def post(api, sender, django_capture_on_commit_callbacks):
    def _post(body: dict) -> None:
        # Each delivery's follow-up work runs after its commit, as in production.
        with django_capture_on_commit_callbacks(execute=True):
            response = api.post(
                f"/api/v1/connections/{sender.connection.pk}/deployments",
                data=body,
                format="json",
                **sender.auth,
            )
        assert response.status_code in (200, 201), response.json()

    return _post


def deploy(post, *, ident, sha, hours, **extra):
    at = T0 + timedelta(hours=hours)
    post(
        {
            "id": ident,
            "repo_url": REPO,
            "commit_sha": sha,
            "start_time": (at - timedelta(minutes=5)).isoformat(),
            "end_time": at.isoformat(),
        }
        | extra
    )
    return Deployment.objects.get(external_id=ident)


def deploy_listing(post, *, ident, shas, hours, repo=REPO):
    post(
        {
            "id": ident,
            "start_time": T0.isoformat(),
            "end_time": (T0 + timedelta(hours=hours)).isoformat(),
            "deploymentCommits": [{"repo_url": repo, "commit_sha": sha} for sha in shas],
        }
    )
    return Deployment.objects.get(external_id=ident)


def push(sender, sha, hours, repo=REPO):
    record_change(
        project=sender.connection.project,
        sha=sha,
        reported_at=T0 + timedelta(hours=hours),
        repo_url=repo,
    )


def shas(deployment):
    return sorted(deployment.deployment_commits.values_list("commit__sha", flat=True))


def test_head_only_deployment_contains_the_commits_pushed_since_the_previous_one(post, sender):
    push(sender, "c0", 0)
    deploy(post, ident="d1", sha="c0", hours=1)
    for hours, sha in enumerate(["c1", "c2", "c3"], start=2):
        push(sender, sha, hours)

    second = deploy(post, ident="d2", sha="c3", hours=6)

    assert shas(second) == ["c1", "c2", "c3"]


def test_commits_already_shipped_and_other_repositories_are_left_out(post, sender):
    push(sender, "c0", 0)
    push(sender, "c1", 1)
    deploy_listing(post, ident="d1", shas=["c0", "c1"], hours=2)  # head c0, ships c1 too
    push(sender, "other-repo", 3, repo="https://github.com/acme/other")
    push(sender, "c2", 4)

    second = deploy(post, ident="d2", sha="c2", hours=5)

    assert shas(second) == ["c2"]


def test_without_a_previous_deployment_only_the_head_is_known(post, sender):
    push(sender, "c1", 0)
    push(sender, "c2", 1)
    assert shas(deploy(post, ident="d1", sha="c2", hours=2)) == ["c2"]


def test_a_deployment_that_lists_its_commits_is_taken_as_sent(post, sender):
    push(sender, "c0", 0)
    deploy(post, ident="d1", sha="c0", hours=1)
    for hours, sha in enumerate(["c1", "c2", "c3"], start=2):
        push(sender, sha, hours)
    assert shas(deploy_listing(post, ident="d2", shas=["c3", "c2"], hours=6)) == ["c2", "c3"]


def test_a_failed_deploy_attempt_is_not_completed(post, sender):
    push(sender, "c0", 0)
    deploy(post, ident="d1", sha="c0", hours=1)
    push(sender, "c1", 2)
    push(sender, "c2", 3)
    assert shas(deploy(post, ident="d2", sha="c2", hours=4, result="FAILURE")) == ["c2"]


@pytest.mark.parametrize("order", [("d1", "d2", "d3"), ("d1", "d3", "d2"), ("d3", "d2", "d1")])
def test_the_result_does_not_depend_on_arrival_order(post, sender, order):
    for hours, sha in enumerate(["a", "a1", "b", "b1", "c"]):
        push(sender, sha, hours)
    heads = {"d1": ("a", 10), "d2": ("b", 11), "d3": ("c", 12)}
    for ident in order:
        sha, hours = heads[ident]
        deploy(post, ident=ident, sha=sha, hours=hours)

    contents = {d.external_id: shas(d) for d in Deployment.objects.all()}
    assert contents == {"d1": ["a"], "d2": ["a1", "b"], "d3": ["b1", "c"]}


def test_a_re_post_as_failed_drops_the_inferred_commits(post, sender):
    push(sender, "c0", 0)
    deploy(post, ident="d1", sha="c0", hours=1)
    push(sender, "c1", 2)
    push(sender, "c2", 3)
    assert shas(deploy(post, ident="d2", sha="c2", hours=4)) == ["c1", "c2"]
    assert shas(deploy(post, ident="d2", sha="c2", hours=4, result="FAILURE")) == ["c2"]


def test_a_change_pushed_after_the_deployment_is_still_contained(post, sender):
    push(sender, "c0", 0)
    deploy(post, ident="d1", sha="c0", hours=1)
    push(sender, "c2", 3)
    d2 = deploy(post, ident="d2", sha="c2", hours=4)
    assert shas(d2) == ["c2"]

    push(sender, "c1", 2)  # its push event arrives late
    assert shas(d2) == ["c1", "c2"]


def test_an_earlier_deployment_listing_an_inferred_commit_takes_it_back(post, sender):
    push(sender, "c0", 0)
    deploy(post, ident="d1", sha="c0", hours=1)
    push(sender, "c1", 2)
    push(sender, "c2", 3)
    d3 = deploy(post, ident="d3", sha="c2", hours=10)
    assert shas(d3) == ["c1", "c2"]

    # Another repository's deployment, finished before d3, already shipped c1.
    deploy_listing(post, ident="other", shas=["x9", "c1"], hours=5, repo=OTHER)
    assert shas(Deployment.objects.get(external_id="d3")) == ["c2"]


def test_a_re_post_that_no_longer_lists_a_commit_lets_the_later_deployment_infer_it(post, sender):
    push(sender, "c0", 0)
    deploy(post, ident="d1", sha="c0", hours=1)
    push(sender, "c1", 2)
    push(sender, "c2", 3)
    deploy_listing(post, ident="other", shas=["x9", "c1"], hours=5, repo=OTHER)
    assert shas(deploy(post, ident="d3", sha="c2", hours=10)) == ["c2"]

    deploy_listing(post, ident="other", shas=["x9"], hours=5, repo=OTHER)  # corrected
    assert shas(Deployment.objects.get(external_id="d3")) == ["c1", "c2"]
