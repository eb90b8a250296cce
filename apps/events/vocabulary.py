"""The fixed vocabulary of lifecycle events: the `{event}` part of `{origin}:{repo}:{event}`.

Source-neutral names (`deployment.*`, `change.*`, `incident.*`, `build.*`, `task.*`, `job.*`) are
shared by every source, so one trigger pattern such as `*:*:build.failed` covers Cirrus CI and
GitHub Actions alike. Git provider events keep the provider's own name (`push`,
`pull_request.merged`, `create.tag`), as CTO.ai's ops.yml does. Insight events are those that
feed the DORA metrics. Adding a name here is the one way to add an event; `record_event`
refuses any other.
"""

from dataclasses import dataclass

# GitHub's documented pull_request actions beyond opened/closed (and CTO.ai's `merged`).
_OTHER_PULL_REQUEST_ACTIONS = (
    "synchronize",
    "reopened",
    "edited",
    "assigned",
    "unassigned",
    "labeled",
    "unlabeled",
    "review_requested",
    "review_request_removed",
    "ready_for_review",
    "converted_to_draft",
    "locked",
    "unlocked",
    "milestoned",
    "demilestoned",
    "auto_merge_enabled",
    "auto_merge_disabled",
    "enqueued",
    "dequeued",
)
# CTO.ai's Events API actions (docs: deployment-events, change-events).
CTOAI_DEPLOYMENT_ACTIONS = ("success", "failure", "started", "progressing", "blocked")
CTOAI_CHANGE_ACTIONS = (
    "open",
    "review_request",
    "change_requested",
    "change",
    "merge",
    "close",
    "reopen",
)


@dataclass(frozen=True)
class EventType:
    name: str
    description: str
    insight: bool = False


VOCABULARY: tuple[EventType, ...] = (
    EventType("deployment.started", "A deployment began and has no result yet.", insight=True),
    EventType("deployment.succeeded", "A deployment reached its environment.", insight=True),
    EventType(
        "deployment.failed",
        "A deploy attempt failed or was aborted (it never reached the environment).",
        insight=True,
    ),
    EventType("change.opened", "A change (commit) was first reported.", insight=True),
    EventType("change.merged", "A change was merged into its target branch.", insight=True),
    EventType("change.closed", "A change was abandoned without being merged."),
    EventType("incident.opened", "An incident was opened.", insight=True),
    EventType("incident.resolved", "An incident was resolved (service restored).", insight=True),
    EventType("incident.acknowledged", "Someone acknowledged an incident or alert."),
    EventType("incident.escalated", "An incident or alert was escalated or reassigned."),
    EventType("incident.annotated", "A note or status update was added to an incident."),
    EventType("incident.activity", "Any other activity an incident tool reported."),
    EventType("build.started", "A CI build started running."),
    EventType("build.needs_approval", "A CI build waits for someone to approve it."),
    EventType("build.succeeded", "A CI build (or GitHub workflow run) succeeded."),
    EventType("build.failed", "A CI build failed, errored or timed out."),
    EventType("build.aborted", "A CI build was cancelled."),
    EventType("task.succeeded", "A CI task (a job inside a build) succeeded."),
    EventType("task.failed", "A CI task (a job inside a build) failed."),
    EventType("job.succeeded", "A job reported on its own (e.g. Allstacks Custom CD) succeeded."),
    EventType("job.failed", "A job reported on its own failed."),
    EventType("job.on_hold", "A job reported on its own waits for approval or is paused."),
    EventType("push", "Commits were pushed to a repository.", insight=True),
    EventType("pull_request.opened", "A pull request was opened."),
    EventType("pull_request.merged", "A pull request was merged.", insight=True),
    EventType("pull_request.closed", "A pull request was closed without being merged."),
    EventType("create.tag", "A tag was created."),
    EventType("release.published", "A release was published."),
    # GitHub's other pull_request actions, as CTO.ai's ops.yml names them.
    *(
        EventType(f"pull_request.{action}", f"A pull request: GitHub's {action!r} action.")
        for action in _OTHER_PULL_REQUEST_ACTIONS
    ),
    # CTO.ai's Events API (`event_name` + `event_action`), under CTO.ai's own spelling, so an
    # ops.yml written for CTO.ai keeps its names; the records DORA Hub derives from these carry
    # the source-neutral names above (deployment.succeeded, change.merged...).
    *(
        EventType(f"deployment.{action}", f"CTO.ai deployment event {action!r}.")
        for action in CTOAI_DEPLOYMENT_ACTIONS
        if action != "started"
    ),
    *(
        EventType(f"change.{action}", f"CTO.ai change event {action!r}.")
        for action in CTOAI_CHANGE_ACTIONS
    ),
)

BY_NAME: dict[str, EventType] = {event.name: event for event in VOCABULARY}
NAMES: tuple[str, ...] = tuple(BY_NAME)


def is_known(name: str) -> bool:
    return name in BY_NAME


def is_insight(name: str) -> bool:
    event = BY_NAME.get(name)
    return bool(event and event.insight)
