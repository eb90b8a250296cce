import uuid

from django.core.exceptions import ValidationError
from django.db import models

from apps.core import encryption
from apps.core.models import TimeStampedModel


class LifecycleEvent(models.Model):
    """A transition in a delivery workflow, named `{origin}:{repo}:{event}` (CTO.ai style)."""

    project = models.ForeignKey("connections.Project", on_delete=models.CASCADE)
    connection = models.ForeignKey(
        "connections.Connection", null=True, blank=True, on_delete=models.CASCADE
    )
    origin = models.CharField(max_length=32)
    repo = models.CharField(max_length=300)
    event = models.CharField(max_length=64)
    name = models.CharField(max_length=420, db_index=True)
    occurred_at = models.DateTimeField(db_index=True)
    recorded_at = models.DateTimeField(auto_now_add=True)
    data = models.JSONField(default=dict, blank=True)
    is_insight = models.BooleanField(default=False, help_text="Feeds the DORA metrics.")
    dispatched_at = models.DateTimeField(
        null=True, blank=True, help_text="When matching triggers got their deliveries."
    )

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["project", "occurred_at"]),
            models.Index(
                fields=["recorded_at"],
                name="events_undispatched_idx",
                condition=models.Q(dispatched_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Trigger(TimeStampedModel):
    """An outgoing webhook: events whose name matches one of `patterns` are POSTed to `url`.

    A trigger hears only the events of its scope: one project, an explicit set of connections,
    or (only where an admin says so) every project. Names such as `devlake:acme/shop:...` are
    chosen by the sender, so a name alone never decides whose event it is.
    """

    name = models.CharField(max_length=200, unique=True)
    project = models.ForeignKey(
        "connections.Project",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="triggers",
        help_text="Only this project's events fire the trigger.",
    )
    connections = models.ManyToManyField(
        "connections.Connection",
        blank=True,
        related_name="triggers",
        help_text="Or: only events recorded through these connections fire the trigger.",
    )
    all_projects = models.BooleanField(
        default=False,
        verbose_name="installation-wide",
        help_text="Or: every project's events fire the trigger (the body names the project).",
    )
    patterns = models.JSONField(
        default=list,
        help_text='Event patterns such as "github:acme/*:pull_request.merged" or '
        '"*:*:build.needs_approval", one per line.',
    )
    url = models.URLField(max_length=2000, help_text="Where the events are POSTed.")
    secret_encrypted = models.TextField(editable=False)
    is_active = models.BooleanField(default=True)
    description = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from apps.events.patterns import InvalidPattern, parse_all
        from apps.events.targets import TargetRefused, validate_target

        problems: dict[str, str] = {}
        try:
            parse_all(self.patterns)
        except InvalidPattern as exc:
            problems["patterns"] = str(exc)
        try:
            validate_target(self.url)
        except TargetRefused as exc:
            problems["url"] = str(exc)
        if self.project_id is not None and self.all_projects:
            problems["all_projects"] = "A trigger is either one project's or installation-wide."
        if problems:
            raise ValidationError(problems)

    def get_secret(self) -> str:
        return encryption.decrypt(self.secret_encrypted)

    def set_secret(self, secret: str) -> None:
        self.secret_encrypted = encryption.encrypt(secret)


class TriggerDeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    RETRYING = "retrying", "Waiting to retry"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"


class TriggerDelivery(models.Model):
    """The outgoing delivery of one event to one trigger, and the log of its attempts."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    trigger = models.ForeignKey(Trigger, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey(
        LifecycleEvent, on_delete=models.CASCADE, related_name="trigger_deliveries"
    )
    status = models.CharField(
        max_length=16,
        choices=TriggerDeliveryStatus.choices,
        default=TriggerDeliveryStatus.PENDING,
    )
    attempts = models.PositiveIntegerField(default=0)
    # The attempt that opened the current run (1, or the first attempt after a redeliver):
    # the retry budget counts from it.
    run_started_attempt = models.PositiveIntegerField(default=1)
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    created = models.DateTimeField(auto_now_add=True, db_index=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    history = models.JSONField(default=list, blank=True, help_text="One entry per attempt.")

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name_plural = "trigger deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["trigger", "event"], name="trigger_delivery_unique_event"
            )
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.trigger_id} <- {self.event_id} ({self.status})"
