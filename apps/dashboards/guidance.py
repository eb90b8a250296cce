"""'Why is this empty?': where a figure has no data or covers little, what is missing and how
to fix it, concretely for this project (its connections, routes and commands)."""

from apps.connections.models import Connection
from apps.dashboards.figures import Figure
from apps.dashboards.formatting import count, percent
from apps.dashboards.selectors import Coverage
from apps.dashboards.subjects import PageScope
from apps.integrations.catalog import examples_for

THIN_SHARE = 0.5  # below this share of deployments with change start times, the lead time is thin


def _example(connections: list[Connection], base_url: str, word: str) -> str:
    """The first ready-to-paste curl among the connections' routes whose title has `word`."""
    for connection in connections:
        for title, curl in examples_for(connection=connection, base_url=base_url):
            if word in title.lower():
                return f"{title} via connection “{connection.name}”: {curl}"
    return ""


def add_guidance(
    figures: dict[str, Figure], *, coverage: Coverage, page: PageScope, base_url: str
) -> None:
    """Fill each figure's `help` lines where it is empty or thin."""
    connections = [s.connection for s in coverage.sources]
    environment = page.environment
    deploy_help: list[str] = []
    if not connections:
        deploy_help.append(
            "No connection sends data here yet: create one in the admin "
            "(/admin/connections/connection/add/) and paste the curl its page shows."
        )
    if figures["deployments"].value == 0:
        for other, n in sorted(coverage.other_environments.items()):
            deploy_help.append(
                f"{count(n, 'deployment')} to {other} in this period: open "
                f"{page.subject.url('dashboard')}?environment={other} or send "
                f"environment={environment} from the production deploy job."
            )
        if coverage.newest_deployment_at and coverage.newest_deployment_at.date() < (
            page.period.since
        ):
            deploy_help.append(
                f"The newest {environment} deployment finished on "
                f"{coverage.newest_deployment_at:%Y-%m-%d}, before this period: widen the "
                "period, or check that the deploy job still posts (see Data coverage)."
            )
        if connections and not coverage.newest_deployment_at:
            example = _example(connections, base_url, "deployment")
            if example:
                deploy_help.append(f"Post a deployment: {example}")
    for key in ("deployment_frequency", "change_failure_rate", "rework_rate"):
        if figures[key].value is None:
            figures[key].help = list(deploy_help)

    lead = figures["lead_time"]
    share = coverage.change_share
    if lead.value is None or (share is not None and share < THIN_SHARE):
        service = page.service or "<service>"
        lines = []
        if share is not None:
            lines.append(
                f"Only {percent(share)} of the {count(coverage.deployments, 'deployment')} "
                "carry changes with a known start time."
            )
        lines += [
            "Send the commits with their times in the deployment payload (DevLake: "
            "`commits[].commit_authored_date`), or post `changes` before the deployment.",
            "Connect the GitHub push webhook (a GitHub connection) so pushes record changes.",
            f"Or load the history from tags: `dorahub backfill git --tags 'v*' --system "
            f"{service}` (docs/cli.md).",
        ]
        if coverage.deployments == 0:
            lines = list(deploy_help) or ["No deployments in this period, so no changes."]
        lead.help = lines

    incident_help: list[str] = []
    if not coverage.has_incident_rows:
        example = _example(connections, base_url, "incident")
        incident_help.append(
            "No incident source is connected: post incidents from your incident tool"
            + (f". {example}" if example else " (a PagerDuty, Opsgenie or incident.io connection).")
        )
    elif coverage.incidents and coverage.link_share is not None and coverage.link_share < 1:
        unlinked = coverage.incidents - coverage.linked_incidents
        incident_help.append(
            f"{count(unlinked, 'incident')} of this period "
            f"{'is' if unlinked == 1 else 'are'} not linked to a deployment: link each on its "
            "page, or re-post it with `deployment_id` / `caused_by`, or widen the project's "
            "link window in the admin."
        )
    for key in ("time_to_restore", "recovery_time"):
        if figures[key].value is None:
            figures[key].help = list(incident_help) or [
                "No incident was resolved in this period: open incidents count once they "
                "are closed (status DONE or the close route)."
            ]
    if figures["change_failure_rate"].value is not None and incident_help:
        figures["change_failure_rate"].help = incident_help
