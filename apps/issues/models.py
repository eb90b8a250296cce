from django.conf import settings
from django.db import models

from apps.core.models import TimeStampedModel


class IssueStatus(models.TextChoices):
    TODO = "TODO"
    IN_PROGRESS = "IN_PROGRESS"
    DONE = "DONE"


class LinkMethod(models.TextChoices):
    NONE = "", "not linked"
    PAYLOAD = "payload", "deployment named in the payload"
    CAUSED_BY = "caused_by", "caused_by field"
    ROOT_CAUSE = "root_cause", "'root cause: <sha>' in the description"
    WINDOW = "window", "latest deployment within the link window"
    PERSON = "person", "a person's decision"


class PersonLink(models.TextChoices):
    NONE = "", "no decision"
    DEPLOYMENT = "deployment", "caused by this deployment"
    NOT_CAUSED = "not_caused", "not caused by a deployment"


class Issue(TimeStampedModel):
    """An issue from a tracker; an incident when its type says so (see services.is_incident)."""

    project = models.ForeignKey(
        "connections.Project", on_delete=models.CASCADE, related_name="issues"
    )
    connection = models.ForeignKey(
        "connections.Connection", on_delete=models.CASCADE, related_name="issues"
    )
    issue_key = models.CharField(max_length=200)
    title = models.CharField(max_length=1000, blank=True, default="")
    description = models.TextField(blank=True, default="")
    url = models.CharField(max_length=1000, blank=True, default="")
    type = models.CharField(max_length=100, blank=True, default="")
    is_incident = models.BooleanField(default=False, db_index=True)
    status = models.CharField(max_length=16, choices=IssueStatus.choices, default=IssueStatus.TODO)
    original_status = models.CharField(max_length=100, blank=True, default="")
    priority = models.CharField(max_length=100, blank=True, default="")
    severity = models.CharField(max_length=100, blank=True, default="")
    component = models.CharField(max_length=200, blank=True, default="")
    service = models.CharField(max_length=200, blank=True, default="", db_index=True)
    repository = models.ForeignKey(
        "deployments.Repository", null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    extra = models.JSONField(default=dict, blank=True, help_text="Other fields as sent.")
    # Linking (METRICS.md): the deployment that caused it and how that was decided.
    caused_by_ref = models.CharField(
        max_length=200,
        blank=True,
        default="",
        help_text="Deployment id or sha named by the sender.",
    )
    deployment = models.ForeignKey(
        "deployments.Deployment",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="incidents",
    )
    link_method = models.CharField(
        max_length=16, choices=LinkMethod.choices, blank=True, default=LinkMethod.NONE
    )
    # A person's decision (linking rule 0): wins over every automatic rule until withdrawn.
    person_link = models.CharField(
        max_length=16, choices=PersonLink.choices, blank=True, default=PersonLink.NONE
    )
    person_deployment = models.ForeignKey(
        "deployments.Deployment",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    resolved_by = models.ForeignKey(
        "deployments.Deployment",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="resolved_issues",
        help_text="The deployment that remediated it (counts as rework).",
    )
    payload_digest = models.CharField(max_length=64, blank=True, default="", editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["connection", "issue_key"], name="issue_unique_key")
        ]
        indexes = [
            models.Index(fields=["project", "is_incident", "created_at"]),
            models.Index(fields=["project", "is_incident", "resolved_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.issue_key}: {self.title}"[:100]


class DecisionAction(models.TextChoices):
    LINK = "link", "caused by this deployment"
    NOT_CAUSED = "not_caused", "not caused by a deployment"
    ROLLBACK = "rollback", "marked a rollback"
    HOTFIX = "hotfix", "marked a hotfix"
    NOT_REWORK = "not_rework", "marked neither rollback nor hotfix"


class AttributionDecision(models.Model):
    """The audit trail of people's attribution decisions: who decided what, when and why, and
    who withdrew it. The decision in force is copied onto the incident or deployment."""

    issue = models.ForeignKey(
        Issue, null=True, blank=True, on_delete=models.CASCADE, related_name="decisions"
    )
    deployment = models.ForeignKey(
        "deployments.Deployment",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="decisions",
        help_text="The deployment decided to have caused the incident, or the one marked.",
    )
    action = models.CharField(max_length=16, choices=DecisionAction.choices)
    reason = models.TextField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField()
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    withdraw_reason = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["-decided_at", "-id"]
        permissions = [
            ("change_attribution", "Can correct incident and deployment attribution"),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} ({self.decided_at:%Y-%m-%d})"

    @property
    def in_force(self) -> bool:
        return self.withdrawn_at is None
