"""Schemathesis against the OpenAPI schema the app serves: every ingestion route, fed what the
schema allows (positive) and what it forbids (negative), answers without a server error, with a
status the schema lists and a body of the documented shape, and leaves no delivery half-done."""

from collections import Counter

import pytest
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from apps.ingest.models import Delivery, DeliveryStatus
from tests.factories import ConnectionFactory, token_for

pytestmark = pytest.mark.django_db(transaction=True)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
EXAMPLES = 20


@pytest.fixture
def schema():
    import schemathesis

    return schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())


def ingestion_operations(schema):
    operations = [result.ok() for result in schema.get_all_operations()]
    return [op for op in operations if "ingestion" in (op.definition.raw.get("tags") or [])]


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_every_ingestion_route_answers_as_its_schema_says(schema, mode):
    connection = ConnectionFactory(settings={"allow_unsigned": True})
    token = token_for(connection)
    fixed = {"connection_id": connection.pk, "connection_name": connection.name}
    headers = {
        "Authorization": f"Bearer {token}",
        # Receivers that dispatch on an event header get a real one; the body is still fuzzed.
        "X-Cirrus-Event": "task",
        "X-GitHub-Event": "push",
    }
    operations = ingestion_operations(schema)
    assert len(operations) >= 17
    statuses: Counter[int] = Counter()

    for operation in operations:
        if mode is GenerationMode.NEGATIVE and not list(operation.body):
            continue  # its path parameters are fixed: nothing left to break
        names = {p.name for p in operation.path_parameters}
        strategy = operation.as_strategy(
            generation_mode=mode,
            path_parameters={k: v for k, v in fixed.items() if k in names},
            headers=headers,
        )

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=strategy)
        def answers_conform(case):
            if isinstance(case.body, dict) and "service_id" in case.body:
                case.body["service_id"] = connection.pk  # Allstacks names the connection here
            response = case.call()
            statuses[response.status_code] += 1
            case.validate_response(response, checks=CHECKS)

        answers_conform()

    assert statuses[400]  # refusals were reached...
    assert mode is GenerationMode.NEGATIVE or statuses[201]  # ...and so were acceptances
    # The inbox saw everything and left nothing half-done: each delivery was answered, and
    # the follow-up work of each accepted one ran without an error.
    assert Delivery.objects.count() >= sum(statuses.values()) - statuses[404]
    assert not Delivery.objects.filter(status=DeliveryStatus.RECEIVED).exists()
    assert not Delivery.objects.filter(
        status=DeliveryStatus.ACCEPTED, processed_at__isnull=True
    ).exists()
