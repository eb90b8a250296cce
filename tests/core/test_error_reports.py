"""Issue 16 finding 15: the DEBUG error page (`make run`) and every error report leave the
caller's credentials out: the Authorization header, the token in the query string, and local
variables or reprs that hold them."""

import pytest
from django.test import Client
from django.views.debug import ExceptionReporter, technical_500_response

from apps.ingest.models import Delivery
from apps.integrations import outcomes
from apps.integrations.native import receivers as native_receivers

pytestmark = pytest.mark.django_db


@pytest.fixture
def crash(monkeypatch):
    def upsert(**kwargs):
        token = kwargs  # noqa: F841 - a local the debug page would print
        raise RuntimeError("boom")

    monkeypatch.setattr(native_receivers, "upsert_deployment", upsert)
    monkeypatch.setattr(outcomes, "upsert_deployments", upsert)  # the applier's set-based road


def post(sender):
    return Client(raise_request_exception=False).post(
        f"/api/v1/connections/{sender.connection.pk}/deployments?api_key={sender.token}",
        data={
            "repo_url": "https://github.com/acme/api",
            "commit_sha": "abc123",
            "start_time": "2024-01-01T12:00:00+00:00",
        },
        content_type="application/json",
        HTTP_X_AUTH_TOKEN=sender.token,
        **sender.auth,
    )


def test_the_debug_page_of_a_500_never_shows_the_token(sender, crash, settings):
    settings.DEBUG = True

    response = post(sender)

    page = response.content.decode()
    assert response.status_code == 500
    assert "RuntimeError" in page  # it is the debug page
    assert sender.token not in page
    assert sender.token[len("dh_") :] not in page
    assert Delivery.objects.get().status == "failed"


def test_the_mailed_or_logged_report_never_shows_the_token(sender, settings):
    import sys

    from django.test import RequestFactory

    request = RequestFactory().get("/x", {"api_key": sender.token}, **sender.auth)
    try:
        secret_token = sender.token  # noqa: F841
        raise RuntimeError("boom")
    except RuntimeError:
        exc_info = sys.exc_info()
    from django.utils.module_loading import import_string

    reporter_class = import_string(settings.DEFAULT_EXCEPTION_REPORTER)
    reporter = reporter_class(request, *exc_info)
    assert isinstance(reporter, ExceptionReporter)

    for text in (reporter.get_traceback_text(), reporter.get_traceback_html()):
        assert sender.token not in text
    settings.DEBUG = True
    assert sender.token not in technical_500_response(request, *exc_info).content.decode()
