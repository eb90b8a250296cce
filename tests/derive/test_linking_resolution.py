"""A successful production deployment that says it resolves an incident closes it at the
deployment's finish time, whichever of the two arrives first."""

from datetime import timedelta

import pytest

from tests.derive.helpers import T0, reload, week_figures

pytestmark = pytest.mark.django_db


def test_a_deployment_listing_the_incident_in_resolves_closes_it_at_its_finish(post):
    incident = post.incident("INC-7", hours=0)

    fix = post.deploy("fix", hours=2, resolves=["INC-7"])

    closed = reload(incident)
    assert closed.status == "DONE"
    assert closed.resolved_at == T0 + timedelta(hours=2)
    assert closed.resolved_by == fix


def test_a_fixes_line_in_a_commit_message_closes_the_incident(post):
    incident = post.incident("INC-7", hours=0)

    post.deploy(
        "fix",
        hours=2,
        deploymentCommits=[
            {"repo_url": "r", "commit_sha": "a" * 40, "commit_msg": "Retry payments\n\nFixes inc-7"}
        ],
    )

    assert reload(incident).resolved_at == T0 + timedelta(hours=2)


def test_only_a_successful_production_deployment_resolves(post):
    incident = post.incident("INC-7", hours=0)

    post.deploy("staging", hours=1, environment="STAGING", resolves=["INC-7"])
    post.deploy("attempt", hours=2, result="FAILURE", resolves=["INC-7"])

    assert reload(incident).status == "TODO"
    assert reload(incident).resolved_at is None


def test_a_key_must_match_exactly(post):
    incident = post.incident("INC-1", hours=0)

    post.deploy(
        "other",
        hours=2,
        deploymentCommits=[{"repo_url": "r", "commit_sha": "a" * 40, "commit_msg": "fixes INC-12"}],
    )

    assert reload(incident).resolved_at is None


def test_an_incident_reported_after_its_fix_was_deployed_is_closed_on_arrival(post):
    fix = post.deploy("fix", hours=2, resolves=["INC-7"])

    incident = post.incident("INC-7", hours=0)

    assert reload(incident).resolved_by == fix
    assert reload(incident).resolved_at == T0 + timedelta(hours=2)


@pytest.mark.parametrize("order", ["early fix first", "late fix first"])
def test_the_earliest_fix_resolves_whatever_the_arrival_order(post, order):
    incident = post.incident("INC-7", hours=0)
    fixes = [("early", 2), ("late", 5)]
    if order == "late fix first":
        fixes.reverse()
    for name, hours in fixes:
        post.deploy(name, hours=hours, resolves=["INC-7"])

    assert reload(incident).resolved_by.external_id == "early"
    assert reload(incident).resolved_at == T0 + timedelta(hours=2)


def test_a_resolution_reported_by_the_source_stands_and_the_fix_still_counts_as_rework(
    post, sender
):
    incident = post.incident(
        "INC-7", hours=0, status="DONE", resolution_date=(T0 + timedelta(hours=1)).isoformat()
    )

    fix = post.deploy("fix", hours=3, resolves=["INC-7"])

    assert reload(incident).resolved_at == T0 + timedelta(hours=1)
    assert reload(incident).resolved_by == fix
    assert week_figures(sender.connection.project).rework_rate.rework_deployments == 1


def test_a_deployment_can_close_incidents_of_another_connection_of_the_project(post, api, sender):
    from tests.derive.helpers import Sender
    from tests.factories import ConnectionFactory, token_for

    pager = ConnectionFactory(project=sender.connection.project)
    other = Sender(api, type(sender)(pager, token_for(pager)), post.capture)
    incident = other.incident("PD-3", hours=0)

    post.deploy("fix", hours=1, resolves=["PD-3"])

    assert reload(incident).status == "DONE"


def test_a_fix_named_only_in_a_commit_message_pushed_after_the_deployment_still_closes(
    post, sender
):
    from apps.deployments.changes import CommitRef, record_changes

    fix = post.deploy("fix", hours=2, deploymentCommits=[{"repo_url": "r", "commit_sha": "a" * 40}])
    # The push carrying the change's message arrives after the deployment did.
    record_changes(
        project=sender.connection.project,
        refs=[CommitRef(sha="a" * 40, message="Retry payments\n\nFixes INC-7")],
        reported_at=T0 + timedelta(hours=3),
    )

    incident = post.incident("INC-7", hours=0)

    assert reload(incident).resolved_by == fix
    assert reload(incident).resolved_at == T0 + timedelta(hours=2)


def test_a_message_corrected_by_an_admin_moves_the_resolution(
    post, django_capture_on_commit_callbacks
):
    from apps.deployments.models import Commit
    from apps.operations.corrections import correct_commit

    incident = post.incident("INC-7", hours=0)
    post.deploy(
        "fix",
        hours=2,
        deploymentCommits=[{"repo_url": "r", "commit_sha": "a" * 40, "commit_msg": ""}],
    )
    assert reload(incident).resolved_at is None

    with django_capture_on_commit_callbacks(execute=True):
        correct_commit(
            commit_id=Commit.objects.get(sha="a" * 40).pk, values={"message": "closes INC-7"}
        )

    assert reload(incident).resolved_by.external_id == "fix"


def test_finding_the_resolving_deployment_is_one_query_however_many_deployments(
    post, sender, django_assert_max_num_queries
):
    from apps.deployments.resolutions import refresh_resolved_keys
    from apps.derive.linking import resolving_deployment
    from tests.factories import DeploymentCommitFactory, DeploymentFactory

    incident = post.incident("INC-7", hours=0)
    noise = []
    for n in range(20):  # later production deployments that mention the key but fix others
        deployment = DeploymentFactory(
            connection=sender.connection, finished_at=T0 + timedelta(hours=1 + n)
        )
        DeploymentCommitFactory(deployment=deployment, message=f"after INC-7: fixes INC-10{n}")
        noise.append(deployment.pk)
    refresh_resolved_keys(deployment_ids=noise)
    fix = post.deploy("fix", hours=30, resolves=["inc-7"])
    incident = reload(incident)

    with django_assert_max_num_queries(1):
        assert resolving_deployment(incident) == fix


def test_deciding_many_incidents_that_no_deployment_names_costs_two_queries(
    post, sender, django_assert_max_num_queries
):
    from apps.derive.linking import resolve_incidents
    from tests.factories import IssueFactory

    post.deploy("fix", hours=2, resolves=["OPS-1"])  # names another key
    incidents = IssueFactory.create_batch(30, connection=sender.connection)

    with django_assert_max_num_queries(2):  # the incidents, then which keys have rows
        assert resolve_incidents(issue_ids=[i.pk for i in incidents]) == 0
