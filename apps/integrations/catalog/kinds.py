"""Every connection kind's routes, signing setup and example bodies (the data of the
catalog); a kind that is not here is not offered in the admin."""

from apps.connections.models import ConnectionKind
from apps.integrations.catalog.model import (
    EPOCH,
    EPOCH_MS,
    EPOCH_NS,
    EXAMPLE_SHA,
    JIRA_NOW,
    NOW,
    REPO_NAME,
    REPO_OWNER,
    REPO_URL,
    SVIX_SIGNATURE_LINES,
    TOKEN_VARIABLE,
    KindSetup,
    RouteExample,
    Signing,
)

_DEPLOYMENT = {
    "repo_url": REPO_URL,
    "commit_sha": EXAMPLE_SHA,
    "start_time": NOW,
    "end_time": NOW,
    "result": "SUCCESS",
}
_INCIDENT = {
    "issue_key": "INC-7",
    "title": "Checkout returns 500",
    "type": "INCIDENT",
    "status": "TODO",
    "created_date": NOW,
}
_NATIVE = (
    RouteExample("Deployment", "/api/v1/connections/{id}/deployments", _DEPLOYMENT),
    RouteExample("Issue or incident", "/api/v1/connections/{id}/issues", _INCIDENT),
    RouteExample("Close issue", "/api/v1/connections/{id}/issues/INC-7/close", None),
)
_DEVLAKE = (
    RouteExample("Deployment (DevLake)", "/api/rest/plugins/webhook/{id}/deployments", _DEPLOYMENT),
    RouteExample(
        "Deployment by connection name",
        "/api/rest/plugins/webhook/connections/by-name/{name}/deployments",
        _DEPLOYMENT,
    ),
    RouteExample("Incident (DevLake)", "/api/rest/plugins/webhook/{id}/issues", _INCIDENT),
    RouteExample("Close incident", "/api/rest/plugins/webhook/{id}/issue/INC-7/close", None),
    RouteExample(
        "Merged pull request (DevLake): its merge commit becomes a change",
        "/api/rest/plugins/webhook/connections/{id}/pull_requests",
        {
            "id": "pr-43",
            "displayTitle": "Cache exchange rates",
            "pullRequestKey": 43,
            "status": "MERGED",
            "url": REPO_URL + "/pull/43",
            "createdDate": NOW,
            "mergedDate": NOW,
            "mergeCommitSha": EXAMPLE_SHA,
        },
    ),
)
_CTOAI_EVENT = {
    "team_id": "my-team",
    "environment": "production",
    "image": None,
    "branch": "main",
    "commit": EXAMPLE_SHA,
    "repo": REPO_OWNER + "/" + REPO_NAME,
}
_PULSE_URL = f"/v1/ingestion/cli?api_key={TOKEN_VARIABLE}"

CATALOG: dict[str, KindSetup] = {
    ConnectionKind.DEVLAKE: KindSetup(_DEVLAKE + _NATIVE),
    ConnectionKind.GENERIC: KindSetup(_NATIVE),
    ConnectionKind.CTOAI: KindSetup(
        (
            RouteExample(
                "Deployment event (CTO.ai Events API, at the host's root)",
                "/",
                {"event_name": "deployment", "event_action": "success", **_CTOAI_EVENT},
                extra_headers=(("x-ops-mechanism", "gitlab-job"),),
            ),
            RouteExample(
                "Change event (CTO.ai Events API)",
                "/",
                {"event_name": "change", "event_action": "merge", **_CTOAI_EVENT},
                extra_headers=(("x-ops-mechanism", "github-action"),),
            ),
        ),
        notes="The token names the connection; CTO.ai's clients post to the root of the host "
        "they are given (GET / stays the dashboard).",
    ),
    ConnectionKind.ALLSTACKS: KindSetup(
        (
            RouteExample(
                "Custom CD job (Allstacks)",
                "/webhook/company/1/cicd_job",
                {
                    "job_id": "1",
                    "status": "Succeeded",
                    "commit_sha": EXAMPLE_SHA,
                    "triggered_by": "testuser@org.com",
                    "repo_id": "12345",
                    "service_id": 417,  # Allstacks' own Custom CD service id, kept as sent
                    "job_start_time": EPOCH,
                    "job_duration": 300,
                    "job_type": "Production Deploy",
                },
            ),
        ),
        notes="The token names the connection; `service_id` is Allstacks' own Custom CD "
        "service id, kept as sent (name it under Service names in the settings).",
    ),
    ConnectionKind.PULSE: KindSetup(
        (
            RouteExample(
                "Deployment (Pulse ingestion)",
                _PULSE_URL,
                {
                    "$type": "deployment",
                    "source": "cli",
                    "deploy_id": "first-deployment",
                    "time_created": NOW,
                    "changes": [EXAMPLE_SHA],
                },
                auth="query",
            ),
            RouteExample(
                "Change (Pulse ingestion)",
                _PULSE_URL,
                {
                    "$type": "change",
                    "source": "cli",
                    "change_id": EXAMPLE_SHA,
                    "time_created": NOW,
                    "event_type": "commit",
                },
                auth="query",
            ),
            RouteExample(
                "Incident (Pulse ingestion)",
                _PULSE_URL,
                {
                    "$type": "incident",
                    "source": "cli",
                    "incident_id": "INC-7",
                    "time_created": NOW,
                    "time_resolved": NOW,
                },
                auth="query",
            ),
            RouteExample(
                "Change (native)",
                "/api/v1/connections/{id}/changes",
                {"identifier": EXAMPLE_SHA, "timestamp": EPOCH},
            ),
            RouteExample(
                "Incident (native)",
                "/api/v1/connections/{id}/incidents",
                {"identifier": "INC-8", "timestampCreated": EPOCH, "timestampResolved": EPOCH},
            ),
        )
    ),
    ConnectionKind.CIRRUS: KindSetup(
        (
            RouteExample(
                "Finished deploy task (Cirrus CI, signed)",
                "/api/v1/connections/{id}/cirrus",
                {
                    "action": "updated",
                    "repository": {"id": 1, "owner": REPO_OWNER, "name": REPO_NAME},
                    "build": {
                        "id": 2,
                        "branch": "main",
                        "changeIdInRepo": EXAMPLE_SHA,
                        "status": "COMPLETED",
                    },
                    "task": {
                        "id": 3,
                        "name": "Deploy to production",
                        "status": "COMPLETED",
                        "statusTimestamp": EPOCH_MS,
                        "durationInSeconds": 95,
                    },
                },
                auth="signed",
                extra_headers=(("X-Cirrus-Event", "task"),),
            ),
        ),
        signing=Signing(
            "X-Cirrus-Signature: the hex HMAC-SHA256 of the body",
            "Cirrus CI: repository or organisation settings, Webhooks: the secret token.",
            headers=("X-Cirrus-Signature: $SIG",),
        ),
    ),
    ConnectionKind.GITHUB: KindSetup(
        (
            RouteExample(
                "Deployment status (GitHub, signed)",
                "/api/v1/connections/{id}/github",
                {
                    "deployment": {
                        "id": 1,
                        "sha": EXAMPLE_SHA,
                        "ref": "main",
                        "task": "deploy",
                        "environment": "production",
                        "description": "",
                        "created_at": NOW,
                        "production_environment": True,
                    },
                    "deployment_status": {
                        "state": "success",
                        "environment": "production",
                        "created_at": NOW,
                    },
                    "repository": {
                        "full_name": f"{REPO_OWNER}/{REPO_NAME}",
                        "html_url": REPO_URL,
                    },
                },
                auth="signed",
                extra_headers=(
                    ("X-GitHub-Event", "deployment_status"),
                    ("X-GitHub-Delivery", "first-delivery"),
                ),
            ),
            RouteExample(
                "Ping (GitHub, signed)",
                "/api/v1/connections/{id}/github",
                {"zen": "Keep it logically awesome.", "hook_id": 1},
                auth="signed",
                extra_headers=(("X-GitHub-Event", "ping"), ("X-GitHub-Delivery", "ping-1")),
            ),
        ),
        signing=Signing(
            "X-Hub-Signature-256: sha256= and the hex HMAC-SHA256 of the body",
            "GitHub: repository Settings, Webhooks, Add webhook: content type application/json, "
            "the secret, events 'Deployment statuses', 'Pushes', 'Pull requests', "
            "'Workflow jobs', 'Releases', 'Issues'.",
            headers=("X-Hub-Signature-256: sha256=$SIG",),
        ),
    ),
    ConnectionKind.GITLAB: KindSetup(
        (
            RouteExample(
                "Deployment Hook (GitLab, secret token)",
                "/api/v1/connections/{id}/gitlab",
                {
                    "object_kind": "deployment",
                    "status": "success",
                    "status_changed_at": NOW,
                    "deployment_id": EPOCH,
                    "environment": "production",
                    "environment_tier": "production",
                    "project": {"path_with_namespace": "your-org/your-repo", "web_url": REPO_URL},
                    "commit_url": f"{REPO_URL}/-/commit/{EXAMPLE_SHA}",
                },
                auth="signed",
                extra_headers=(("X-Gitlab-Event", "Deployment Hook"),),
            ),
        ),
        # GitLab sends the secret itself, not a signature of the body.
        signing=Signing(
            "X-Gitlab-Token: the webhook's secret token itself",
            "GitLab: Settings, Webhooks, Add new webhook: this URL, the connection's secret as "
            "'Secret token'; Push, Merge request, Deployment, Pipeline, Releases and Issues "
            "events.",
            lines=(),
            headers=("X-Gitlab-Token: $DORAHUB_SECRET",),
        ),
    ),
    # Incident tools: the first example opens one incident.
    ConnectionKind.PAGERDUTY: KindSetup(
        (
            RouteExample(
                "PagerDuty V3 webhook (signed)",
                "/api/v1/connections/{id}/pagerduty",
                {
                    "event": {
                        "id": "01DEMO",
                        "event_type": "incident.triggered",
                        "resource_type": "incident",
                        "occurred_at": NOW,
                        "data": {
                            "id": "PDEMO01",
                            "type": "incident",
                            "status": "triggered",
                            "title": "Checkout returns 500",
                            "created_at": NOW,
                            "service": {"id": "PSVC01", "summary": "checkout"},
                            "urgency": "high",
                        },
                    }
                },
                auth="signed",
            ),
        ),
        signing=Signing(
            "X-PagerDuty-Signature: v1= and the hex HMAC-SHA256 of the body",
            "PagerDuty: Integrations, Generic Webhooks (v3), New Webhook: this URL; copy "
            "PagerDuty's signing secret into this connection.",
            headers=("X-PagerDuty-Signature: v1=$SIG",),
        ),
    ),
    ConnectionKind.OPSGENIE: KindSetup(
        (
            RouteExample(
                "Opsgenie alert (token in a custom header)",
                "/api/v1/connections/{id}/opsgenie",
                {
                    "action": "Create",
                    "alert": {
                        "alertId": "demo-alert-1",
                        "message": "Checkout returns 500",
                        "priority": "P1",
                        "tags": [],
                        "createdAt": EPOCH_MS,
                        "updatedAt": EPOCH_NS,
                    },
                },
            ),
        ),
        notes="Opsgenie: Settings, Integrations, Webhook: this URL, and a custom header "
        "'Authorization: Bearer <token>'.",
    ),
    ConnectionKind.INCIDENTIO: KindSetup(
        (
            RouteExample(
                "incident.io webhook (Standard Webhooks signature)",
                "/api/v1/connections/{id}/incidentio",
                {
                    "event_type": "public_incident.incident_created_v2",
                    "public_incident.incident_created_v2": {
                        "id": "01DEMO",
                        "reference": "INC-7",
                        "name": "Checkout returns 500",
                        "incident_status": {"name": "Investigating", "category": "live"},
                        "created_at": NOW,
                        "updated_at": NOW,
                    },
                },
                auth="signed",
            ),
        ),
        signing=Signing(
            "webhook-id, webhook-timestamp and webhook-signature (Standard Webhooks)",
            "incident.io: Settings, Webhooks, Add endpoint: this URL; copy its whsec_ signing "
            "secret into this connection.",
            lines=SVIX_SIGNATURE_LINES,
            headers=("webhook-id: $ID", "webhook-timestamp: $TS", "webhook-signature: v1,$SIG"),
        ),
    ),
    ConnectionKind.JIRA: KindSetup(
        (
            RouteExample(
                "Jira webhook (signed)",
                "/api/v1/connections/{id}/jira",
                {
                    "webhookEvent": "jira:issue_created",
                    "issue": {
                        "id": "10001",
                        "key": "OPS-7",
                        "fields": {
                            "summary": "Checkout returns 500",
                            "issuetype": {"name": "Incident"},
                            "project": {"key": "OPS"},
                            "created": JIRA_NOW,
                            "updated": JIRA_NOW,
                        },
                    },
                },
                auth="signed",
            ),
        ),
        signing=Signing(
            "X-Hub-Signature: sha256= and the hex HMAC-SHA256 of the body",
            "Jira: System, WebHooks, Create a WebHook: this URL and a secret; the same secret "
            "on this connection.",
            headers=("X-Hub-Signature: sha256=$SIG",),
        ),
    ),
}
