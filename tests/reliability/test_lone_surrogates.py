"""Issue 16 finding 6: a lone UTF-16 surrogate (`"\\ud800"`) decodes in Python and SQLite
stores it, but PostgreSQL's jsonb refuses it (a 500 there). The strict JSON parser refuses it
with a 400 on every JSON route, before anything is written."""

import json

import pytest
from django.test import Client

from apps.ingest.models import Delivery, DeliveryStatus
from tests.factories import ConnectionFactory, token_for
from tests.reliability.test_access import TOKEN_ROUTES

pytestmark = pytest.mark.django_db
SHA = "a2e7da86cc392417b0d9f605b28038aae80b002f"
LONE = "\\ud800"  # as it is written in the JSON text: six characters


ALLSTACKS = "webhook/company/<str:company_id>/cicd_job"
ROUTES = {**TOKEN_ROUTES, ALLSTACKS: ("/webhook/company/acme/cicd_job", "allstacks")}


def body_for(route: str, connection) -> dict:
    _, body = ROUTES[route]
    if body == "allstacks":
        return {
            "job_id": "deploy",
            "commit_sha": SHA,
            "service_id": connection.pk,
            "job_start_time": 1709294400,
            "job_duration": 60,
            "status": "Succeeded",
            "optional": [{"key": "note", "value": "x", "type": "string"}],
        }
    return dict(body)


@pytest.mark.parametrize(
    "route", sorted(route for route, (_, body) in ROUTES.items() if body is not None)
)
def test_a_lone_surrogate_is_a_400_on_every_json_route(route):
    connection = ConnectionFactory(kind="allstacks" if "cicd_job" in route else "devlake")
    path = ROUTES[route][0].format(id=connection.pk, name=connection.name)
    body = body_for(route, connection)
    marker = "SURROGATE-HERE"
    if "optional" in body:
        body["optional"][0]["value"] = marker
    else:
        body["title"] = marker  # an extra or optional text field on every route
    text = json.dumps(body).replace(marker, LONE)

    response = Client().post(
        path,
        data=text,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token_for(connection)}",
    )

    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == "malformed_json"
    assert "lone surrogate" in response.json()["error"]["message"]
    assert Delivery.objects.get().status == DeliveryStatus.REJECTED


@pytest.mark.postgres
def test_the_allstacks_optional_value_of_the_review_is_refused_on_postgres():
    connection = ConnectionFactory(kind="allstacks")
    body = body_for(ALLSTACKS, connection)
    body["optional"][0]["value"] = "SURROGATE-HERE"
    text = json.dumps(body).replace("SURROGATE-HERE", LONE)

    response = Client().post(
        "/webhook/company/acme/cicd_job",
        data=text,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token_for(connection)}",
    )

    assert response.status_code == 400, response.content
