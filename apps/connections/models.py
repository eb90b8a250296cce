from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.text import slugify

from apps.core import encryption
from apps.core.models import TimeStampedModel


def validate_time_zone(value: str) -> None:
    if value not in available_timezones():
        raise ValidationError(f"{value!r} is not an IANA time zone name (e.g. Europe/Berlin).")


class Project(TimeStampedModel):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100, unique=True)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    incident_link_window = models.DurationField(
        default=timedelta(days=7),
        help_text="Incidents link to the latest deployment finished within this window before.",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)


class ConnectionKind(models.TextChoices):
    DEVLAKE = "devlake", "Apache DevLake webhook"
    ALLSTACKS = "allstacks", "Allstacks Custom CD"
    PULSE = "pulse", "Codacy Pulse"
    CIRRUS = "cirrus", "Cirrus CI"
    GITHUB = "github", "GitHub"
    GITLAB = "gitlab", "GitLab"
    PAGERDUTY = "pagerduty", "PagerDuty"
    OPSGENIE = "opsgenie", "Opsgenie"
    INCIDENTIO = "incidentio", "incident.io"
    JIRA = "jira", "Jira"
    CTOAI = "ctoai", "CTO.ai Events API"
    GENERIC = "generic", "Generic"


class Connection(TimeStampedModel):
    """One sender (a CI system, a deploy script, a git provider) feeding one project."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="connections")
    kind = models.CharField(max_length=20, choices=ConnectionKind.choices)
    signing_secret_encrypted = models.TextField(blank=True, default="", editable=False)
    is_active = models.BooleanField(default=True)
    settings = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from rest_framework.exceptions import ValidationError as DRFValidationError

        from apps.connections.connection_settings import validate_settings

        if not self.slug:
            self.slug = slugify(self.name)[:100]
        try:
            self.settings = validate_settings(self.settings)
        except DRFValidationError as exc:
            raise ValidationError({"settings": str(exc.detail)}) from None

    @property
    def has_signing_secret(self) -> bool:
        return bool(self.signing_secret_encrypted)

    def get_signing_secret(self) -> str:
        if not self.signing_secret_encrypted:
            return ""
        return encryption.decrypt(self.signing_secret_encrypted)

    def set_signing_secret(self, secret: str) -> None:
        self.signing_secret_encrypted = encryption.encrypt(secret) if secret else ""

    @cached_property
    def resolved_settings(self) -> dict[str, Any]:
        """Stored settings with every default filled in."""
        from apps.connections.connection_settings import validate_settings

        return validate_settings(self.settings)

    def setting(self, name: str) -> Any:
        return self.resolved_settings[name]


class ApiToken(models.Model):
    """A machine credential; only a lookup prefix and a keyed digest are stored."""

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="tokens")
    name = models.CharField(max_length=100, default="default")
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    digest = models.CharField(max_length=64, editable=False)
    created = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name})"

    @property
    def is_usable(self) -> bool:
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or self.expires_at > timezone.now()
