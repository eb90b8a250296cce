"""The shared assertions of a refused request: the one error shape, nothing stored half, and
the raw delivery kept in the inbox as rejected with its error."""

from typing import Any

from apps.ci.models import Job, Pipeline
from apps.deployments.models import Commit, Deployment
from apps.events.models import LifecycleEvent
from apps.ingest.models import Delivery, DeliveryStatus
from apps.issues.models import Issue

# Every row a delivery can write; a rejected one writes none of them.
WRITTEN_BY_DELIVERIES = (Deployment, Commit, Issue, Pipeline, Job, LifecycleEvent)


def assert_error(
    response: Any, status: int, code: str | None = None, field: str | None = None
) -> dict[str, Any]:
    """The answer is `status` in the one error shape, with a message, the `code` and a problem
    named for `field` when given. Returns the error object."""
    assert response.status_code == status, response.content
    error: dict[str, Any] = response.json()["error"]
    assert error["message"], error
    if code is not None:
        assert error["code"] == code, error
    if field is not None:
        assert field in error.get("fields", {}), error
        assert error["fields"][field], error
    return error


def assert_rejected(
    response: Any,
    field: str | None = None,
    status: int = 400,
    *,
    code: str | None = None,
    body_kept: bool = True,
) -> dict[str, Any]:
    """`assert_error`, and the only delivery in the inbox is rejected with this status and its
    error, its raw body kept for inspection and reprocessing, while nothing was written."""
    error = assert_error(response, status, code=code, field=field)
    for model in WRITTEN_BY_DELIVERIES:
        assert not model.objects.exists(), model.__name__
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.response_status) == (DeliveryStatus.REJECTED, status)
    assert delivery.error
    if body_kept:
        assert bytes(delivery.body)
    return error
