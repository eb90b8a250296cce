"""Issue 16 finding 19: a chunked request body (no Content-Length) was read as empty. A WSGI
server that de-chunks (gunicorn, uWSGI: `wsgi.input_terminated`) gets it read within the size
limit; one that cannot (runserver, this live server) gets a 411 saying what to send."""

import http.client
import io
import json
from urllib.parse import urlsplit

import pytest

from apps.deployments.models import Deployment
from apps.ingest.models import Delivery, DeliveryStatus

BODY = json.dumps(
    {
        "repo_url": "https://github.com/acme/api",
        "commit_sha": "abc123",
        "start_time": "2024-01-01T12:00:00+00:00",
    }
).encode()


def chunked(client, sender, body: bytes):
    """A POST as a de-chunking WSGI server hands it over: no Content-Length, the body in
    `wsgi.input`, terminated."""
    return client.generic(
        "POST",
        f"/api/v1/connections/{sender.connection.pk}/deployments",
        CONTENT_TYPE="application/json",
        CONTENT_LENGTH="",
        HTTP_TRANSFER_ENCODING="chunked",
        **{"wsgi.input": io.BytesIO(body), "wsgi.input_terminated": True},
        **sender.auth,
    )


@pytest.mark.django_db
def test_a_chunked_body_from_a_dechunking_server_is_read(client, sender):
    response = chunked(client, sender, BODY)

    assert response.status_code == 201, response.content
    assert Deployment.objects.count() == 1
    assert bytes(Delivery.objects.get().body) == BODY


@pytest.mark.django_db
def test_a_chunked_body_over_the_limit_is_a_413(client, sender, settings):
    settings.DORAHUB_MAX_BODY_BYTES = 100

    response = chunked(client, sender, BODY + b" " * 200)

    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
    assert not Deployment.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_server_that_cannot_dechunk_answers_411_saying_what_to_send(live_server, sender):
    parts = urlsplit(live_server.url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    connection.putrequest("POST", f"/api/v1/connections/{sender.connection.pk}/deployments")
    connection.putheader("Authorization", f"Bearer {sender.token}")
    connection.putheader("Content-Type", "application/json")
    connection.putheader("Transfer-Encoding", "chunked")
    connection.endheaders()
    connection.send(b"%x\r\n%s\r\n0\r\n\r\n" % (len(BODY), BODY))
    response = connection.getresponse()
    answer = json.loads(response.read())
    connection.close()

    assert response.status == 411
    assert answer["error"]["code"] == "length_required"
    assert "Content-Length" in answer["error"]["message"]
    assert Delivery.objects.get().status == DeliveryStatus.REJECTED
    assert not Deployment.objects.exists()
