"""An incident from each incident tool moves time to restore, failed deployment recovery time
and change failure rate exactly as METRICS.md says: linked to the latest production deployment
before it within the link window, restored at the provider's resolution time."""

from datetime import UTC, datetime, timedelta

import pytest

from tests.factories import ConnectionFactory, ProjectFactory, token_for
from tests.integrations import sources as src
from tests.metrics import history as hist
from tests.metrics import reference as ref

pytestmark = pytest.mark.django_db

NOON = datetime(2024, 3, 5, 12, tzinfo=UTC)
OPENED, RESOLVED = NOON + timedelta(minutes=30), NOON + timedelta(hours=2, minutes=30)
MARCH = {"project": "shop", "since": "2024-03-01", "until": "2024-04-01"}


def iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


def pagerduty(api, connection):
    def event(event_type, at, status):
        return src.changed(
            src.load("pagerduty", "incident_priority_updated"),
            **{
                "event.id": event_type,
                "event.event_type": event_type,
                "event.occurred_at": iso(at),
                "event.data.created_at": iso(OPENED),
                "event.data.status": status,
            },
        )

    for payload in (
        event("incident.triggered", OPENED, "triggered"),
        event("incident.resolved", RESOLVED, "resolved"),
    ):
        body = src.encoded(payload)
        yield src.post(api, connection, "pagerduty", body, src.pagerduty_headers(body))


def opsgenie(api, connection):
    token = token_for(connection)
    for action, at in (("Create", OPENED), ("Close", RESOLVED)):
        payload = src.changed(
            src.load("opsgenie", "create"),
            action=action,
            **{
                "alert.priority": "P1",
                "alert.createdAt": int(OPENED.timestamp() * 1000),
                "alert.updatedAt": int(at.timestamp()) * 10**9,
            },
        )
        headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
        yield src.post(api, connection, "opsgenie", src.encoded(payload), headers)


def incidentio(api, connection):
    created_type, status_type = (
        "public_incident.incident_created_v2",
        "public_incident.incident_status_updated_v2",
    )
    incident = src.load("incidentio", "incident_created_v2")[created_type]
    incident |= {"created_at": iso(OPENED), "updated_at": iso(OPENED)}
    closed = {
        **incident,
        "incident_status": {"id": "c", "name": "Closed", "category": "closed", "rank": 99},
        "updated_at": iso(RESOLVED),
    }
    status = src.load("incidentio", "incident_status_updated_v2")
    status[status_type]["incident"] = closed
    for payload in ({"event_type": created_type, created_type: incident}, status):
        body = src.encoded(payload)
        yield src.post(api, connection, "incidentio", body, src.incidentio_headers(body))


def jira(api, connection):
    def issue(event, **fields):
        return src.changed(
            src.load("jira", "issue_created"),
            webhookEvent=event,
            **{"issue.fields.issuetype.name": "Incident", "issue.fields.created": iso(OPENED)},
            **{f"issue.fields.{key}": value for key, value in fields.items()},
        )

    for payload in (
        issue("jira:issue_created", updated=iso(OPENED)),
        issue("jira:issue_updated", updated=iso(RESOLVED), resolutiondate=iso(RESOLVED)),
    ):
        body = src.encoded(payload)
        yield src.post(api, connection, "jira", body, src.jira_headers(body))


def gitlab(api, connection):
    for state, at in (("opened", OPENED), ("closed", RESOLVED)):
        payload = src.load("gitlab", "issue_hook")
        payload["object_kind"] = "work_item"
        # A GitLab incident names its project: it links to that repository's deployments.
        payload["project"]["web_url"] = hist.REPO
        payload["object_attributes"] |= {
            "type": "Incident",
            "state": state,
            "created_at": iso(OPENED),
            "updated_at": iso(at),
            "closed_at": iso(at) if state == "closed" else None,
        }
        headers = {"HTTP_X_GITLAB_EVENT": "Issue Hook", "HTTP_X_GITLAB_TOKEN": src.SECRET}
        yield src.post(api, connection, "gitlab", src.encoded(payload), headers)


# PagerDuty names a service: mapped to none, its incidents link by project and environment
# alone, as the deployments here name no service.
SETTINGS = {"pagerduty": {"service_map": {"PF9KMXH": ""}}}
SOURCES = {
    "pagerduty": (pagerduty, src.SECRET),
    "opsgenie": (opsgenie, ""),
    "incidentio": (incidentio, src.SVIX_SECRET),
    "jira": (jira, src.SECRET),
    "gitlab": (gitlab, src.SECRET),
}


@pytest.mark.parametrize("kind", SOURCES)
def test_an_incident_from_each_source_fills_restore_times_and_failure_rate(
    api, staff_client, django_capture_on_commit_callbacks, kind
):
    project = ProjectFactory(slug="shop", name="Shop")
    deploys = ConnectionFactory(project=project, kind="devlake")
    hist.write(deploys, ref.Deployment("earlier", NOON - timedelta(days=1), ("1" * 40,)))
    hist.write(deploys, ref.Deployment("culprit", NOON, ("2" * 40,)))
    send, secret = SOURCES[kind]
    source = ConnectionFactory(
        project=project, kind=kind, secret=secret, settings=SETTINGS.get(kind, {})
    )

    with django_capture_on_commit_callbacks(execute=True):
        answers = [response.status_code for response in send(api, source)]

    assert answers == [200, 200]
    body = staff_client.get("/api/v1/metrics/dora", MARCH).json()
    assert body["time_to_restore"]["incidents"] == 1
    assert body["time_to_restore"]["median_seconds"] == 2 * 3600  # resolved - created
    # resolved - the linked deployment's finished_at
    assert body["failed_deployment_recovery_time"]["median_seconds"] == 2.5 * 3600
    assert body["change_failure_rate"] | {"level": None} == {
        "rate": 0.5,
        "failed_deployments": 1,
        "deployments": 2,
        "level": None,
    }
    listed = staff_client.get("/api/v1/issues").json()["results"]
    assert [(row["link_method"], row["is_incident"]) for row in listed] == [("window", True)]
