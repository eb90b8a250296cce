"""Shared OpenAPI pieces: the error shape every endpoint may answer with."""

from typing import Any

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.utils import inline_serializer
from rest_framework import serializers

ErrorSerializer = inline_serializer(
    name="Error",
    fields={
        "error": inline_serializer(
            name="ErrorBody",
            fields={
                "code": serializers.CharField(),
                "message": serializers.CharField(),
                "fields": serializers.DictField(
                    child=serializers.ListField(child=serializers.CharField()), required=False
                ),
            },
        )
    },
)

ERROR_RESPONSES = dict.fromkeys((400, 401, 403, 404, 413, 415, 429, 503), ErrorSerializer)


class AwareDateTimeFieldExtension(OpenApiSerializerFieldExtension):
    target_class = "apps.core.serializer_fields.AwareDateTimeField"

    def map_serializer_field(self, auto_schema: Any, direction: str) -> dict[str, Any]:
        return {"type": "string", "format": "date-time", "description": "With a UTC offset."}


class EpochSecondsFieldExtension(OpenApiSerializerFieldExtension):
    target_class = "apps.core.serializer_fields.EpochSecondsField"

    def map_serializer_field(self, auto_schema: Any, direction: str) -> dict[str, Any]:
        return {"type": "integer", "description": "Unix epoch timestamp."}
