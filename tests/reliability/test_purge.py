"""Deleting one connection's data leaves its project exactly as if that connection had never
sent anything: the rows of the other connections, their links and the DORA figures."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from apps.ingest.models import Delivery
from tests.factories import ConnectionFactory, ProjectFactory, token_for
from tests.reliability import traffic
from tests.reliability.conftest import settle, state_of

pytestmark = pytest.mark.django_db(transaction=True)


def send_all(connection, count, *, start=0):
    token = token_for(connection)
    client = Client()
    for send in traffic.mix(start + count, connection_id=connection.pk, token=token)[start:]:
        assert traffic.post(client, send, token=token).status_code < 300


def test_purging_a_connection_recomputes_the_project_as_if_it_never_sent():
    shared = ProjectFactory()
    leaving = ConnectionFactory(project=shared)
    staying = ConnectionFactory(project=shared)
    alone = ConnectionFactory()  # the staying connection's data, in a project of its own
    # Back to back in time, so the first incidents of the staying connection link to the
    # leaving connection's deployments until those are gone. (The leaving one reports no change
    # of a staying deployment: a change is the project's, not a connection's, and stays.)
    send_all(leaving, 58)
    send_all(staying, 40, start=60)
    send_all(alone, 40, start=60)
    settle()
    assert state_of(shared) != state_of(alone.project)

    call_command("purge_connection", str(leaving.pk), "--yes", stdout=StringIO())
    settle()

    assert not Delivery.objects.filter(connection=leaving).exists()
    after, expected = state_of(shared), state_of(alone.project)
    after["rows"].pop("commits")
    expected["rows"].pop("commits")
    assert after == expected
