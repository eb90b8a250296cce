"""PagerDuty V3 webhook payloads: the envelope every event shares and the incident object.

Only the fields DORA Hub reads are declared; field names are PagerDuty's, so a 400 names the
path PagerDuty shows in its delivery log (`event.data.created_at`)."""

from typing import Any

from rest_framework import serializers

from apps.core.serializer_fields import AwareDateTimeField, LenientCharField


class ReferenceSerializer(serializers.Serializer):
    id = LenientCharField(max_length=100)
    summary = LenientCharField(max_length=500)


class IncidentSerializer(serializers.Serializer):
    id = serializers.CharField(max_length=100)
    number = serializers.IntegerField(required=False, allow_null=True, default=None)
    status = serializers.CharField(max_length=32)
    title = LenientCharField(max_length=1000)
    html_url = LenientCharField(max_length=1000)
    incident_key = LenientCharField(max_length=300)
    created_at = AwareDateTimeField(required=False, allow_null=True, default=None)
    service = ReferenceSerializer(required=False, allow_null=True, default=None)
    priority = ReferenceSerializer(required=False, allow_null=True, default=None)
    urgency = LenientCharField(max_length=32)


class EventSerializer(serializers.Serializer):
    id = serializers.CharField(max_length=100)
    event_type = serializers.CharField(max_length=100)
    resource_type = LenientCharField(max_length=100)
    occurred_at = AwareDateTimeField()
    # A field named like Serializer.data: the serializer metaclass moves it into
    # `_declared_fields`, so the property still works; the stubs cannot know.
    data = serializers.DictField()  # type: ignore[assignment]


class EnvelopeSerializer(serializers.Serializer):
    event = EventSerializer()


def incident_of(data: dict[str, Any]) -> dict[str, Any]:
    """`event.data` of an incident event, validated; errors name the path under `event.data`."""
    serializer = IncidentSerializer(data=data)
    if not serializer.is_valid():
        raise serializers.ValidationError({"event": {"data": serializer.errors}})
    return dict(serializer.validated_data)
