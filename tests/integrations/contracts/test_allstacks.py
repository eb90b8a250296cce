"""Allstacks' Custom CD webhook (CONTRACTS.md §3, seeds/003): `POST
/webhook/company/<company_id>/cicd_job` with `Authorization: Bearer <token>` and a JSON body
whose `service_id` is the id of the Custom CD service inside Allstacks. The token names the
DORA Hub connection, so an existing job changes only its host and token."""

import json

import pytest

from apps.ci.models import Job
from apps.ingest.models import Delivery
from tests.conftest import Sender
from tests.factories import ConnectionFactory, token_for
from tests.integrations.contracts.helpers import deployments, metrics

pytestmark = pytest.mark.django_db

SHA = "a2e7da86cc392417b0d9f605b28038aae80b002f"
COMPANY_ID = "8812"
ALLSTACKS_SERVICE_ID = 417  # Allstacks' own id: no DORA Hub connection has it


@pytest.fixture
def allstacks() -> Sender:
    connection = ConnectionFactory(kind="allstacks")
    return Sender(connection=connection, token=token_for(connection))


def job(**fields) -> bytes:
    body = {
        "job_id": "deploy-88",
        "status": "Succeeded",
        "commit_sha": SHA,
        "triggered_by": "testuser@org.com",
        "repo_id": "12345",
        "service_id": ALLSTACKS_SERVICE_ID,
        "job_start_time": 1709632800,  # 2024-03-05T10:00:00Z
        "job_duration": 300,
        "job_type": "Production Deploy",
    }
    return json.dumps(body | fields).encode()


def post(api, allstacks: Sender, body: bytes, company_id: str = COMPANY_ID):
    return api.generic(
        "POST",
        f"/webhook/company/{company_id}/cicd_job",
        data=body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {allstacks.token}",
    )


def test_a_job_keeps_its_allstacks_service_id_and_company_id(api, allstacks):
    response = post(api, allstacks, job())

    assert response.status_code == 201, response.content
    assert response.json()["service"] == f"allstacks:{ALLSTACKS_SERVICE_ID}"
    stored = Job.objects.get()
    assert stored.connection == allstacks.connection
    assert stored.sender_refs == {"company_id": COMPANY_ID, "service_id": ALLSTACKS_SERVICE_ID}
    [deployment] = deployments(allstacks.token)
    assert deployment["service"] == f"allstacks:{ALLSTACKS_SERVICE_ID}"
    assert deployment["finished_at"] == "2024-03-05T10:05:00Z"
    assert metrics(allstacks.token)["deployment_frequency"]["deployments"] == 1


def test_a_connection_maps_allstacks_service_ids_to_service_names(api):
    connection = ConnectionFactory(
        kind="allstacks", settings={"allstacks_services": {str(ALLSTACKS_SERVICE_ID): "checkout"}}
    )
    allstacks = Sender(connection=connection, token=token_for(connection))

    post(api, allstacks, job())
    post(api, allstacks, job(job_id="deploy-89", service_id=9, job_start_time=1709640000))

    services = {d["service"] for d in deployments(allstacks.token)}
    assert services == {"checkout", "allstacks:9"}
    assert metrics(allstacks.token, service="checkout")["deployment_frequency"]["deployments"] == 1


def test_the_token_alone_names_the_connection_even_when_service_id_is_another_connections_id(
    api, allstacks
):
    other = ConnectionFactory(kind="allstacks")

    response = post(api, allstacks, job(service_id=other.pk))

    assert response.status_code == 201
    assert Job.objects.get().connection == allstacks.connection
    assert Delivery.objects.get().connection == allstacks.connection


def test_without_a_token_nothing_is_read_and_the_attempt_is_in_the_inbox(api):
    response = api.generic(
        "POST",
        f"/webhook/company/{COMPANY_ID}/cicd_job",
        data=job(),
        content_type="application/json",
    )

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
    assert not Job.objects.exists()
    assert Delivery.objects.get().status == "rejected"
