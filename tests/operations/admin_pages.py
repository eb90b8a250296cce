"""Reading what the connection page shows, as a person copying from it would."""

import html
import re

from django.test import Client

from apps.connections.models import Connection, Project


def token_on(page: str) -> str | None:
    match = re.search(r"<code class=\"dh-token\" data-token>([^<]+)</code>", page)
    return html.unescape(match.group(1)) if match else None


def example_on(page: str, number: int = 1) -> str:
    match = re.search(rf'<pre class="dh-example" data-example="{number}">(.*?)</pre>', page, re.S)
    assert match, f"no example {number} on the page"
    return html.unescape(match.group(1))


def command_on(page: str, name: str) -> str:
    match = re.search(rf'<pre class="dh-example" data-command="{name}">(.*?)</pre>', page, re.S)
    assert match, f"no {name} command on the page"
    return html.unescape(match.group(1))


def create_project(client: Client, *, name: str, slug: str, **extra: str) -> Project:
    response = client.post(
        "/admin/connections/project/add/",
        {
            "name": name,
            "slug": slug,
            "time_zone": "UTC",
            "incident_link_window_0": "7",
            "incident_link_window_1": "days",
            **extra,
        },
        **extra_host(client),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    return Project.objects.get(slug=slug)


def create_connection(
    client: Client, *, project: Project, name: str, kind: str, **extra: str
) -> tuple[Connection, str]:
    """Post the add form; return the connection and the change page the admin lands on."""
    response = client.post(
        "/admin/connections/connection/add/",
        {
            "name": name,
            "slug": name,
            "project": project.pk,
            "kind": kind,
            "is_active": "on",
            "tokens-TOTAL_FORMS": "1",
            "tokens-INITIAL_FORMS": "0",
            "tokens-MIN_NUM_FORMS": "0",
            "tokens-MAX_NUM_FORMS": "1000",
            "tokens-0-name": "default",
            "tokens-0-expires_in": "",
            **extra,
        },
        follow=True,
        **extra_host(client),
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "errornote" not in page, page[:5000]
    return Connection.objects.get(name=name), page


def extra_host(client: Client) -> dict[str, str]:
    host = getattr(client, "dorahub_host", "")
    return {"HTTP_HOST": host} if host else {}
