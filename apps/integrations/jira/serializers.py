"""Jira webhook payloads (`jira:issue_created`, `jira:issue_updated`, `jira:issue_deleted`).

Jira writes offsets without a colon (`2017-01-30T18:30:41.962+0100`), which ISO 8601 allows;
they are read as such, and a time without an offset is still refused."""

import re
from datetime import datetime
from typing import Any

from rest_framework import serializers

from apps.core.serializer_fields import AwareDateTimeField, LenientCharField

_BASIC_OFFSET = re.compile(r"([+-]\d{2})(\d{2})$")


class JiraDateTimeField(AwareDateTimeField):
    def to_internal_value(self, data: Any) -> datetime:
        if isinstance(data, str):
            data = _BASIC_OFFSET.sub(r"\1:\2", data.strip())
        return super().to_internal_value(data)


class NamedSerializer(serializers.Serializer):
    name = LenientCharField(max_length=300)


class StatusCategorySerializer(serializers.Serializer):
    key = LenientCharField(max_length=64)


class StatusSerializer(serializers.Serializer):
    name = LenientCharField(max_length=300)
    statusCategory = StatusCategorySerializer(required=False, allow_null=True, default=None)


class ProjectSerializer(serializers.Serializer):
    key = serializers.CharField(max_length=64)


class FieldsSerializer(serializers.Serializer):
    summary = LenientCharField(max_length=1000)
    description = LenientCharField(max_length=100000, allow_null=True)
    issuetype = NamedSerializer()
    project = ProjectSerializer()
    status = StatusSerializer(required=False, allow_null=True, default=None)
    priority = NamedSerializer(required=False, allow_null=True, default=None)
    labels = serializers.ListField(
        child=serializers.CharField(max_length=255), required=False, default=list, max_length=100
    )
    # many=True makes a ListSerializer, which takes max_length; the stubs type the child's.
    components = NamedSerializer(  # type: ignore[call-arg]
        many=True, required=False, default=list, max_length=100
    )
    created = JiraDateTimeField()
    updated = JiraDateTimeField(required=False, allow_null=True, default=None)
    resolutiondate = JiraDateTimeField(required=False, allow_null=True, default=None)

    def to_internal_value(self, data: Any) -> Any:
        # Jira Cloud sends a rich-text (ADF) document as the description: keep no description
        # rather than refusing the issue.
        if isinstance(data, dict) and not isinstance(data.get("description"), str | None):
            data = {**data, "description": None}
        return super().to_internal_value(data)


class IssueSerializer(serializers.Serializer):
    id = LenientCharField(max_length=100)
    self = LenientCharField(max_length=1000)
    key = serializers.CharField(max_length=100)
    # A field named like Serializer.fields: the serializer metaclass moves it into
    # `_declared_fields`, so the property still works; the stubs cannot know.
    fields = FieldsSerializer()  # type: ignore[assignment]


class WebhookSerializer(serializers.Serializer):
    webhookEvent = serializers.CharField(max_length=100)
    timestamp = serializers.IntegerField(required=False, allow_null=True, default=None)
    issue = IssueSerializer()
