"""Issue 16 finding 1: a trigger belongs to a project, to an explicit set of connections, or
(only where an admin says so) to the whole installation; an event fires only the triggers of
its own scope, and the delivery names the project and the connection it came from."""

import json

import pytest
from django.test import Client

from apps.events.models import TriggerDelivery
from apps.events.services import InvalidScope, save_trigger
from tests.events.conftest import make_trigger
from tests.factories import ConnectionFactory, ProjectFactory, token_for

pytestmark = pytest.mark.django_db

SHOP = {
    "id": "rollout-1",
    "repo_url": "https://github.com/acme/shop",
    "commit_sha": "015e3d3b480e417aede5a1293bd61de9b0fd051d",
    "start_time": "2024-05-05T12:00:00Z",
    "end_time": "2024-05-05T12:09:00Z",
    "result": "SUCCESS",
}
PATTERN = "devlake:acme/shop:deployment.succeeded"


@pytest.fixture
def post_deployment(django_capture_on_commit_callbacks):
    def post(connection):
        with django_capture_on_commit_callbacks(execute=True):
            response = Client().post(
                f"/api/rest/plugins/webhook/{connection.pk}/deployments",
                data=json.dumps(SHOP),
                content_type="application/json",
                HTTP_AUTHORIZATION=f"Bearer {token_for(connection)}",
            )
        assert response.status_code == 200, response.content  # DevLake's route answers 200
        return response

    return post


def test_another_projects_token_naming_the_same_repository_does_not_fire_it(
    hook_server, post_deployment
):
    shop = ConnectionFactory(kind="devlake", name="shop-devlake")
    intruder = ConnectionFactory(kind="devlake", name="other-devlake")
    make_trigger(hook_server.url, PATTERN, project=shop.project)

    post_deployment(intruder)

    assert hook_server.received == []
    assert not TriggerDelivery.objects.exists()
    post_deployment(shop)
    [request] = hook_server.received
    assert request.json["project"] == {"id": shop.project.pk, "slug": shop.project.slug}
    assert request.json["connection"] == {"id": shop.pk, "name": "shop-devlake"}
    assert request.headers["X-DoraHub-Project"] == shop.project.slug
    assert request.headers["X-DoraHub-Connection"] == str(shop.pk)


def test_a_trigger_on_a_set_of_connections_hears_only_those(hook_server, post_deployment):
    project = ProjectFactory()
    listed = ConnectionFactory(kind="devlake", project=project)
    unlisted = ConnectionFactory(kind="devlake", project=project)
    make_trigger(hook_server.url, PATTERN, connections=[listed])

    post_deployment(unlisted)
    post_deployment(listed)

    assert [r.json["connection"]["id"] for r in hook_server.received] == [listed.pk]


def test_an_installation_wide_trigger_hears_every_project_and_names_each(
    hook_server, post_deployment
):
    first, second = ConnectionFactory(kind="devlake"), ConnectionFactory(kind="devlake")
    make_trigger(hook_server.url, PATTERN)  # neither project nor connections: all projects

    post_deployment(first)
    post_deployment(second)

    assert [r.headers["X-DoraHub-Project"] for r in hook_server.received] == [
        first.project.slug,
        second.project.slug,
    ]


@pytest.mark.parametrize(
    "scope",
    [
        {},
        {"all_projects": False},
        {"project": "P", "all_projects": True},
        {"project": "P", "connections": "C"},
    ],
    ids=["none", "not-installation-wide", "project-and-everywhere", "project-and-connections"],
)
def test_a_trigger_needs_exactly_one_scope(scope):
    connection = ConnectionFactory()
    scope = {
        key: {"P": connection.project, "C": [connection]}.get(value, value)
        for key, value in scope.items()
    }

    with pytest.raises(InvalidScope):
        save_trigger(
            name="t", patterns=["*:*:*"], url="https://hooks.example.com/", secret="s", **scope
        )


@pytest.mark.parametrize("projects", [1, 2])
def test_the_migration_scopes_the_triggers_saved_before_scopes_existed(projects):
    import importlib

    from django.apps import apps

    from apps.events.models import Trigger

    migration = importlib.import_module("apps.events.migrations.0003_trigger_scope")
    made = [ProjectFactory() for _ in range(projects)]
    old = make_trigger("https://hooks.example.com/", "*:*:*")
    Trigger.objects.filter(pk=old.pk).update(all_projects=False)  # as it was stored before

    migration.scope_existing_triggers(apps, None)

    old.refresh_from_db()
    if projects == 1:  # the only project it could have meant
        assert (old.project, old.all_projects) == (made[0], False)
    else:  # kept hearing everything, explicitly, and every delivery names its project
        assert (old.project, old.all_projects) == (None, True)
