"""Post deployments and incidents the way a sender does, follow-ups included."""

from datetime import UTC, datetime, timedelta
from typing import Any

from apps.deployments.models import Deployment
from apps.issues.models import Issue

T0 = datetime(2024, 5, 6, 9, tzinfo=UTC)  # a Monday
REPO = "https://github.com/acme/shop"


def at(hours: float) -> str:
    return (T0 + timedelta(hours=hours)).isoformat()


class Sender:
    """Posts through the real routes and runs what the pipeline runs after each commit."""

    def __init__(self, api: Any, sender: Any, capture: Any):
        self.api, self.sender, self.capture = api, sender, capture

    def _post(self, route: str, body: dict[str, Any]) -> dict[str, Any]:
        with self.capture(execute=True):
            response = self.api.post(
                f"/api/v1/connections/{self.sender.connection.pk}/{route}",
                data=body,
                format="json",
                **self.sender.auth,
            )
        assert response.status_code in (200, 201), response.json()
        return response.json()

    def deploy(self, external_id: str, hours: float, sha: str = "", **fields: Any) -> Deployment:
        body = {
            "id": external_id,
            "repo_url": REPO,
            "commit_sha": sha or external_id.ljust(40, "0"),
            "start_time": at(hours - 0.1),
            "end_time": at(hours),
            **fields,
        }
        return Deployment.objects.get(pk=self._post("deployments", body)["id"])

    def incident(self, key: str, hours: float, **fields: Any) -> Issue:
        body = {
            "issue_key": key,
            "title": "Checkout is down",
            "type": "INCIDENT",
            "status": "TODO",
            "created_date": at(hours),
            **fields,
        }
        return Issue.objects.get(pk=self._post("issues", body)["id"])


def reload(issue: Issue) -> Issue:
    return Issue.objects.select_related("deployment", "resolved_by").get(pk=issue.pk)


def week_figures(project: Any) -> Any:
    """The project's DORA figures over the week starting at T0."""
    from apps.metrics.selectors import Scope, dora_report

    scope = Scope(project=project, since=T0.date(), until=T0.date() + timedelta(days=7))
    return dora_report(scope=scope).figures
