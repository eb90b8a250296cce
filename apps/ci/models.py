"""CI builds (pipelines) and the jobs or tasks they run, in one vocabulary for every sender."""

from django.db import models

from apps.core.models import TimeStampedModel


class CIStatus(models.TextChoices):
    QUEUED = "QUEUED"
    IN_PROGRESS = "IN_PROGRESS"
    SUCCESS = "SUCCESS"
    FAILURE = "FAILURE"
    ABORTED = "ABORTED"
    SKIPPED = "SKIPPED"
    ON_HOLD = "ON_HOLD", "On hold (waiting for approval or paused)"


FINAL_STATUSES = frozenset({CIStatus.SUCCESS, CIStatus.FAILURE, CIStatus.ABORTED, CIStatus.SKIPPED})


class StatusFields(TimeStampedModel):
    """What builds and jobs share: the normalised status, the sender's own word for it, and
    the position in the lifecycle that keeps an older delivery from moving the status back."""

    project = models.ForeignKey(
        "connections.Project", on_delete=models.CASCADE, related_name="ci_%(class)ss"
    )
    connection = models.ForeignKey(
        "connections.Connection", on_delete=models.CASCADE, related_name="ci_%(class)ss"
    )
    external_id = models.CharField(max_length=200, help_text="The sender's id, as a string.")
    name = models.CharField(max_length=500, blank=True, default="")
    repository = models.ForeignKey(
        "deployments.Repository",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="ci_%(class)ss",
    )
    repository_external_id = models.CharField(
        max_length=200, blank=True, default="", help_text="The sender's repository id, if any."
    )
    branch = models.CharField(max_length=300, blank=True, default="")
    commit_sha = models.CharField(max_length=128, blank=True, default="")
    status = models.CharField(max_length=16, choices=CIStatus.choices, db_index=True)
    original_status = models.CharField(max_length=64, help_text="The status as the sender said.")
    status_at = models.DateTimeField(
        null=True, blank=True, help_text="When the sender says the current status began."
    )
    status_changed_at = models.DateTimeField(
        null=True, blank=True, help_text="When DORA Hub first received the current status."
    )
    status_progress = models.PositiveSmallIntegerField(
        default=0, help_text="Position of the status in the sender's lifecycle (orders updates)."
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_seconds = models.PositiveIntegerField(null=True, blank=True)
    triggered_by = models.CharField(max_length=300, blank=True, default="")

    class Meta:
        abstract = True

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES


class Pipeline(StatusFields):
    """A build: one run of CI for a commit, made of jobs (Cirrus "tasks")."""

    commit_at = models.DateTimeField(
        null=True, blank=True, help_text="When the built change was made (the sender's word)."
    )

    class Meta:
        ordering = ["-created", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "external_id"], name="ci_pipeline_unique_external_id"
            )
        ]
        indexes = [
            models.Index(fields=["project", "status"]),
            models.Index(fields=["project", "finished_at"]),
        ]

    def __str__(self) -> str:
        return self.name or f"build {self.external_id}"


class Job(StatusFields):
    """A job or task. Identity is (connection, identity_key): the task id for senders with
    unique ids, else a key built from the fields the sender says identify the job."""

    identity_key = models.CharField(max_length=400)
    pipeline = models.ForeignKey(
        Pipeline, null=True, blank=True, on_delete=models.CASCADE, related_name="jobs"
    )
    job_type = models.CharField(max_length=200, blank=True, default="")
    service = models.CharField(
        max_length=200,
        blank=True,
        default="",
        help_text="The service the sender ran the job for (Allstacks' Custom CD service label).",
    )
    sender_refs = models.JSONField(
        default=dict,
        blank=True,
        help_text='The sender\'s own ids, kept as sent: {"company_id": ..., "service_id": ...}.',
    )
    properties = models.JSONField(
        default=dict, blank=True, help_text='Typed extras: {"key": {"type": ..., "value": ...}}.'
    )
    deployment = models.ForeignKey(
        "deployments.Deployment",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="ci_jobs",
        help_text="The deployment this job was counted as, by the connection's rules.",
    )

    class Meta:
        ordering = ["-created", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "identity_key"], name="ci_job_unique_identity"
            )
        ]
        indexes = [
            models.Index(fields=["project", "status"]),
            models.Index(fields=["project", "finished_at"]),
        ]

    def __str__(self) -> str:
        return self.name or self.job_type or f"job {self.external_id}"
