from datetime import datetime

from django.db import models

from apps.core.models import TimeStampedModel


class Environment(models.TextChoices):
    PRODUCTION = "PRODUCTION"
    STAGING = "STAGING"
    TESTING = "TESTING"
    DEVELOPMENT = "DEVELOPMENT"


class DeploymentResult(models.TextChoices):
    SUCCESS = "SUCCESS"
    FAILURE = "FAILURE"
    ABORT = "ABORT"
    MANUAL = "MANUAL"
    IN_PROGRESS = "IN_PROGRESS"


class ReworkDecision(models.TextChoices):
    """A person's decision about a deployment (METRICS.md, linking order rule 0)."""

    NONE = "", "no decision"
    ROLLBACK = "rollback", "a person marked it a rollback"
    HOTFIX = "hotfix", "a person marked it a hotfix"
    NOT_REWORK = "not_rework", "a person marked it neither rollback nor hotfix"


class Repository(models.Model):
    project = models.ForeignKey(
        "connections.Project", on_delete=models.CASCADE, related_name="repositories"
    )
    url = models.CharField(max_length=500, help_text="Normalised URL (or the name as sent).")
    name = models.CharField(max_length=500, help_text="owner/name where the URL has one.")

    class Meta:
        verbose_name_plural = "repositories"
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["project", "url"], name="repository_unique_url")
        ]

    def __str__(self) -> str:
        return self.name or self.url


class Commit(models.Model):
    """A change. Identity is (project, sha): a change reported without a repository (Pulse)
    is the same change as a deployment's commit with that sha."""

    project = models.ForeignKey(
        "connections.Project", on_delete=models.CASCADE, related_name="commits"
    )
    sha = models.CharField(max_length=128)
    repository = models.ForeignKey(
        Repository, null=True, blank=True, on_delete=models.SET_NULL, related_name="commits"
    )
    message = models.TextField(blank=True, default="")
    service = models.CharField(max_length=200, blank=True, default="", db_index=True)
    authored_at = models.DateTimeField(null=True, blank=True)
    reported_at = models.DateTimeField(
        null=True, blank=True, help_text="Earliest time the change was reported (push, changes)."
    )
    start_at = models.DateTimeField(
        null=True, blank=True, help_text="Earliest known time of the change: lead time's start."
    )
    merged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["project", "sha"], name="commit_unique_sha")]

    def __str__(self) -> str:
        return self.sha[:12]


class Deployment(TimeStampedModel):
    project = models.ForeignKey(
        "connections.Project", on_delete=models.CASCADE, related_name="deployments"
    )
    connection = models.ForeignKey(
        "connections.Connection", on_delete=models.CASCADE, related_name="deployments"
    )
    external_id = models.CharField(
        max_length=200, help_text="The sender's id, pipeline id, or a digest of the payload."
    )
    name = models.CharField(max_length=500, blank=True, default="")
    environment = models.CharField(
        max_length=16, choices=Environment.choices, default=Environment.PRODUCTION
    )
    result = models.CharField(
        max_length=16, choices=DeploymentResult.choices, default=DeploymentResult.SUCCESS
    )
    service = models.CharField(max_length=200, blank=True, default="", db_index=True)
    repository = models.ForeignKey(
        Repository, null=True, blank=True, on_delete=models.SET_NULL, related_name="deployments"
    )
    ref_name = models.CharField(max_length=300, blank=True, default="")
    commit_sha = models.CharField(max_length=128, blank=True, default="")
    pipeline_id = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    is_rollback = models.BooleanField(default=False)
    is_hotfix = models.BooleanField(default=False)
    rework_decision = models.CharField(
        max_length=16,
        choices=ReworkDecision.choices,
        blank=True,
        default=ReworkDecision.NONE,
        help_text="A person's decision; wins over the flags as sent and the rollback rule. "
        "Its history is in the attribution decisions.",
    )
    remediates = models.ManyToManyField(
        "self", symmetrical=False, blank=True, related_name="remediated_by"
    )
    resolves = models.JSONField(default=list, blank=True, help_text="Issue keys it resolves.")
    payload_digest = models.CharField(max_length=64, blank=True, default="", editable=False)
    commits = models.ManyToManyField(Commit, through="DeploymentCommit", related_name="deployments")

    class Meta:
        ordering = ["-finished_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "external_id"], name="deployment_unique_external_id"
            )
        ]
        indexes = [
            models.Index(fields=["project", "environment", "result", "finished_at"]),
            models.Index(fields=["project", "environment", "commit_sha"]),
        ]

    def __str__(self) -> str:
        return self.name or f"deployment {self.pk}"


class DeploymentCommit(models.Model):
    deployment = models.ForeignKey(
        Deployment, on_delete=models.CASCADE, related_name="deployment_commits"
    )
    commit = models.ForeignKey(Commit, on_delete=models.CASCADE, related_name="deployment_commits")
    repository = models.ForeignKey(Repository, null=True, blank=True, on_delete=models.SET_NULL)
    ref_name = models.CharField(max_length=300, blank=True, default="")
    name = models.CharField(max_length=500, blank=True, default="")
    message = models.TextField(blank=True, default="")
    inferred = models.BooleanField(
        default=False,
        help_text="Not in the payload: recorded between the previous deployment and this head.",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["deployment", "commit"], name="deployment_commit_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.deployment_id}:{self.commit_id}"


# An issue key is at most 200 characters, and upper-casing one gives at most three times as many:
# a longer key names no issue, so it is not stored (this also keeps a row below PostgreSQL's
# B-tree row limit).
KEY_MAX_LENGTH = 600


class ResolvedKey(models.Model):
    """An issue key a deployment says it resolves, upper-cased (apps.deployments.resolutions):
    one row per key, kept in step by the writers, so an incident's resolving deployment is one
    index probe on (project, key)."""

    deployment = models.ForeignKey(
        Deployment, on_delete=models.CASCADE, related_name="resolved_keys", db_index=False
    )
    # The deployment's project, so the probe is one index range without a join to find it.
    project = models.ForeignKey(
        "connections.Project", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    key = models.CharField(max_length=KEY_MAX_LENGTH)

    class Meta:
        constraints = [
            # Its leading column serves the refresh and the cascade (by deployment).
            models.UniqueConstraint(fields=["deployment", "key"], name="resolved_key_unique")
        ]
        indexes = [
            # The probe filters (project, key) and joins on the deployment: all in the index.
            models.Index(fields=["project", "key", "deployment"], name="resolved_key_probe")
        ]

    def __str__(self) -> str:
        return f"{self.deployment_id}:{self.key}"


class PullRequestStatus(models.TextChoices):
    OPEN = "OPEN"
    CLOSED = "CLOSED"
    MERGED = "MERGED"


class PullRequest(TimeStampedModel):
    """A pull (merge) request as its sender reported it, with its stages. A merged one points
    at its merge (or squash) commit, the change whose start it moves back (METRICS.md)."""

    project = models.ForeignKey(
        "connections.Project", on_delete=models.CASCADE, related_name="pull_requests"
    )
    connection = models.ForeignKey(
        "connections.Connection", on_delete=models.CASCADE, related_name="pull_requests"
    )
    external_id = models.CharField(max_length=200, help_text="The sender's id of the PR.")
    number = models.PositiveIntegerField(null=True, blank=True)
    title = models.CharField(max_length=1000, blank=True, default="")
    url = models.CharField(max_length=1000, blank=True, default="")
    status = models.CharField(max_length=8, choices=PullRequestStatus.choices)
    original_status = models.CharField(max_length=64, blank=True, default="")
    repository = models.ForeignKey(
        Repository, null=True, blank=True, on_delete=models.SET_NULL, related_name="pull_requests"
    )
    base_ref = models.CharField(max_length=300, blank=True, default="")
    head_ref = models.CharField(max_length=300, blank=True, default="")
    author = models.CharField(max_length=200, blank=True, default="")
    merge_commit_sha = models.CharField(max_length=128, blank=True, default="")
    merge_commit = models.ForeignKey(
        Commit, null=True, blank=True, on_delete=models.SET_NULL, related_name="pull_requests"
    )
    opened_at = models.DateTimeField(help_text="Stage: the PR was opened (created).")
    first_commit_at = models.DateTimeField(
        null=True, blank=True, help_text="Stage: its first commit, when the sender says."
    )
    first_review_at = models.DateTimeField(
        null=True, blank=True, help_text="Stage: its first review, when the sender says."
    )
    merged_at = models.DateTimeField(null=True, blank=True, help_text="Stage: merged.")
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "external_id"], name="pull_request_unique_external_id"
            )
        ]

    def __str__(self) -> str:
        return f"#{self.number}" if self.number else self.external_id

    @property
    def coding_started_at(self) -> datetime | None:
        """The change's start as far as this PR knows: its first commit or its opening."""
        times = [t for t in (self.first_commit_at, self.opened_at) if t is not None]
        return min(times) if times else None
