"""End to end with a real Celery worker on Redis: a Cirrus build waiting for approval fires
the `*:*:build.needs_approval` trigger, delivered signed to a real HTTP server."""

import pytest

from apps.events.models import TriggerDelivery
from tests.ci.cirrus import SECRET as CIRRUS_SECRET
from tests.ci.cirrus import build_event
from tests.ci.cirrus import deliver as deliver_cirrus
from tests.conftest import wait_for
from tests.events.conftest import make_trigger
from tests.factories import ConnectionFactory

pytestmark = pytest.mark.celery_worker


def test_a_cirrus_build_needing_approval_fires_its_trigger(
    api, hook_server, celery_worker_on_redis
):
    cirrus = ConnectionFactory(kind="cirrus", secret=CIRRUS_SECRET)
    make_trigger(hook_server.url, "*:*:build.needs_approval", name="approvals")
    make_trigger(hook_server.url, "*:*:build.failed", name="failures")

    response = deliver_cirrus(
        api, cirrus, build_event("NEEDS_APPROVAL", old_status="CREATED"), event="build"
    )
    assert response.status_code in (200, 201), response.json()

    [request] = wait_for(lambda: hook_server.received)
    assert request.signature_is_valid()
    name = "cirrus:edigaryev/awesome-system-calls:build.needs_approval"
    assert request.headers["X-DoraHub-Event"] == name
    assert request.json["event"] == name
    delivery = wait_for(lambda: TriggerDelivery.objects.filter(status="delivered").first())
    assert delivery.trigger.name == "approvals"
    assert request.headers["X-DoraHub-Delivery"] == str(delivery.uuid)
    assert TriggerDelivery.objects.count() == 1
