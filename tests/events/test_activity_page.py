"""The activity page: every lifecycle event, with filters."""

from datetime import UTC, datetime

import pytest
from django.test import Client

from apps.events.services import record_event
from tests.factories import ConnectionFactory, ProjectFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def viewer(client: Client) -> Client:
    client.force_login(UserFactory())
    return client


@pytest.fixture
def history():
    shop = ProjectFactory(slug="shop", name="Shop")
    github = ConnectionFactory(kind="github", project=shop)
    cirrus = ConnectionFactory(kind="cirrus", project=ProjectFactory(slug="pay", name="Pay"))
    rows = [
        (github, "acme/api", "pull_request.merged", datetime(2024, 3, 1, 9, tzinfo=UTC)),
        (github, "acme/web", "deployment.succeeded", datetime(2024, 3, 2, 9, tzinfo=UTC)),
        (github, "other/tool", "deployment.failed", datetime(2024, 3, 3, 9, tzinfo=UTC)),
        (cirrus, "acme/api", "build.needs_approval", datetime(2024, 3, 4, 9, tzinfo=UTC)),
    ]
    for connection, repo, event, when in rows:
        record_event(connection=connection, repo=repo, event=event, occurred_at=when, data={})


def names(response) -> list[str]:
    assert response.status_code == 200
    return [e.name for e in response.context["page"].object_list]


def test_the_page_needs_a_login(client):
    response = client.get("/activity/")
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_events_are_listed_newest_first(viewer, history):
    assert names(viewer.get("/activity/")) == [
        "cirrus:acme/api:build.needs_approval",
        "github:other/tool:deployment.failed",
        "github:acme/web:deployment.succeeded",
        "github:acme/api:pull_request.merged",
    ]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("origin=cirrus", ["cirrus:acme/api:build.needs_approval"]),
        (
            "project=shop&event=deployment.*",
            [
                "github:other/tool:deployment.failed",
                "github:acme/web:deployment.succeeded",
            ],
        ),
        (
            "repo=acme/*&insight=on",
            [
                "github:acme/web:deployment.succeeded",
                "github:acme/api:pull_request.merged",
            ],
        ),
        (
            "repo=ACME/API",
            [
                "cirrus:acme/api:build.needs_approval",
                "github:acme/api:pull_request.merged",
            ],
        ),
        (
            "since=2024-03-02&until=2024-03-04",
            [
                "github:other/tool:deployment.failed",
                "github:acme/web:deployment.succeeded",
            ],
        ),
        ("event=incident.opened", []),
    ],
)
def test_filters_narrow_the_list(viewer, history, query, expected):
    assert names(viewer.get(f"/activity/?{query}")) == expected


def test_an_invalid_filter_is_a_400_naming_it(viewer, history):
    response = viewer.get("/activity/?since=yesterday&origin=nowhere")

    assert response.status_code == 400
    form = response.context["form"]
    assert set(form.errors) == {"since", "origin"}
    assert list(response.context["page"].object_list) == []


def test_the_vocabulary_is_documented_on_the_page(viewer):
    text = viewer.get("/activity/").content.decode()
    assert "build.needs_approval" in text
    assert "A CI build waits for someone to approve it." in text


def test_the_page_uses_the_same_queries_for_many_events(viewer, django_assert_max_num_queries):
    connection = ConnectionFactory(kind="github")
    for n in range(60):
        record_event(
            connection=connection, repo=f"acme/r{n}", event="push", occurred_at=None, data={}
        )
    # session, user, page count, page rows (with project and trigger counts)
    with django_assert_max_num_queries(6):
        response = viewer.get("/activity/?page=2")
    assert len(response.context["page"].object_list) == 10
