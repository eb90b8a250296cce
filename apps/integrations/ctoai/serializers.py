"""CTO.ai's Events API body (cto-ai/action src/run.js, cto-ai/events-gitlab-template):
`{team_id, event_name, event_action, environment, image, branch, commit, repo[, meta]}`."""

from typing import Any

from rest_framework import serializers

from apps.core.serializer_fields import IdentifierField, LenientCharField
from apps.deployments.models import Environment
from apps.events.vocabulary import CTOAI_CHANGE_ACTIONS, CTOAI_DEPLOYMENT_ACTIONS

ACTIONS = {"deployment": CTOAI_DEPLOYMENT_ACTIONS, "change": CTOAI_CHANGE_ACTIONS}
# Free-text environment names, by the words they contain.
_ENVIRONMENT_WORDS = (
    (Environment.PRODUCTION, ("prod", "production", "live")),
    (Environment.STAGING, ("staging", "stage", "stg", "preprod")),
    (Environment.TESTING, ("test", "testing", "qa")),
    (Environment.DEVELOPMENT, ("dev", "development", "preview")),
)


def environment_for(name: str) -> str:
    """CTO.ai sends `environment: null` by default: a deployment then goes to production."""
    words = set(name.lower().replace("_", "-").replace(" ", "-").split("-")) - {""}
    if not words:
        return Environment.PRODUCTION
    for environment, names in _ENVIRONMENT_WORDS:
        if words & set(names):
            return environment
    return Environment.DEVELOPMENT


class NullableTextField(LenientCharField):
    """CTO.ai's GitLab template sends the string "null" for values it does not have."""

    def to_internal_value(self, data: Any) -> str:
        value = super().to_internal_value(data).strip()
        return "" if value == "null" else value


class EventSerializer(serializers.Serializer):
    team_id = NullableTextField(max_length=200)
    event_name = serializers.ChoiceField(choices=tuple(ACTIONS))
    event_action = serializers.CharField(max_length=64)
    environment = NullableTextField(max_length=200)
    image = NullableTextField(max_length=500)
    branch = NullableTextField(max_length=300)
    commit = IdentifierField(required=False, allow_null=True, allow_blank=True)
    repo = serializers.CharField(max_length=300)
    meta = serializers.JSONField(required=False, default=dict)

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            data = {
                k: v.strip().lower()
                if k in ("event_name", "event_action") and isinstance(v, str)
                else v
                for k, v in data.items()
            }
            if data.get("commit") == "null":
                data["commit"] = None
        return super().to_internal_value(data)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        actions = ACTIONS[attrs["event_name"]]
        if attrs["event_action"] not in actions:
            raise serializers.ValidationError(
                {
                    "event_action": [
                        f"{attrs['event_action']!r} is not a {attrs['event_name']} action; "
                        f"use one of {', '.join(actions)}."
                    ]
                }
            )
        if attrs["event_name"] == "change" and not attrs.get("commit"):
            raise serializers.ValidationError(
                {"commit": ["A change event names its commit (the change)."]}
            )
        attrs["commit"] = attrs.get("commit") or ""
        return attrs
