"""The admin's "send a test delivery": the connection's first example, sent through the real
delivery road (recorded in the inbox, processed by the route's receiver) as that connection."""

import json
import uuid

from django.urls import resolve
from django.utils import timezone
from django.utils.datastructures import CaseInsensitiveMapping
from rest_framework.response import Response

from apps.connections.models import Connection
from apps.ingest import pipeline, services
from apps.ingest.receivers import Inbound, Receiver
from apps.integrations.catalog import example_values, first_route, time_values
from apps.integrations.pulse import providers

TEST_HEADER = "X-DoraHub-Test-Delivery"


def _receiver_for(path: str) -> tuple[Receiver, dict[str, object]]:
    match = resolve(path)
    params = dict(match.kwargs)
    receiver_class = getattr(match.func, "view_initkwargs", {}).get("receiver_class")
    receiver = receiver_class() if receiver_class is not None else None
    if receiver is None and "provider" in params:  # Pulse's one URL for every tool
        receiver = providers.receiver_for(str(params["provider"]))
    if receiver is None:
        raise LookupError(f"no receiver behind {path}")
    return receiver, params


def send_test_delivery(*, connection: Connection) -> Response:
    """Post the first example of the connection's kind, dated now; the sender is the admin,
    already trusted, so the token (and signature) check is the one step skipped."""
    route = first_route(connection)
    receiver, params = _receiver_for(route.request_path(connection))
    params["connection_id"] = connection.pk
    values = {**example_values(connection=connection), **time_values(timezone.now())}
    body = json.dumps(json.loads(route.body_text(values, for_shell=False))).encode()
    # A fresh delivery id each time, so a second test is a new delivery, not a duplicate.
    delivery_id = f"test-{uuid.uuid4()}"
    headers = {
        "Content-Type": "application/json",
        TEST_HEADER: "true",
        "X-Delivery-Id": delivery_id,
        **dict(route.extra_headers),
    }
    if "X-GitHub-Delivery" in headers:
        headers["X-GitHub-Delivery"] = delivery_id
    delivery = services.record_delivery(
        route=receiver.route, params=params, headers=headers, query={}, body=body
    )
    services.attach_connection(
        delivery=delivery, connection_id=connection.pk, delivery_id=delivery_id
    )
    inbound = Inbound(
        route=receiver.route,
        params=params,
        headers=CaseInsensitiveMapping(headers),
        query={},
        body=body,
        replay=True,
    )
    return pipeline.process(receiver=receiver, inbound=inbound, delivery=delivery)
