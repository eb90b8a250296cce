"""Opsgenie outgoing-webhook payloads: `{"action", "alert": {...}, "source", ...}`.

Opsgenie sends `createdAt` in epoch milliseconds and `updatedAt` in epoch nanoseconds;
priority is `P1`..`P5` (older integrations send the digit alone)."""

from datetime import datetime
from typing import Any

from rest_framework import serializers

from apps.core.serializer_fields import LenientCharField
from apps.core.time import from_epoch_seconds

# Epoch values by magnitude: nanoseconds (19 digits), microseconds, milliseconds, seconds.
_SCALES = ((10**17, 10**9), (10**14, 10**6), (10**11, 10**3), (0, 1))


class EpochField(serializers.Field):
    """An epoch timestamp in seconds, milliseconds, microseconds or nanoseconds."""

    def to_internal_value(self, data: Any) -> datetime:
        if isinstance(data, bool) or not isinstance(data, int | float):
            raise serializers.ValidationError("Expected an epoch timestamp (a number).")
        divisor = next(divisor for floor, divisor in _SCALES if abs(data) >= floor)
        try:
            return from_epoch_seconds(data / divisor)
        except ValueError as exc:
            raise serializers.ValidationError(str(exc)) from None

    def to_representation(self, value: datetime) -> float:
        return value.timestamp()


class PriorityField(serializers.Field):
    def to_internal_value(self, data: Any) -> str:
        text = str(data).strip().upper() if isinstance(data, str | int) else ""
        if text.isdigit():
            text = f"P{text}"
        if text not in {"P1", "P2", "P3", "P4", "P5"}:
            raise serializers.ValidationError("Expected a priority P1 to P5.")
        return text

    def to_representation(self, value: str) -> str:
        return value


class AlertSerializer(serializers.Serializer):
    alertId = serializers.CharField(max_length=100)
    message = LenientCharField(max_length=1000)
    description = LenientCharField(max_length=15000)
    tags = serializers.ListField(
        child=serializers.CharField(max_length=200), required=False, default=list, max_length=50
    )
    tinyId = LenientCharField(max_length=50)
    entity = LenientCharField(max_length=500)
    alias = LenientCharField(max_length=512)
    createdAt = EpochField()
    updatedAt = EpochField(required=False, allow_null=True, default=None)
    priority = PriorityField(required=False, allow_null=True, default=None)


class WebhookSerializer(serializers.Serializer):
    action = serializers.CharField(max_length=100)
    alert = AlertSerializer()
    integrationName = LenientCharField(max_length=200)
