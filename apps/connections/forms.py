"""Admin forms for connections, their settings and tokens, and a project's link window.

A connection's settings form is generated from `connection_settings`: one field per setting the
connection's kind reads, with the serializer's label, help text and choices; the serializer
validates the values, so the admin and the API agree on what a valid setting is."""

from datetime import datetime, timedelta
from typing import Any, cast

from django import forms
from django.utils import timezone
from rest_framework import serializers
from rest_framework.exceptions import ValidationError as DRFValidationError

from apps.connections.connection_settings import (
    ConnectionSettingsSerializer,
    settings_for_kind,
    validate_settings,
)
from apps.connections.models import ApiToken, Connection, Project

SETTING_PREFIX = "setting_"


def _form_field(field: serializers.Field) -> forms.Field:
    common: dict[str, Any] = {
        "label": field.label,
        "help_text": field.help_text,
        "required": False,
    }
    if isinstance(field, serializers.BooleanField):
        if field.allow_null:
            return forms.NullBooleanField(**common)
        return forms.BooleanField(**common)
    if isinstance(field, serializers.ChoiceField):
        return forms.ChoiceField(choices=list(field.choices.items()), **common)
    if isinstance(field, serializers.DictField):
        common["help_text"] = f"{field.help_text} One 'key: value' per line."
        return forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), **common)
    if isinstance(field, serializers.ListField):
        common["help_text"] = f"{field.help_text} Separate values with commas."
        return forms.CharField(**common)
    return forms.CharField(max_length=getattr(field, "max_length", None), **common)


def _initial(value: Any) -> Any:
    if isinstance(value, dict):
        return "\n".join(f"{key}: {item}" for key, item in value.items())
    return ", ".join(value) if isinstance(value, list) else value


def _mapping(text: str) -> dict[str, str] | str:
    """'key: value' lines as a dict; the text itself when a line has no colon (the
    serializer then names the problem)."""
    pairs = {}
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        key, colon, value = line.partition(":")
        if not colon:
            return text
        pairs[key.strip()] = value.strip()
    return pairs


class ConnectionAdminForm(forms.ModelForm):
    new_signing_secret = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="Set or replace the signing secret (stored encrypted, never shown again).",
    )
    clear_signing_secret = forms.BooleanField(required=False)
    setting_names: tuple[str, ...] = ()
    kind_choices: list[tuple[str, str]] | None = None

    class Meta:
        model = Connection
        fields = ["name", "slug", "project", "kind", "is_active"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.kind_choices is not None and "kind" in self.fields:
            choices = list(self.kind_choices)
            current = self.instance.kind if self.instance.pk else ""
            if current and current not in dict(choices):
                choices.append((current, self.instance.get_kind_display()))
            kind = cast(forms.ChoiceField, self.fields["kind"])
            kind.choices = [("", "---------"), *choices]
        stored = self.instance.resolved_settings if self.instance.pk else validate_settings({})
        for name in self.setting_names:
            self.fields[SETTING_PREFIX + name].initial = _initial(stored[name])

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        values: dict[str, Any] = dict(self.instance.settings or {})
        serializer_fields = ConnectionSettingsSerializer().fields
        for name in self.setting_names:
            value = data.get(SETTING_PREFIX + name)
            if isinstance(serializer_fields[name], serializers.DictField):
                value = _mapping(value or "")
            elif isinstance(serializer_fields[name], serializers.ListField):
                value = [part.strip() for part in (value or "").split(",") if part.strip()]
            elif value == "":
                value = serializer_fields[name].default  # empty means "the default"
            values[name] = value
        try:
            self.instance.settings = validate_settings(values)
        except DRFValidationError as exc:
            detail = exc.detail if isinstance(exc.detail, dict) else {"settings": exc.detail}
            for name, problems in detail.items():
                target = SETTING_PREFIX + name if name in self.setting_names else None
                self.add_error(target, [str(problem) for problem in problems])
        return data

    def save(self, commit: bool = True) -> Connection:
        connection = super().save(commit=False)
        if self.cleaned_data.get("clear_signing_secret"):
            connection.set_signing_secret("")
        elif self.cleaned_data.get("new_signing_secret"):
            connection.set_signing_secret(self.cleaned_data["new_signing_secret"])
        if commit:
            connection.save()
        return connection


def connection_form_for(
    kind: str | None, *, kind_choices: list[tuple[str, str]]
) -> type[ConnectionAdminForm]:
    """A form class with one declared field per setting `kind` reads (none while unknown)."""
    names = settings_for_kind(kind) if kind else ()
    serializer_fields = ConnectionSettingsSerializer().fields
    declared = {SETTING_PREFIX + name: _form_field(serializer_fields[name]) for name in names}
    attrs = {**declared, "setting_names": names, "kind_choices": kind_choices}
    return type("ConnectionSettingsForm", (ConnectionAdminForm,), attrs)


EXPIRY_CHOICES = [
    ("", "never"),
    ("7", "in 7 days"),
    ("30", "in 30 days"),
    ("90", "in 90 days"),
    ("365", "in a year"),
]


class TokenInlineForm(forms.ModelForm):
    """A row of the connection page's token table: a new row issues a token (shown once on the
    next page); an existing row can only be revoked."""

    expires_in = forms.ChoiceField(choices=EXPIRY_CHOICES, required=False, label="Expires")
    revoke = forms.BooleanField(required=False)

    class Meta:
        model = ApiToken
        fields = ["name"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        existing = self.instance.pk is not None
        self.fields["name"].disabled = existing
        self.fields["expires_in"].disabled = existing
        self.fields["revoke"].disabled = not existing or self.instance.revoked_at is not None

    def expires_at(self, now: datetime | None = None) -> datetime | None:
        days = self.cleaned_data.get("expires_in")
        return (now or timezone.now()) + timedelta(days=int(days)) if days else None


class DurationInUnitsWidget(forms.MultiWidget):
    def __init__(self) -> None:
        super().__init__(
            [
                forms.NumberInput(attrs={"min": 1, "style": "width:6em"}),
                forms.Select(choices=[("hours", "hours"), ("days", "days")]),
            ]
        )

    def decompress(self, value: timedelta | None) -> list[Any]:
        if not value:
            return [None, "days"]
        hours = int(value.total_seconds() // 3600)
        return [hours // 24, "days"] if hours % 24 == 0 else [hours, "hours"]


class DurationInUnitsField(forms.MultiValueField):
    """A duration typed as a number of hours or days (not Django's "7 00:00:00")."""

    widget = DurationInUnitsWidget

    def __init__(self, **kwargs: Any) -> None:
        fields = (
            forms.IntegerField(min_value=1, max_value=24 * 365),
            forms.ChoiceField(choices=[("hours", "hours"), ("days", "days")]),
        )
        kwargs.pop("max_length", None)
        super().__init__(fields=fields, require_all_fields=True, **kwargs)

    def compress(self, data_list: list[Any]) -> timedelta | None:
        if not data_list:
            return None
        amount, unit = data_list
        return timedelta(hours=amount) if unit == "hours" else timedelta(days=amount)


class ProjectAdminForm(forms.ModelForm):
    incident_link_window = DurationInUnitsField(
        label="Incident link window",
        help_text="An incident links to the latest production deployment finished within this "
        "long before it (METRICS.md).",
    )

    class Meta:
        model = Project
        fields = ["name", "slug", "time_zone", "incident_link_window"]
