"""The one road every delivery travels: record, authenticate, parse, validate, write, answer."""

import logging
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils.datastructures import CaseInsensitiveMapping
from rest_framework.response import Response

from apps.core import errors
from apps.core.errors import InvalidInput
from apps.core.exceptions import exception_to_response
from apps.core.tasks import enqueue_on_commit
from apps.ingest import services
from apps.ingest.models import Delivery, DeliveryStatus
from apps.ingest.receivers import RECEIVERS, Inbound, Receiver
from apps.ingest.redaction import redact_text
from apps.ingest.throttling import check_rate

logger = logging.getLogger(__name__)

REPLAYED_HEADER = "Idempotent-Replayed"


def receive(
    *,
    receiver: Receiver,
    params: Mapping[str, Any],
    headers: Mapping[str, str],
    query: Mapping[str, str],
    body: bytes,
) -> Response:
    """Entry point for HTTP: the raw delivery is committed to the inbox before anything else."""
    delivery = services.record_delivery(
        route=receiver.route, params=params, headers=headers, query=query, body=body
    )
    inbound = Inbound(
        route=receiver.route,
        params=dict(params),
        headers=CaseInsensitiveMapping(dict(headers)),
        query=dict(query),
        body=body,
    )
    return process(receiver=receiver, inbound=inbound, delivery=delivery)


def refuse(
    *,
    receiver: Receiver,
    params: Mapping[str, Any],
    headers: Mapping[str, str],
    query: Mapping[str, str],
    error: Exception,
) -> Response:
    """Answer a request refused before its body was read (too large); it is still recorded."""
    delivery = services.record_delivery(
        route=receiver.route, params=params, headers=headers, query=query, body=b""
    )
    response = exception_to_response(error)
    assert response is not None
    _record_rejection(delivery, response)
    return response


def process(*, receiver: Receiver, inbound: Inbound, delivery: Delivery) -> Response:
    try:
        _refuse_nul(inbound)
        if inbound.replay:
            connection = receiver.replay_connection(inbound)
        else:
            sender = receiver.authenticate(inbound)
            connection = sender.connection
            check_rate(key=f"token:{sender.token.pk}" if sender.token else f"conn:{connection.pk}")
            services.attach_connection(
                delivery=delivery,
                connection_id=connection.pk,
                delivery_id=receiver.delivery_id(inbound),
            )
        earlier = services.find_earlier_acceptance(delivery=delivery)
        if earlier is not None and bytes(earlier.body) != inbound.body:
            # Stripe's rule: a key names one request; a new body under it would be dropped.
            raise errors.Unprocessable(
                f"The delivery id {delivery.delivery_id!r} (Idempotency-Key) was already used "
                "with a different body; send a new key for a new request.",
                code=errors.Code.IDEMPOTENCY_KEY_REUSED,
            )
        if earlier is not None:
            services.mark_answered(
                delivery=delivery,
                status=DeliveryStatus.DUPLICATE,
                response_status=earlier.response_status or 200,
                response_body=earlier.response_body,
            )
            replayed = Response(earlier.response_body, status=earlier.response_status or 200)
            # The sender's "recent deliveries" screen shows the answer: say it is a replay.
            replayed[REPLAYED_HEADER] = "true"
            return replayed
        payload = receiver.parse(inbound)
        with transaction.atomic():
            outcome = receiver.handle(connection=connection, payload=payload, inbound=inbound)
            services.mark_answered(
                delivery=delivery,
                status=DeliveryStatus.DUPLICATE if outcome.duplicate else DeliveryStatus.ACCEPTED,
                response_status=outcome.status_code,
                response_body=outcome.body,
                effects=outcome.effects,
                readings=outcome.readings or None,
            )
            if outcome.effects:
                from apps.ingest.tasks import after_ingest

                enqueue_on_commit(after_ingest, delivery.pk)
        return Response(outcome.body, status=outcome.status_code)
    except Exception as exc:
        response = exception_to_response(exc)
        if response is None:
            # Unexpected: the inbox says so at once, and the reconciliation replays it a
            # bounded number of times (apps.ingest.tasks.retry_failed_deliveries).
            logger.exception("delivery %s failed on route %s", delivery.pk, receiver.route)
            _record_failure(delivery, exc)
            raise
        _record_rejection(delivery, response)
        return response


def _refuse_nul(inbound: Inbound) -> None:
    """PostgreSQL cannot compare or store a NUL character: refuse one in the URL or a header
    before it reaches a query (the body's strings are checked by the JSON parser)."""
    parts = (("path", inbound.params), ("query", inbound.query), ("headers", inbound.headers))
    problems = {
        f"{part}.{name}".replace("\x00", "\\u0000"): ["NUL characters are not allowed."]
        for part, values in parts
        for name, value in values.items()
        if "\x00" in f"{name}{value}"
    }
    if problems:
        raise InvalidInput(fields=problems)


def _record_rejection(delivery: Delivery, response: Response) -> None:
    error = (response.data or {}).get("error", {}) if isinstance(response.data, dict) else {}
    try:
        services.mark_answered(
            delivery=delivery,
            status=DeliveryStatus.REJECTED,
            response_status=response.status_code,
            response_body=response.data,
            error=str(error.get("message", "")),
        )
    except Exception:  # the database itself may be the problem (503); the answer still stands
        logger.warning("could not mark delivery %s rejected", delivery.pk)


def _record_failure(delivery: Delivery, exc: Exception) -> None:
    try:
        services.mark_answered(
            delivery=delivery,
            status=DeliveryStatus.FAILED,
            response_status=500,
            response_body={
                "error": {"code": "server_error", "message": "The delivery could not be processed."}
            },
            error=redact_text(f"{type(exc).__name__}: {exc}")[:2000],
        )
    except Exception:
        logger.warning("could not mark delivery %s failed", delivery.pk)


def replay(*, delivery: Delivery) -> Response:
    """Process a stored delivery again (admin "reprocess"); its sender was authenticated before."""
    receiver = RECEIVERS[delivery.route]()
    params = dict(delivery.route_params)
    if delivery.connection_id is not None:
        # Routes whose API key names the connection (Pulse's webhook) have no id in the URL.
        params.setdefault("connection_id", delivery.connection_id)
    inbound = Inbound(
        route=delivery.route,
        params=params,
        headers=CaseInsensitiveMapping(delivery.headers),
        query=delivery.query,
        body=bytes(delivery.body),
        replay=True,
    )
    Delivery.objects.filter(pk=delivery.pk).update(attempts=delivery.attempts + 1)
    return process(receiver=receiver, inbound=inbound, delivery=delivery)
