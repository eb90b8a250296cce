"""Who may do what, route by route: a connection's token writes and reads only its own data,
dead tokens and bad signatures get nowhere, people must log in, the admin is for staff, forms
need their CSRF token, and secrets never come back out (inbox, logs, error messages)."""

import json
import logging
import time
from datetime import timedelta

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import URLResolver, get_resolver, reverse
from django.utils import timezone

from apps.ci.models import Job
from apps.connections.services import issue_token, revoke_token
from apps.core.signatures import hmac_sha256_base64, hmac_sha256_hex
from apps.deployments.models import Commit, Deployment
from apps.events.models import LifecycleEvent, TriggerDelivery
from apps.events.services import dispatch_event, save_trigger
from apps.ingest.models import Delivery, DeliveryStatus
from apps.integrations.incidentio.receivers import signing_key
from apps.issues.models import Issue
from tests.assertions import assert_error
from tests.ci import cirrus
from tests.factories import ConnectionFactory, StaffFactory, UserFactory, token_for
from tests.integrations import github_payloads as github

pytestmark = pytest.mark.django_db

SHA = "015e3d3b480e417aede5a1293bd61de9b0fd051d"
START = "2024-03-01T12:00:00+00:00"
DEPLOYMENT = {"repo_url": "https://github.com/acme/api", "commit_sha": SHA, "start_time": START}
ISSUE = {"issue_key": "INC-9", "title": "down", "status": "TODO", "created_date": START}
CHANGE = {"identifier": SHA, "timestamp": 1709294400}
INCIDENT = {"identifier": "INC-8", "timestampCreated": 1709294400}
CLOSE_KEY = "INC-1"
SEED_AT = "2024-01-10T12:00:00+00:00"


class Tenant:
    """A project with one connection, a token, a signing secret and an open incident."""

    def __init__(self, name: str, *, secret: str):
        self.connection = ConnectionFactory(name=name, secret=secret)
        self.token = token_for(self.connection)
        self.secret = secret
        # Seeded through the API, as real data arrives: the metrics see it.
        base = f"/api/v1/connections/{self.connection.pk}"
        for route, body in (
            ("issues", ISSUE | {"issue_key": CLOSE_KEY}),
            (
                "deployments",
                DEPLOYMENT | {"id": f"seed-{name}", "start_time": SEED_AT, "end_time": SEED_AT},
            ),
        ):
            response = Client().post(
                f"{base}/{route}",
                data=json.dumps(body),
                content_type="application/json",
                HTTP_AUTHORIZATION=f"Bearer {self.token}",
            )
            assert response.status_code == 201, response.content

    @property
    def project(self):
        return self.connection.project

    def rows(self) -> dict[str, int]:
        project = self.project
        return {
            "deployments": Deployment.objects.filter(project=project).count(),
            "issues": Issue.objects.filter(project=project).count(),
            "resolved": Issue.objects.filter(project=project, resolved_at__isnull=False).count(),
            "jobs": Job.objects.filter(project=project).count(),
            "commits": Commit.objects.filter(project=project).count(),
        }


@pytest.fixture
def tenants():
    return Tenant("alpha", secret="alpha-signing-secret"), Tenant("beta", secret="beta-secret-x")


# --- ingestion routes: one row per route, with a body it accepts ------------------------------

BY_NAME = "api/rest/plugins/webhook/connections/by-name/<str:connection_name>/"
TOKEN_ROUTES = {
    # pattern: (path for a connection, body)
    "api/v1/connections/<int:connection_id>/deployments": (
        "/api/v1/connections/{id}/deployments",
        DEPLOYMENT,
    ),
    "api/v1/connections/<int:connection_id>/issues": ("/api/v1/connections/{id}/issues", ISSUE),
    "api/v1/connections/<int:connection_id>/issues/<str:issue_key>/close": (
        "/api/v1/connections/{id}/issues/" + CLOSE_KEY + "/close",
        None,
    ),
    "api/v1/connections/<int:connection_id>/changes": ("/api/v1/connections/{id}/changes", CHANGE),
    "api/v1/connections/<int:connection_id>/incidents": (
        "/api/v1/connections/{id}/incidents",
        INCIDENT,
    ),
    "api/rest/plugins/webhook/<int:connection_id>/deployments": (
        "/api/rest/plugins/webhook/{id}/deployments",
        DEPLOYMENT,
    ),
    "api/rest/plugins/webhook/<int:connection_id>/issues": (
        "/api/rest/plugins/webhook/{id}/issues",
        ISSUE,
    ),
    "api/rest/plugins/webhook/<int:connection_id>/issue/<str:issue_key>/close": (
        "/api/rest/plugins/webhook/{id}/issue/" + CLOSE_KEY + "/close",
        None,
    ),
    "api/rest/plugins/webhook/connections/<int:connection_id>/deployments": (
        "/api/rest/plugins/webhook/connections/{id}/deployments",
        DEPLOYMENT,
    ),
    "api/rest/plugins/webhook/connections/<int:connection_id>/issues": (
        "/api/rest/plugins/webhook/connections/{id}/issues",
        ISSUE,
    ),
    "api/rest/plugins/webhook/connections/<int:connection_id>/issue/<str:issue_key>/close": (
        "/api/rest/plugins/webhook/connections/{id}/issue/" + CLOSE_KEY + "/close",
        None,
    ),
    "api/rest/plugins/webhook/connections/by-name/<str:connection_name>/deployments": (
        "/api/rest/plugins/webhook/connections/by-name/{name}/deployments",
        DEPLOYMENT,
    ),
    "api/rest/plugins/webhook/connections/by-name/<str:connection_name>/issues": (
        "/api/rest/plugins/webhook/connections/by-name/{name}/issues",
        ISSUE,
    ),
    BY_NAME + "issue/<str:issue_key>/close": (
        "/api/rest/plugins/webhook/connections/by-name/{name}/issue/" + CLOSE_KEY + "/close",
        None,
    ),
    # Opsgenie sends the token in the custom Authorization header it is given.
    "api/v1/connections/<int:connection_id>/opsgenie": (
        "/api/v1/connections/{id}/opsgenie",
        {
            "action": "Create",
            "alert": {"alertId": "a-1", "message": "main down", "priority": "P1"}
            | {"createdAt": 1709294400000},
        },
    ),
}
PULL_REQUEST = {
    "id": "pr-1",
    "displayTitle": "Cache exchange rates",
    "pullRequestKey": 1,
    "status": "MERGED",
    "createdDate": "2024-03-01T08:00:00Z",
    "mergedDate": "2024-03-01T10:00:00Z",
    "mergeCommitSha": SHA,
    "url": "https://github.com/acme/api/pull/1",
}
for _form, _path in (
    ("<int:connection_id>/", "{id}/"),
    ("connections/<int:connection_id>/", "connections/{id}/"),
    ("connections/by-name/<str:connection_name>/", "connections/by-name/{name}/"),
):
    TOKEN_ROUTES[f"api/rest/plugins/webhook/{_form}pull_requests"] = (
        f"/api/rest/plugins/webhook/{_path}pull_requests",
        PULL_REQUEST,
    )
# DevLake's backend-port prefix: the same routes without the UI proxy's /api.
TOKEN_ROUTES |= {
    pattern.removeprefix("api/"): (path.removeprefix("/api"), body)
    for pattern, (path, body) in list(TOKEN_ROUTES.items())
    if pattern.startswith("api/rest/plugins/webhook/")
}
# DevLake's keyless forms: always 401, DORA Hub needs a token.
KEYLESS_ROUTES = {"plugins/webhook/<path:rest>", "api/plugins/webhook/<path:rest>"}
SIGNED_ROUTES = {
    f"api/v1/connections/<int:connection_id>/{source}"
    for source in ("gitlab", "pagerduty", "opsgenie", "incidentio", "jira")
} | {
    "api/v1/connections/<int:connection_id>/cirrus",
    "api/v1/connections/<int:connection_id>/github",
}
# The API key names the connection (Pulse's webhook; Allstacks, whose service_id is its own).
KEYED_ROUTES = {
    "v1/ingestion/<str:provider>",
    "webhook/company/<str:company_id>/cicd_job",
    "api/rest/plugins/webhook/projects/<str:project_name>/deployments",
    "rest/plugins/webhook/projects/<str:project_name>/deployments",
}
READ_ROUTES = {
    "api/v1/deployments",
    "api/v1/issues",
    "api/v1/metrics/dora",
    "api/v1/metrics/dora/projects",
}
PAGES = {
    "": "/",
    "activity/": "/activity/",
    "projects/<slug:slug>/": "/projects/{slug}/",
    "projects/<slug:slug>/deployments/": "/projects/{slug}/deployments/",
    "projects/<slug:slug>/deployments/<int:pk>/": "/projects/{slug}/deployments/1/",
    "projects/<slug:slug>/incidents/": "/projects/{slug}/incidents/",
    "projects/<slug:slug>/incidents/<int:pk>/": "/projects/{slug}/incidents/1/",
    "projects/<slug:slug>/ci/": "/projects/{slug}/ci/",
    "projects/<slug:slug>/deliveries/": "/projects/{slug}/deliveries/",
    "projects/<slug:slug>/changes/": "/projects/{slug}/changes/",
    "projects/<slug:slug>/coverage/": "/projects/{slug}/coverage/",
    # Attribution is changed by POST, by users with `issues.change_attribution` (tests/issues).
    "projects/<slug:slug>/incidents/<int:pk>/attribution/": (
        "/projects/{slug}/incidents/1/attribution/"
    ),
    "projects/<slug:slug>/deployments/<int:pk>/attribution/": (
        "/projects/{slug}/deployments/1/attribution/"
    ),
    "projects/<slug:slug>/decisions/<int:pk>/withdraw/": "/projects/{slug}/decisions/1/withdraw/",
    "teams/<slug:slug>/": "/teams/{slug}/",
    "teams/<slug:slug>/coverage/": "/teams/{slug}/coverage/",
    "teams/<slug:slug>/deployments/": "/teams/{slug}/deployments/",
    "teams/<slug:slug>/changes/": "/teams/{slug}/changes/",
    "teams/<slug:slug>/incidents/": "/teams/{slug}/incidents/",
    "organisation/deployments/": "/organisation/deployments/",
    "organisation/changes/": "/organisation/changes/",
    "organisation/incidents/": "/organisation/incidents/",
    "accounts/password_change/": "/accounts/password_change/",
    "accounts/password_change/done/": "/accounts/password_change/done/",
}
PUBLIC = {"healthz", "api/schema/", "api/docs/", "accounts/login/", "accounts/logout/"}


def all_routes() -> set[str]:
    def walk(patterns, prefix=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            else:
                yield prefix + str(pattern.pattern)

    return {route for route in walk(get_resolver().url_patterns) if not route.startswith("admin/")}


def test_every_route_is_in_this_table():
    """A new route must say who may use it here before it ships."""
    known = (
        set(TOKEN_ROUTES)
        | SIGNED_ROUTES
        | KEYED_ROUTES
        | KEYLESS_ROUTES
        | READ_ROUTES
        | set(PAGES)
        | PUBLIC
    )
    assert all_routes() == known


def send(route: str, *, target: Tenant, token: str):
    path, body = TOKEN_ROUTES[route]
    path = path.format(id=target.connection.pk, name=target.connection.name)
    return Client().post(
        path,
        data=json.dumps(body) if body is not None else b"",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


@pytest.mark.parametrize("route", sorted(TOKEN_ROUTES))
def test_a_token_writes_its_own_connection_and_never_another(tenants, route):
    alpha, beta = tenants
    before = beta.rows()

    refused = send(route, target=beta, token=alpha.token)

    assert_error(refused, 403, "wrong_connection")
    assert beta.rows() == before
    assert Delivery.objects.latest("id").status == DeliveryStatus.REJECTED
    own = send(route, target=alpha, token=alpha.token)
    assert own.status_code in (200, 201), own.content  # the same request, on its own data


@pytest.mark.parametrize("route", sorted(TOKEN_ROUTES))
@pytest.mark.parametrize("state", ["revoked", "expired", "disabled", "unknown", "malformed"])
def test_dead_tokens_write_nothing(tenants, route, state):
    alpha, _ = tenants
    token = alpha.token
    if state == "revoked":
        revoke_token(token=alpha.connection.tokens.get())
    elif state == "expired":
        token = issue_token(
            connection=alpha.connection, expires_at=timezone.now() - timedelta(seconds=1)
        ).plaintext
    elif state == "disabled":
        alpha.connection.is_active = False
        alpha.connection.save()
    elif state == "unknown":
        token = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    else:
        token = "not a token"
    before = alpha.rows()

    response = send(route, target=alpha, token=token)

    expected = {
        "revoked": "token_revoked",
        "expired": "token_expired",
        "disabled": "connection_inactive",
        "unknown": "invalid_token",
        "malformed": "invalid_token",
    }[state]
    assert_error(response, 401, expected)
    assert alpha.rows() == before


def test_the_pulse_key_names_its_connection_so_it_cannot_reach_another(tenants):
    alpha, beta = tenants
    before = beta.rows()
    change = "c0ffee" * 6 + "abcd"
    body = {"$type": "change", "change_id": change, "time_created": START, "system": "web"}
    url = f"/v1/ingestion/cli?api_key={alpha.token}&connection_id={beta.connection.pk}"
    response = Client().post(url, data=json.dumps(body), content_type="application/json")

    assert response.status_code == 200, response.content
    assert beta.rows() == before
    assert Commit.objects.get(sha=change).project == alpha.project
    revoke_token(token=alpha.connection.tokens.get())
    again = Client().post(url, data=json.dumps(body), content_type="application/json")
    assert_error(again, 401, "token_revoked")


# --- trigger ownership: an event fires only the triggers of its own scope -------------------


def dispatch_all() -> None:
    for event_id in LifecycleEvent.objects.filter(dispatched_at__isnull=True).values_list(
        "pk", flat=True
    ):
        dispatch_event(event_id=event_id)


@pytest.mark.parametrize("route", sorted(TOKEN_ROUTES))
def test_a_token_never_fires_another_projects_triggers(tenants, route):
    """The event name (`devlake:acme/api:deployment.succeeded`) is the sender's to choose, so
    beta's token naming alpha's repository must still reach only beta's triggers."""
    alpha, beta = tenants
    dispatch_all()  # the seeding's own events
    hook = "https://hooks.example.com/"
    alphas = save_trigger(
        name="alpha", patterns=["*:*:*"], url=hook, secret="s", project=alpha.project
    ).trigger
    alpha_ci = save_trigger(
        name="alpha-ci", patterns=["*:*:*"], url=hook, secret="s", connections=[alpha.connection]
    ).trigger
    betas = save_trigger(
        name="beta", patterns=["*:*:*"], url=hook, secret="s", project=beta.project
    ).trigger
    everywhere = save_trigger(
        name="everywhere", patterns=["*:*:*"], url=hook, secret="s", all_projects=True
    ).trigger

    response = send(route, target=beta, token=beta.token)
    dispatch_all()

    assert response.status_code in (200, 201), response.content
    fired = TriggerDelivery.objects.select_related("event")
    assert not fired.filter(trigger__in=[alphas, alpha_ci]).exists()
    assert {d.event.project_id for d in fired} <= {beta.project.pk}
    assert fired.filter(trigger=betas).count() == fired.filter(trigger=everywhere).count()


# --- signed senders -----------------------------------------------------------------------


def cirrus_send(target: Tenant, body: bytes, signature: str):
    return Client().post(
        f"/api/v1/connections/{target.connection.pk}/cirrus",
        data=body,
        content_type="application/json",
        HTTP_X_CIRRUS_EVENT="task",
        HTTP_X_CIRRUS_SIGNATURE=signature,
    )


def github_send(target: Tenant, body: bytes, signature: str, delivery: str = "d-1"):
    return Client().post(
        f"/api/v1/connections/{target.connection.pk}/github",
        data=body,
        content_type="application/json",
        HTTP_X_GITHUB_EVENT="push",
        HTTP_X_GITHUB_DELIVERY=delivery,
        HTTP_X_HUB_SIGNATURE_256=signature,
    )


def _signed_post(route: str, header: str, **extra: str):
    def post(target: Tenant, body: bytes, signature: str):
        headers = {header: signature} if signature else {}
        return Client().post(
            f"/api/v1/connections/{target.connection.pk}/{route}",
            data=body,
            content_type="application/json",
            **headers,
            **extra,
        )

    return post


def incidentio_send(target: Tenant, body: bytes, signature: str):
    # The signature is "<timestamp>|v1,<base64>": the timestamp it was computed for travels
    # with it, so a replay repeats both.
    stamp, _, value = signature.rpartition("|")
    headers = {"HTTP_WEBHOOK_SIGNATURE": value} if value else {}
    return Client().post(
        f"/api/v1/connections/{target.connection.pk}/incidentio",
        data=body,
        content_type="application/json",
        HTTP_WEBHOOK_ID="msg_access_1",
        HTTP_WEBHOOK_TIMESTAMP=stamp or str(int(time.time())),
        **headers,
    )


def incidentio_sign(body: bytes, secret: str) -> str:
    stamp = str(int(time.time()))
    signed = f"msg_access_1.{stamp}.".encode() + body
    return f"{stamp}|v1," + hmac_sha256_base64(key=signing_key(secret), body=signed)


def _hex(body: bytes, secret: str) -> str:
    return hmac_sha256_hex(secret=secret, body=body)


_PAGERDUTY_BODY = {
    "event": {
        "id": "01ACCESS",
        "event_type": "incident.triggered",
        "occurred_at": START,
        "data": {"id": "PACCESS", "type": "incident", "status": "triggered", "title": "main down"}
        | {"created_at": START},
    }
}
_JIRA_BODY = {
    "webhookEvent": "jira:issue_created",
    "issue": {
        "id": "1",
        "key": "OPS-1",
        "fields": {"summary": "main down", "issuetype": {"name": "Incident"}}
        | {"project": {"key": "OPS"}, "created": START, "updated": START},
    },
}
_INCIDENTIO_BODY = {
    "event_type": "public_incident.incident_created_v2",
    "public_incident.incident_created_v2": {
        "id": "01ACCESS",
        "reference": "INC-77",
        "name": "main down",
        "incident_status": {"name": "Investigating", "category": "live"},
        "created_at": START,
        "updated_at": START,
    },
}

SENDERS = {
    "pagerduty": (
        _signed_post("pagerduty", "HTTP_X_PAGERDUTY_SIGNATURE"),
        lambda body, secret: "v1=" + _hex(body, secret),
        json.dumps(_PAGERDUTY_BODY).encode(),
    ),
    "jira": (
        _signed_post("jira", "HTTP_X_HUB_SIGNATURE"),
        lambda body, secret: "sha256=" + _hex(body, secret),
        json.dumps(_JIRA_BODY).encode(),
    ),
    "incidentio": (incidentio_send, incidentio_sign, json.dumps(_INCIDENTIO_BODY).encode()),
    "cirrus": (
        cirrus_send,
        lambda body, secret: cirrus.sign(body, secret),
        cirrus.REAL_TASK_DELIVERY.encode(),
    ),
    "github": (
        github_send,
        lambda body, secret: "sha256=" + github.sign(body, secret).removeprefix("sha256="),
        json.dumps(github.PUSH).encode(),
    ),
}


@pytest.mark.parametrize("provider", sorted(SENDERS))
def test_signatures_refuse_truncated_resigned_and_foreign_bodies(tenants, provider):
    alpha, beta = tenants
    post, sign, body = SENDERS[provider]
    good = sign(body, alpha.secret)
    before = (alpha.rows(), beta.rows())

    cases = {
        "truncated body": post(alpha, body[:-10], good),
        "body with a byte changed": post(alpha, body.replace(b"main", b"mayn", 1), good),
        "signed with another secret": post(alpha, body, sign(body, "guessed-secret")),
        "another connection's secret": post(beta, body, good),
        "signature cut short": post(alpha, body, good[:-8]),
        "no signature": post(alpha, body, ""),
        "the token instead": post(alpha, body, alpha.token),
    }

    for name, response in cases.items():
        assert response.status_code == 401, (name, response.content)
        expected = "signature_missing" if name == "no signature" else "signature_invalid"
        assert response.json()["error"]["code"] == expected, name
        assert alpha.secret not in response.content.decode(), name
    assert (alpha.rows(), beta.rows()) == before


@pytest.mark.parametrize("provider", sorted(SENDERS))
def test_a_replayed_signed_delivery_is_answered_again_and_stored_once(tenants, provider):
    alpha, _ = tenants
    post, sign, body = SENDERS[provider]
    signature = sign(body, alpha.secret)

    first = post(alpha, body, signature)
    rows = alpha.rows()
    replays = [post(alpha, body, signature) for _ in range(3)]

    assert first.status_code in (200, 201), first.content
    assert [r.status_code for r in replays] == [first.status_code] * 3
    assert alpha.rows() == rows
    assert Delivery.objects.filter(status=DeliveryStatus.DUPLICATE).count() == 3


# --- reading ----------------------------------------------------------------------------------


def get(path, token=None, **params):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    return Client().get(path, params, **headers)


def test_read_apis_show_a_token_only_its_own_project(tenants):
    alpha, beta = tenants
    deployments = get("/api/v1/deployments", alpha.token).json()["results"]
    issues = get("/api/v1/issues", alpha.token).json()["results"]
    asked_for_beta = get("/api/v1/deployments", alpha.token, project=beta.project.slug).json()

    assert {d["external_id"] for d in deployments} == {"seed-alpha"}
    assert {i["external_id"] for i in issues} == {CLOSE_KEY}
    assert asked_for_beta["results"] == []
    assert get("/api/v1/issues", alpha.token, connection=beta.connection.pk).json()["results"] == []


def test_metrics_api_shows_a_token_only_its_own_project(tenants):
    alpha, beta = tenants
    since = {"since": "2024-01-01", "until": "2024-02-01"}

    own = get("/api/v1/metrics/dora", alpha.token, **since)
    other = get("/api/v1/metrics/dora", alpha.token, project=beta.project.slug, **since)
    projects = get("/api/v1/metrics/dora/projects", alpha.token, **since).json()["projects"]

    assert own.json()["scope"]["project"] == alpha.project.slug
    assert own.json()["deployment_frequency"]["deployments"] == 1
    assert_error(other, 403, "wrong_project")
    assert [row["project"]["slug"] for row in projects] == [alpha.project.slug]


@pytest.mark.parametrize("route", sorted(READ_ROUTES))
def test_read_apis_refuse_anonymous_callers(tenants, route):
    response = get("/" + route)
    assert_error(response, 401, "not_authenticated")


@pytest.mark.parametrize("route", sorted(PAGES))
def test_pages_send_anonymous_visitors_to_the_login(tenants, route):
    alpha, _ = tenants
    path = PAGES[route].format(slug=alpha.project.slug)
    response = Client().get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_the_admin_is_for_staff_only(tenants):
    user = Client()
    user.force_login(UserFactory())
    staff = Client()
    staff.force_login(StaffFactory())
    urls = ["/admin/"]
    for model in admin.site._registry:
        meta = model._meta
        urls.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"))

    for url in urls:
        for client in (user, Client()):
            response = client.get(url)
            assert response.status_code == 302, url
            assert response["Location"].startswith("/admin/login/"), url
        assert staff.get(url).status_code == 200, url


# --- forms ------------------------------------------------------------------------------------


def test_login_forms_need_their_csrf_token():
    StaffFactory(username="carol")
    credentials = {"username": "carol", "password": "correct horse battery staple"}
    for url in ("/accounts/login/", "/admin/login/"):
        client = Client(enforce_csrf_checks=True)
        assert client.post(url, credentials).status_code == 403, url
        client.get(url)  # the form sets the CSRF cookie
        token = client.cookies["csrftoken"].value
        signed_in = client.post(url, credentials | {"csrfmiddlewaretoken": token})
        assert signed_in.status_code == 302, url


def test_admin_forms_and_logout_need_the_csrf_token(tenants):
    alpha, _ = tenants
    client = Client(enforce_csrf_checks=True)
    client.force_login(StaffFactory())
    forms = {
        "/admin/connections/project/add/": {"name": "Gamma", "slug": "gamma", "time_zone": "UTC"},
        f"/admin/connections/connection/{alpha.connection.pk}/delete/": {"post": "yes"},
        "/admin/ingest/delivery/": {"action": "delete_selected", "_selected_action": ["1"]},
        "/accounts/password_change/": {"old_password": "x", "new_password1": "y"},
        "/accounts/logout/": {},
    }
    for url, data in forms.items():
        assert client.post(url, data).status_code == 403, url
    assert alpha.connection.__class__.objects.filter(pk=alpha.connection.pk).exists()
    assert "_auth_user_id" in client.session  # logout without the token did not log out


# --- secrets --------------------------------------------------------------------------------


def test_secrets_never_come_back_out(tenants, caplog):
    alpha, beta = tenants
    caplog.set_level(logging.DEBUG)
    secrets = [alpha.token, beta.token, alpha.secret, beta.secret]
    body = json.dumps(DEPLOYMENT)
    client = Client()
    answers = [
        client.post(f"/v1/ingestion/cli?api_key={alpha.token}", body, "application/json"),
        client.post(f"/v1/ingestion/cli?api_key={alpha.token}x", body, "application/json"),
        client.post(
            f"/api/v1/connections/{beta.connection.pk}/deployments",
            body,
            "application/json",
            HTTP_AUTHORIZATION=f"Bearer {alpha.token}",
        ),
        client.post(
            f"/api/v1/connections/{alpha.connection.pk}/deployments?token={alpha.token}",
            body,
            "application/json",
            HTTP_X_API_KEY=alpha.token,
        ),
        client.post(
            f"/api/v1/connections/{alpha.connection.pk}/deployments",
            body,
            "application/json",
            HTTP_AUTHORIZATION=f"Token {alpha.token[:-3]}",
        ),
        cirrus_send(alpha, b'{"x": 1}', cirrus.sign(b'{"x": 2}', alpha.secret)),
        github_send(alpha, b"{}", "sha256=" + "0" * 64),
        client.get("/api/v1/metrics/dora", {"api_key": beta.token, "project": "nope"}),
    ]

    for response in answers:
        text = response.content.decode()
        assert not any(secret in text for secret in secrets), text
    for delivery in Delivery.objects.all():
        stored = json.dumps(
            [delivery.headers, delivery.query, delivery.response_body, delivery.error]
        )
        assert not any(secret in stored for secret in secrets), stored
    console = next(
        handler
        for handler in logging.getLogger().handlers
        if any(type(f).__name__ == "RedactSecretsFilter" for f in handler.filters)
    )
    for record in caplog.records:
        console.filter(record)
        line = console.format(record)
        assert not any(secret in line for secret in secrets), line
    # What the development server logs for each request carries the query string.
    request_line = logging.LogRecord(
        "django.server", logging.INFO, __file__, 1,
        '"POST /v1/ingestion/cli?api_key=%s HTTP/1.1" 200 42', (alpha.token,), None,
    )  # fmt: skip
    console.filter(request_line)
    assert alpha.token not in console.format(request_line)
