"""Rollbacks and hotfixes: a later deployment that undoes or fixes earlier ones marks them as
failed (change failure rate) and itself as rework (deployment rework rate)."""

import pytest

from tests.derive.helpers import week_figures

pytestmark = pytest.mark.django_db


def remediated(deployment) -> set[str]:
    return set(deployment.remediates.values_list("external_id", flat=True))


def report(sender):
    return week_figures(sender.connection.project)


def test_deploying_an_earlier_sha_again_rolls_back_the_deployments_in_between(post, sender):
    post.deploy("v1", hours=0, sha="1" * 40)
    post.deploy("v2", hours=1, sha="2" * 40)
    post.deploy("v3", hours=2, sha="3" * 40)

    rollback = post.deploy("back-to-v1", hours=3, sha="1" * 40)

    assert remediated(rollback) == {"v2", "v3"}
    figures = report(sender)
    assert figures.change_failure_rate.failed_deployments == 2
    assert figures.rework_rate.rework_deployments == 1


def test_deploying_the_current_sha_again_is_not_a_rollback(post):
    post.deploy("v1", hours=0, sha="1" * 40)

    again = post.deploy("v1-again", hours=1, sha="1" * 40)

    assert remediated(again) == set()


def test_a_deployment_flagged_as_hotfix_or_rollback_remediates_the_one_before(post, sender):
    post.deploy("v1", hours=0)
    post.deploy("v2", hours=1)

    hotfix = post.deploy("v2.1", hours=2, is_hotfix=True)

    assert remediated(hotfix) == {"v2"}
    assert report(sender).change_failure_rate.failed_deployments == 1


def test_a_rollback_that_arrives_before_the_deployments_it_undoes_still_marks_them(post):
    post.deploy("v1", hours=0, sha="1" * 40)
    rollback = post.deploy("back-to-v1", hours=3, sha="1" * 40)
    assert remediated(rollback) == set()  # nothing in between yet

    post.deploy("v2", hours=1, sha="2" * 40)

    assert remediated(rollback) == {"v2"}


def test_another_service_is_not_rolled_back(post):
    post.deploy("api-1", hours=0, sha="1" * 40, service="api")
    post.deploy("web-1", hours=1, sha="2" * 40, service="web")

    redeploy = post.deploy("api-1-again", hours=2, sha="1" * 40, service="api")

    assert remediated(redeploy) == set()
