"""Recording lifecycle events and turning them into trigger deliveries."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.events.models import LifecycleEvent, TriggerDelivery
from apps.events.services import find_stalled, record_event
from apps.events.tasks import reconcile_triggers
from tests.events.conftest import make_trigger
from tests.factories import ConnectionFactory, ProjectFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def github():
    return ConnectionFactory(kind="github", project=ProjectFactory(slug="shop"))


def record(connection, event="pull_request.merged", repo="acme/api", **kwargs):
    return record_event(
        connection=connection,
        repo=repo,
        event=event,
        occurred_at=kwargs.pop("occurred_at", None),
        data=kwargs.pop("data", {"number": 7}),
        **kwargs,
    )


def test_an_event_is_named_origin_repo_event(github):
    event = record(github)

    assert event.name == "github:acme/api:pull_request.merged"
    assert (event.origin, event.repo, event.event) == ("github", "acme/api", "pull_request.merged")


def test_the_project_slug_stands_in_for_an_unknown_repository(github):
    assert record(github, event="incident.opened", repo="").name == "github:shop:incident.opened"


def test_insight_events_are_flagged_from_the_vocabulary(github):
    assert record(github, event="deployment.succeeded").is_insight
    assert record(github, event="pull_request.merged").is_insight
    assert not record(github, event="build.needs_approval").is_insight
    assert not record(github, event="create.tag").is_insight


def test_an_event_outside_the_vocabulary_is_refused(github):
    with pytest.raises(ValueError, match="vocabulary"):
        record(github, event="deployment.exploded")
    assert not LifecycleEvent.objects.exists()


def test_only_matching_active_triggers_get_a_delivery(
    github, hook_server, django_capture_on_commit_callbacks
):
    make_trigger(hook_server.url, "github:acme/*:pull_request.merged", name="merged")
    make_trigger(hook_server.url, "*:*:build.failed", name="failures")
    paused = make_trigger(hook_server.url, "*:*:*", name="paused")
    paused.is_active = False
    paused.save()

    with django_capture_on_commit_callbacks(execute=True):
        event = record(github)

    assert list(TriggerDelivery.objects.values_list("trigger__name", "event_id")) == [
        ("merged", event.pk)
    ]
    event.refresh_from_db()
    assert event.dispatched_at is not None
    assert len(hook_server.received) == 1


def test_an_event_rolled_back_with_its_transaction_fires_nothing(
    github, hook_server, django_capture_on_commit_callbacks
):
    from django.db import transaction

    make_trigger(hook_server.url, "*:*:*")

    def failing_write():
        with transaction.atomic():
            record(github)
            raise RuntimeError("the write failed")

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        failing_write()

    assert not LifecycleEvent.objects.exists()
    assert hook_server.received == []


def test_reconciliation_dispatches_events_whose_dispatch_was_never_enqueued(github, hook_server):
    make_trigger(hook_server.url, "*:*:pull_request.merged")
    # Outside a captured commit the dispatch never runs: as if the broker had been down.
    event = record(github)
    LifecycleEvent.objects.filter(pk=event.pk).update(
        recorded_at=timezone.now() - timedelta(minutes=11)
    )

    assert find_stalled().event_ids == [event.pk]
    assert reconcile_triggers() == {"events": 1, "deliveries": 0}

    delivery = TriggerDelivery.objects.get()
    assert delivery.status == "delivered"
    assert len(hook_server.received) == 1
    assert find_stalled().event_ids == []


def test_reconciliation_leaves_recent_events_to_their_own_dispatch(github):
    record(github)
    assert find_stalled().event_ids == []


def test_dispatching_twice_delivers_once(github, hook_server, django_capture_on_commit_callbacks):
    from apps.events.tasks import dispatch_event

    make_trigger(hook_server.url, "*:*:*")
    with django_capture_on_commit_callbacks(execute=True):
        event = record(github)
    LifecycleEvent.objects.filter(pk=event.pk).update(dispatched_at=None)

    dispatch_event.delay(event.pk)

    assert TriggerDelivery.objects.count() == 1
    assert len(hook_server.received) == 1
