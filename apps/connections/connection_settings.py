"""The validated per-connection settings (stored as JSON on Connection.settings)."""

import re
from typing import Any

from rest_framework import serializers

ENVIRONMENTS = ("PRODUCTION", "STAGING", "TESTING", "DEVELOPMENT")
MAX_SERVICE_MAP = 500


class RegexField(serializers.CharField):
    def to_internal_value(self, data: Any) -> str:
        value = super().to_internal_value(data)
        try:
            re.compile(value)
        except re.error as exc:
            raise serializers.ValidationError(f"Not a valid regular expression: {exc}.") from None
        return value


class ConnectionSettingsSerializer(serializers.Serializer):
    # Labels and help texts are what the admin's settings form shows (apps/connections/forms.py).
    incident_types = serializers.ListField(
        child=serializers.CharField(max_length=64),
        required=False,
        default=list,
        max_length=50,
        label="Incident types",
        help_text="Issue types counted as incidents besides INCIDENT, e.g. BUG, OUTAGE.",
    )
    deployment_pattern = RegexField(
        required=False,
        default=r"(?i)deploy",
        max_length=500,
        label="Deployment jobs",
        help_text="Regular expression: CI jobs whose type or name matches are deployments.",
    )
    production_pattern = RegexField(
        required=False,
        default=r"(?i)prod",
        max_length=500,
        label="Production jobs",
        help_text="Regular expression: deployment jobs whose type, name or branch matches go "
        "to PRODUCTION; the others to the environment below.",
    )
    non_production_environment = serializers.ChoiceField(
        choices=ENVIRONMENTS,
        required=False,
        default="STAGING",
        label="Other deployments go to",
        help_text="The environment of deployment jobs that do not match the production pattern.",
    )
    all_jobs_are_deployments = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        label="Every job is a deployment",
        help_text="Unknown: yes for Allstacks Custom CD, else only jobs matching the pattern.",
    )
    releases_are_deployments = serializers.BooleanField(
        required=False,
        default=False,
        label="Releases are deployments",
        help_text="Count each published (non pre-) release as a production deployment.",
    )
    incident_label = serializers.CharField(
        required=False,
        default="incident",
        max_length=100,
        label="Incident label",
        help_text="Issues carrying this label are incidents.",
    )
    allow_unsigned = serializers.BooleanField(
        required=False,
        default=False,
        label="Accept unsigned deliveries",
        help_text="Accept deliveries without a signature (only on a trusted network).",
    )
    # Allstacks: the sender's Custom CD service ids and the service names DORA Hub shows for
    # them, {"1234": "checkout"}; ids not listed are labelled "allstacks:<id>".
    allstacks_services = serializers.DictField(
        child=serializers.CharField(max_length=200),
        required=False,
        default=dict,
        label="Service names",
        help_text="Allstacks Custom CD service ids and the service names to show for them; "
        "ids not listed are labelled allstacks:<id>.",
    )

    def validate_allstacks_services(self, value: dict[str, str]) -> dict[str, str]:
        bad = [key for key in value if not str(key).strip().isdigit()]
        if bad:
            raise serializers.ValidationError(
                f"Keys must be Allstacks service ids (whole numbers), not {bad[0]!r}."
            )
        return {str(int(key)): name.strip() for key, name in value.items()}

    # Incident tools: the provider's service (id or name) -> the DORA Hub service it is.
    service_map = serializers.DictField(
        child=serializers.CharField(max_length=200, allow_blank=True),
        required=False,
        default=dict,
        label="Service map",
        help_text="The tool's service (id or name) and the DORA Hub service it is.",
    )
    # Opsgenie: alerts of these priorities are incidents (as are alerts tagged incident_label).
    incident_priorities = serializers.ListField(
        child=serializers.RegexField(r"^[Pp][1-5]$", max_length=2),
        required=False,
        default=["P1", "P2"],
        max_length=5,
        label="Incident priorities",
        help_text="Alerts of these priorities (P1 to P5) are incidents.",
    )
    # Jira: only issues of these project keys can be incidents (empty: every project).
    incident_projects = serializers.ListField(
        child=serializers.CharField(max_length=64),
        required=False,
        default=list,
        max_length=100,
        label="Incident projects",
        help_text="Only issues of these Jira project keys can be incidents (empty: every project).",
    )
    # incident.io: recovery stops at the incident's mitigation time where one is known.
    resolve_at_mitigation = serializers.BooleanField(
        required=False,
        default=False,
        label="Restored at mitigation",
        help_text="Recovery stops at the incident's mitigation time where one is known.",
    )

    def validate_service_map(self, value: dict[str, str]) -> dict[str, str]:
        if len(value) > MAX_SERVICE_MAP:
            raise serializers.ValidationError(f"At most {MAX_SERVICE_MAP} entries.")
        if any(not key.strip() or len(key) > 200 for key in value):
            raise serializers.ValidationError("Keys must be 1 to 200 characters.")
        return {key.strip(): name.strip() for key, name in value.items()}

    def validate_incident_priorities(self, value: list[str]) -> list[str]:
        return [item.upper() for item in value]

    def validate_incident_projects(self, value: list[str]) -> list[str]:
        return [item.strip().upper() for item in value if item.strip()]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        unknown = set(self.initial_data) - set(self.fields)
        if unknown:
            raise serializers.ValidationError(
                {name: ["Unknown setting."] for name in sorted(unknown)}
            )
        return attrs


def validate_settings(value: Any) -> dict[str, Any]:
    """Return the settings with defaults filled in; raise ValidationError naming bad keys."""
    if value in (None, ""):
        value = {}
    if not isinstance(value, dict):
        raise serializers.ValidationError({"settings": ["Must be a JSON object."]})
    serializer = ConnectionSettingsSerializer(data=value)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


_CI_RULES = (
    "all_jobs_are_deployments",
    "deployment_pattern",
    "production_pattern",
    "non_production_environment",
)
# The settings each kind reads (its admin form shows only these); kinds not listed show all.
KIND_SETTINGS: dict[str, tuple[str, ...]] = {
    "devlake": ("incident_types",),
    "generic": ("incident_types",),
    "pulse": ("incident_types",),
    "allstacks": (*_CI_RULES, "allstacks_services"),
    "cirrus": (*_CI_RULES, "allow_unsigned"),
    "github": ("releases_are_deployments", "incident_label", *_CI_RULES, "allow_unsigned"),
    "pagerduty": ("service_map",),
    "opsgenie": ("incident_priorities", "incident_label", "service_map"),
    "incidentio": ("resolve_at_mitigation", "service_map"),
    "jira": ("incident_types", "incident_label", "incident_projects", "service_map"),
}


def settings_for_kind(kind: str) -> tuple[str, ...]:
    return KIND_SETTINGS.get(kind, tuple(ConnectionSettingsSerializer().fields))
