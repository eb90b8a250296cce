"""The one road every delivery travels: authenticate, parse, validate, store, answer; then
apply (apps.ingest.applier), in the request when there is no broker."""

import logging
import time
from collections.abc import Callable, Mapping
from contextlib import suppress
from datetime import datetime
from functools import partial
from typing import Any, overload

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.datastructures import CaseInsensitiveMapping
from rest_framework.response import Response

from apps.connections.models import Connection
from apps.core import errors
from apps.core.errors import InvalidInput
from apps.core.exceptions import exception_to_response
from apps.core.tasks import enqueue_on_commit
from apps.ingest import applier, services, tasks
from apps.ingest.models import Delivery, DeliveryStatus
from apps.ingest.receivers import RECEIVERS, Inbound, Receipt, Receiver
from apps.ingest.throttling import check_rate

logger = logging.getLogger(__name__)

REPLAYED_HEADER = "Idempotent-Replayed"
# The inbox id of the delivery, on every answer of the receipt road.
DELIVERY_HEADER = "X-DoraHub-Delivery"
WAIT_POLL_SECONDS = 0.02


def receive(
    *,
    receiver: Receiver,
    params: Mapping[str, Any],
    headers: Mapping[str, str],
    query: Mapping[str, str],
    body: bytes,
) -> Response:
    """Entry point for HTTP: authenticate, validate, store the delivery in one statement (its
    receipt, or its refusal), then answer; the applier applies it (apps.ingest.applier)."""
    inbound = Inbound(
        route=receiver.route,
        params=dict(params),
        headers=CaseInsensitiveMapping(dict(headers)),
        query=dict(query),
        body=body,
    )
    record = _recorder(receiver, params, headers, query, body, received_at=inbound.received_at)
    known: dict[str, Any] = {}  # what is known of the sender when a step refuses
    try:
        _refuse_nul(inbound)
        sender = receiver.authenticate(inbound)
        connection = sender.connection
        known = {"connection_id": connection.pk, "delivery_id": receiver.delivery_id(inbound)}
        check_rate(key=f"token:{sender.token.pk}" if sender.token else f"conn:{connection.pk}")
        earlier = services.find_earlier_acceptance(**known)
        if earlier is not None:
            return _replay_answer(earlier, inbound=inbound, record=record, known=known)
        payload = receiver.parse(inbound)
        receipt = receiver.check(connection=connection, payload=payload, inbound=inbound)
    except Exception as exc:
        return _refused(exc, receiver=receiver, record=record, known=known)
    if receipt is None:
        delivery = record(**known)
        return _process_now(
            receiver=receiver,
            inbound=inbound,
            delivery=delivery,
            connection=connection,
            payload=payload,
        )
    stored = {**receipt.body, "status": "accepted"}
    delivery = record(
        **known,
        status=DeliveryStatus.PENDING,
        response_status=receipt.status_code,
        response_body=stored,
        readings=receipt.readings,
        validated=receipt.validated,
    )
    return _answer_pending(delivery, receipt=receipt, inbound=inbound)


def _answer_pending(delivery: Delivery, *, receipt: Receipt, inbound: Inbound) -> Response:
    """With no broker, apply at once and answer the outcome; otherwise hand the delivery to the
    applier and answer the receipt, or the outcome if the sender waits for it (`Prefer`)."""
    if settings.DORAHUB_APPLY_INLINE:
        return _apply_now(delivery)
    wait = preferred_wait(inbound.headers)
    if wait:
        # The sender holds its request open for the outcome: apply its connection's backlog
        # here, or (another applier holds it) watch for the outcome until the deadline.
        deadline = time.monotonic() + wait
        assert delivery.connection_id is not None
        applier.apply_pending(connection_ids=[delivery.connection_id])
        while True:
            answer = _stored_answer(delivery.pk, waited=wait)
            if answer is not None or time.monotonic() >= deadline:
                break
            time.sleep(WAIT_POLL_SECONDS)
        if answer is not None:
            return answer
    if not tasks.kick_applier():
        # The broker is unreachable, so no applier would see it until it is back: apply it
        # here, as `make run` does, and the figures stay current meanwhile.
        return _apply_now(delivery)
    response = Response(
        {**receipt.body, "status": "accepted", "delivery_id": delivery.pk},
        status=receipt.status_code,
    )
    response[DELIVERY_HEADER] = str(delivery.pk)
    return response


def _apply_now(delivery: Delivery) -> Response:
    """Apply the delivery's connection's backlog in the request (waiting for another
    request applying it) and answer the delivery's outcome; a bug re-raises, as inline."""
    assert delivery.connection_id is not None
    batch = applier.apply_pending(connection_ids=[delivery.connection_id], wait=True)
    if delivery.pk in batch.failures:
        raise batch.failures[delivery.pk]
    return _stored_answer(delivery.pk)


def preferred_wait(headers: Mapping[str, str]) -> float:
    """Seconds of RFC 7240 `Prefer: wait=N` (capped), or 0."""
    for preference in (headers.get("Prefer") or "").split(","):
        name, _, value = preference.strip().partition("=")
        if name.strip().lower() == "wait" and value.strip().isdigit():
            return float(min(int(value), settings.DORAHUB_PREFER_WAIT_MAX_SECONDS))
    return 0.0


@overload
def _stored_answer(pk: int) -> Response: ...
@overload
def _stored_answer(pk: int, *, waited: float) -> Response | None: ...
def _stored_answer(pk: int, *, waited: float | None = None) -> Response | None:
    """The answer the delivery has now; None while it is pending and `waited` is given."""
    row = Delivery.objects.values("status", "response_status", "response_body").get(pk=pk)
    if waited is not None and row["status"] == DeliveryStatus.PENDING:
        return None
    response = Response(row["response_body"], status=row["response_status"] or 200)
    response[DELIVERY_HEADER] = str(pk)
    if waited is not None:
        response["Preference-Applied"] = f"wait={int(waited)}"
    return response


def _replay_answer(
    earlier: Delivery, *, inbound: Inbound, record: Callable[..., Delivery], known: dict[str, Any]
) -> Response:
    """A retry under a delivery id already accepted: the first answer again, or a refusal
    when the body differs."""
    if bytes(earlier.body) != inbound.body:
        # Stripe's rule: a key names one request; a new body under it would be dropped.
        raise errors.Unprocessable(
            f"The delivery id {known['delivery_id']!r} (Idempotency-Key) was already used "
            "with a different body; send a new key for a new request.",
            code=errors.Code.IDEMPOTENCY_KEY_REUSED,
        )
    body = earlier.response_body
    if earlier.status == DeliveryStatus.PENDING and isinstance(body, dict):
        body = {**body, "delivery_id": earlier.pk}
    record(
        **known,
        status=DeliveryStatus.DUPLICATE,
        response_status=earlier.response_status or 200,
        response_body=body,
        processed_at=timezone.now(),
    )
    return _replayed(body, status=earlier.response_status or 200)


def _replayed(body: Any, *, status: int) -> Response:
    replayed = Response(body, status=status)
    # The sender's "recent deliveries" screen shows the answer: say it is a replay.
    replayed[REPLAYED_HEADER] = "true"
    return replayed


def _refused(
    exc: Exception, *, receiver: Receiver, record: Callable[..., Delivery], known: dict[str, Any]
) -> Response:
    """Store the refused delivery with its answer (one statement) and answer it."""
    response = exception_to_response(exc)
    if response is None:
        # Unexpected: the inbox says so at once (apps.ingest.tasks.retry_failed_deliveries).
        logger.exception("delivery on route %s failed", receiver.route)
        with suppress(Exception):
            record(**known, **services.failure_answer(exc=exc))
        raise exc
    try:
        record(
            **known,
            **services.rejection_answer(status_code=response.status_code, body=response.data),
            processed_at=timezone.now(),
        )
    except Exception:  # the database itself may be the problem (503); the answer still stands
        logger.warning("could not record a refused delivery on route %s", receiver.route)
    return response


def refuse(
    *,
    receiver: Receiver,
    params: Mapping[str, Any],
    headers: Mapping[str, str],
    query: Mapping[str, str],
    error: Exception,
) -> Response:
    """Answer a request refused before its body was read (too large); it is still recorded."""
    return _refused(
        error, receiver=receiver, record=_recorder(receiver, params, headers, query, b""), known={}
    )


def _recorder(
    receiver: Receiver,
    params: Mapping[str, Any],
    headers: Mapping[str, str],
    query: Mapping[str, str],
    body: bytes,
    received_at: datetime | None = None,
) -> Callable[..., Delivery]:
    """`record(**answered)` stores this request, with what is known of it by then."""
    return partial(
        services.record_delivery,
        route=receiver.route,
        params=params,
        headers=headers,
        query=query,
        body=body,
        received_at=received_at,
    )


def process(*, receiver: Receiver, inbound: Inbound, delivery: Delivery) -> Response:
    """The inline road, for a stored delivery: a replay (admin "reprocess", the
    reconciliation) or a test delivery; it authenticates again unless replayed."""
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
        earlier = services.find_earlier_acceptance(
            connection_id=delivery.connection_id, delivery_id=delivery.delivery_id, but=delivery.pk
        )
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
            return _replayed(earlier.response_body, status=earlier.response_status or 200)
        payload = receiver.parse(inbound)
    except Exception as exc:
        return _failed_or_rejected(exc, receiver=receiver, delivery=delivery)
    return _process_now(
        receiver=receiver,
        inbound=inbound,
        delivery=delivery,
        connection=connection,
        payload=payload,
    )


def _process_now(
    *,
    receiver: Receiver,
    inbound: Inbound,
    delivery: Delivery,
    connection: Connection,
    payload: Any,
) -> Response:
    """Apply an authenticated, parsed delivery in the request and answer its outcome."""
    try:
        with transaction.atomic():
            outcome = receiver.handle(connection=connection, payload=payload, inbound=inbound)
            services.record_outcome(delivery=delivery, outcome=outcome)
            if outcome.effects:
                enqueue_on_commit(tasks.after_ingest, delivery.pk)
        return Response(outcome.body, status=outcome.status_code)
    except Exception as exc:
        return _failed_or_rejected(exc, receiver=receiver, delivery=delivery)


def _failed_or_rejected(exc: Exception, *, receiver: Receiver, delivery: Delivery) -> Response:
    response = applier.record_error(delivery, exc)
    if response is None:
        raise exc  # a bug: recorded failed, for the reconciliation to replay
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


def replay(*, delivery: Delivery) -> Response:
    """Process a stored delivery again (admin "reprocess"); its sender was authenticated before."""
    receiver = RECEIVERS[delivery.route]()
    inbound = applier.inbound_of(delivery, replay=True)
    Delivery.objects.filter(pk=delivery.pk).update(attempts=delivery.attempts + 1)
    return process(receiver=receiver, inbound=inbound, delivery=delivery)
