"""Every kind's examples work when pasted: the first one, run by bash against a live server,
records one production deployment dated now; the admin's test delivery does the same through
the real delivery road."""

import os
import subprocess
from datetime import timedelta

import pytest
from django.utils import timezone

from apps.connections.models import ConnectionKind
from apps.deployments.models import Deployment
from apps.ingest.models import Delivery
from apps.integrations.catalog import (
    CATALOG,
    DEPLOYMENT_KINDS,
    PLACEHOLDER_REPOSITORY,
    examples_for,
    offered_kinds,
)
from apps.integrations.test_delivery import TEST_HEADER, send_test_delivery
from apps.issues.models import Issue
from tests.factories import ConnectionFactory, DeploymentFactory, RepositoryFactory, token_for
from tests.integrations import sources

KINDS = sorted(DEPLOYMENT_KINDS)
INCIDENT_KINDS = sorted(set(CATALOG) - DEPLOYMENT_KINDS)
SECRET = "s3cr3t-for-the-example"


def secret_for(kind: str) -> str:
    return sources.SVIX_SECRET if kind == "incidentio" else SECRET


def run(command: str, **env: str) -> str:
    result = subprocess.run(
        ["bash", "-c", command],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, **env},
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_the_kinds_offered_are_those_with_receivers():
    offered = {value for value, _ in offered_kinds()}
    assert offered == set(CATALOG)
    assert ConnectionKind.GITLAB in offered  # with its receiver (issue 19)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("kind", KINDS)
def test_the_first_example_pasted_records_one_deployment_now(live_server, kind):
    connection = ConnectionFactory(kind=kind, secret=secret_for(kind))
    token = token_for(connection)
    title, command = examples_for(connection=connection, base_url=live_server.url)[0]

    answer = run(command, DORAHUB_TOKEN=token, DORAHUB_SECRET=secret_for(kind))

    deployments = list(Deployment.objects.filter(connection=connection))
    assert len(deployments) == 1, (title, answer)
    deployment = deployments[0]
    assert deployment.environment == "PRODUCTION"
    assert deployment.result == "SUCCESS"
    assert timezone.now() - deployment.finished_at < timedelta(minutes=5)


@pytest.mark.django_db
def test_examples_name_a_repository_the_project_knows_or_a_clear_placeholder():
    connection = ConnectionFactory(kind="devlake")
    (_, first), *_ = examples_for(connection=connection, base_url="http://dora.example")
    assert PLACEHOLDER_REPOSITORY in first

    repository = RepositoryFactory(project=connection.project, url="https://github.com/acme/cart")
    DeploymentFactory(connection=connection, repository=repository)
    (_, first), *_ = examples_for(connection=connection, base_url="http://dora.example")
    assert "https://github.com/acme/cart" in first
    assert "$(date -u +%Y-%m-%dT%H:%M:%SZ)" in first
    assert "2024-" not in first


@pytest.mark.django_db
@pytest.mark.parametrize("kind", KINDS)
def test_a_test_delivery_goes_through_the_inbox_and_records_one_deployment(kind):
    connection = ConnectionFactory(kind=kind)

    response = send_test_delivery(connection=connection)

    assert response.status_code < 300, response.data
    delivery = Delivery.objects.get(connection=connection)
    assert delivery.status == "accepted"
    assert delivery.headers.get(TEST_HEADER) == "true"
    assert Deployment.objects.filter(connection=connection).count() == 1
    second = send_test_delivery(connection=connection)
    assert second.status_code < 300
    assert Delivery.objects.filter(connection=connection).count() == 2


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("kind", INCIDENT_KINDS)
def test_an_incident_tools_first_example_pasted_opens_one_incident_now(live_server, kind):
    connection = ConnectionFactory(kind=kind, secret=secret_for(kind))
    token = token_for(connection)
    title, command = examples_for(connection=connection, base_url=live_server.url)[0]

    answer = run(command, DORAHUB_TOKEN=token, DORAHUB_SECRET=secret_for(kind))

    incidents = list(Issue.objects.filter(connection=connection, is_incident=True))
    assert len(incidents) == 1, (title, answer)
    assert timezone.now() - incidents[0].created_at < timedelta(minutes=5)


@pytest.mark.django_db
@pytest.mark.parametrize("kind", INCIDENT_KINDS)
def test_an_incident_tools_test_delivery_opens_one_incident(kind):
    connection = ConnectionFactory(kind=kind)

    response = send_test_delivery(connection=connection)

    assert response.status_code < 300, response.data
    assert Delivery.objects.get(connection=connection).status == "accepted"
    assert Issue.objects.filter(connection=connection, is_incident=True).count() == 1
