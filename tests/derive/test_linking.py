"""Which deployment caused an incident (METRICS.md, change failure rate): an explicit link from
the payload first, otherwise the latest production deployment within the link window."""

from datetime import timedelta

import pytest

from apps.issues.models import LinkMethod
from tests.derive.helpers import reload

pytestmark = pytest.mark.django_db


def test_an_incident_links_to_the_latest_production_deployment_before_it(post):
    post.deploy("older", hours=0)
    cause = post.deploy("cause", hours=1)
    post.deploy("attempt", hours=1.5, result="FAILURE")
    post.deploy("staging", hours=1.6, environment="STAGING")
    post.deploy("after", hours=3)

    incident = post.incident("INC-1", hours=2)

    assert reload(incident).deployment == cause
    assert reload(incident).link_method == LinkMethod.WINDOW


def test_an_incident_beyond_the_link_window_stays_unlinked(post, sender):
    project = sender.connection.project
    project.incident_link_window = timedelta(hours=12)
    project.save()
    post.deploy("yesterday", hours=0)

    incident = post.incident("INC-1", hours=13)

    assert reload(incident).deployment is None
    assert reload(incident).link_method == LinkMethod.NONE


def test_a_deployment_named_in_the_payload_wins_over_the_window(post):
    named = post.deploy("release-41", hours=0)
    post.deploy("release-42", hours=1)

    by_external_id = post.incident("INC-1", hours=2, deployment_id="release-41")
    by_dora_hub_id = post.incident("INC-2", hours=2, caused_by=str(named.pk))

    assert reload(by_external_id).deployment == named
    assert reload(by_dora_hub_id).deployment == named
    assert reload(by_external_id).link_method == LinkMethod.PAYLOAD


def test_a_caused_by_sha_links_to_the_deployment_that_shipped_it(post):
    shipped = post.deploy(
        "r1",
        hours=0,
        deploymentCommits=[
            {"repo_url": "r", "commit_sha": "abcdef1234567890" + "0" * 24},
            {"repo_url": "r", "commit_sha": "1" * 40},
        ],
    )
    post.deploy("r2", hours=1)

    incident = post.incident("INC-1", hours=2, caused_by="abcdef12")

    assert reload(incident).deployment == shipped
    assert reload(incident).link_method == LinkMethod.CAUSED_BY


def test_a_root_cause_line_in_the_description_links_to_that_change(post):
    culprit = post.deploy("r1", hours=0, sha="9" * 40)
    post.deploy("r2", hours=1)

    incident = post.incident(
        "INC-1",
        hours=2,
        description="Payments failed for 20 minutes.\nRoot cause: 9999999\nFixed by config.",
    )

    assert reload(incident).deployment == culprit
    assert reload(incident).link_method == LinkMethod.ROOT_CAUSE


def test_an_incident_naming_a_service_links_to_that_services_deployment(post):
    checkout = post.deploy("checkout-7", hours=0, service="checkout")
    post.deploy("search-3", hours=1, service="search")

    incident = post.incident("INC-1", hours=2, service="checkout")

    assert reload(incident).deployment == checkout


def test_a_deployment_arriving_late_is_linked_to_the_incident_it_preceded(post):
    incident = post.incident("INC-1", hours=2)
    assert reload(incident).deployment is None

    late = post.deploy("late", hours=1)

    assert reload(incident).deployment == late


def test_an_explicit_reference_resolves_when_its_deployment_arrives(post):
    post.deploy("nearby", hours=1)
    incident = post.incident("INC-1", hours=2, deployment_id="release-9")
    assert reload(incident).link_method == LinkMethod.WINDOW  # meanwhile

    named = post.deploy("release-9", hours=-30)

    assert reload(incident).deployment == named
    assert reload(incident).link_method == LinkMethod.PAYLOAD


def test_an_incident_moves_when_its_deployment_turns_out_to_have_failed(post):
    before = post.deploy("before", hours=0)
    post.deploy("suspect", hours=1)
    incident = post.incident("INC-1", hours=2)

    post.deploy("suspect", hours=1, result="FAILURE")  # re-posted: it never reached production

    assert reload(incident).deployment == before


def test_the_issue_list_shows_the_link(post, api, sender):
    cause = post.deploy("cause", hours=0)
    post.incident("INC-1", hours=1)

    listed = api.get("/api/v1/issues", **sender.auth).json()["results"][0]

    assert (listed["deployment"], listed["link_method"]) == (cause.pk, "window")


def test_a_root_cause_moves_to_the_deployment_that_first_shipped_it_when_that_arrives(post):
    post.deploy("redeploy", hours=1, sha="9" * 40)
    incident = post.incident("INC-1", hours=2, description="root cause: 9999999")
    assert reload(incident).deployment.external_id == "redeploy"

    first = post.deploy("first", hours=-5, sha="9" * 40)

    assert reload(incident).deployment == first
