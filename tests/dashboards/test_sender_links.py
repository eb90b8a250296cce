"""Issue 16 finding 4: a URL a sender gave (an incident's `url`) becomes a link only when it is
an http(s) URL; `javascript:` and friends are shown as text, so nobody's click runs them."""

import re

import pytest

from apps.core.links import external_link, web_url
from tests.factories import IssueFactory, ProjectFactory, UserFactory

pytestmark = pytest.mark.django_db

HOSTILE = [
    "javascript:alert(document.cookie)",
    "JaVaScRiPt:alert(1)",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "\x01javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "//evil.example.com/x",
    "https:alert(1)",
]


@pytest.mark.parametrize("url", HOSTILE)
def test_an_incident_url_that_is_not_http_is_shown_as_text(client, url):
    project = ProjectFactory(slug="xss")
    incident = IssueFactory(connection__project=project, url=url)
    client.force_login(UserFactory())

    page = client.get(f"/projects/xss/incidents/{incident.pk}/").content.decode()

    hrefs = re.findall(r'href="([^"]*)"', page)
    assert [h for h in hrefs if not h.startswith(("/", "?", "#"))] == []  # only the app's own
    assert "<script>alert(1)" not in page


def test_an_http_incident_url_is_a_link_that_leaks_nothing(client):
    project = ProjectFactory(slug="ok")
    incident = IssueFactory(connection__project=project, url="https://status.acme.io/i/7?a=1&b=2")
    client.force_login(UserFactory())

    page = client.get(f"/projects/ok/incidents/{incident.pk}/").content.decode()

    assert (
        '<a href="https://status.acme.io/i/7?a=1&amp;b=2" rel="noopener noreferrer nofollow">'
        "source</a>"
    ) in page


@pytest.mark.parametrize("url", HOSTILE)
def test_the_link_helper_refuses_every_other_scheme(url):
    assert web_url(url) == ""
    assert "<a" not in external_link(url, "source")


def test_the_link_helper_keeps_web_urls():
    assert web_url("http://ci.acme.io/build/1") == "http://ci.acme.io/build/1"
    assert web_url("HTTPS://ci.acme.io/") == "HTTPS://ci.acme.io/"
