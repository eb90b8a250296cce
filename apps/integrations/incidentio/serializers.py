"""incident.io webhook payloads: `{"event_type": T, T: {...}}`, the incident itself for
created/updated events and `{"incident", "new_status", "previous_status"}` for status changes."""

from rest_framework import serializers

from apps.core.serializer_fields import AwareDateTimeField, LenientCharField


class NamedSerializer(serializers.Serializer):
    name = LenientCharField(max_length=300)


class StatusSerializer(serializers.Serializer):
    name = LenientCharField(max_length=300)
    category = serializers.CharField(max_length=64)


class TimestampNameSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=300)


class TimestampValueSerializer(serializers.Serializer):
    value = AwareDateTimeField(required=False, allow_null=True, default=None)


class IncidentTimestampSerializer(serializers.Serializer):
    incident_timestamp = TimestampNameSerializer()
    value = TimestampValueSerializer(required=False, allow_null=True, default=None)


class IncidentSerializer(serializers.Serializer):
    id = serializers.CharField(max_length=100)
    reference = LenientCharField(max_length=100)
    name = LenientCharField(max_length=1000)
    summary = LenientCharField(max_length=100000, allow_null=True)
    permalink = LenientCharField(max_length=1000)
    mode = LenientCharField(max_length=32)
    incident_status = StatusSerializer()
    severity = NamedSerializer(required=False, allow_null=True, default=None)
    incident_type = NamedSerializer(required=False, allow_null=True, default=None)
    # many=True makes a ListSerializer, which takes max_length; the stubs type the child's.
    incident_timestamp_values = IncidentTimestampSerializer(  # type: ignore[call-arg]
        many=True, required=False, default=list, max_length=100
    )
    created_at = AwareDateTimeField()
    updated_at = AwareDateTimeField()


class StatusUpdatedSerializer(serializers.Serializer):
    incident = IncidentSerializer()
    new_status = StatusSerializer()
    previous_status = StatusSerializer(required=False, allow_null=True, default=None)
