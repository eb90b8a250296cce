import json
from typing import Any

from django import forms
from rest_framework.exceptions import ValidationError as DRFValidationError

from apps.connections.connection_settings import validate_settings
from apps.connections.models import Connection


class ConnectionAdminForm(forms.ModelForm):
    new_signing_secret = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="Set or replace the signing secret (stored encrypted, never shown again).",
    )
    clear_signing_secret = forms.BooleanField(required=False)

    class Meta:
        model = Connection
        fields = ["name", "slug", "project", "kind", "is_active", "settings"]

    def clean_settings(self) -> dict[str, Any]:
        value = self.cleaned_data.get("settings")
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except json.JSONDecodeError as exc:
                raise forms.ValidationError(f"Not valid JSON: {exc}") from None
        try:
            return validate_settings(value)
        except DRFValidationError as exc:
            problems = [f"{key}: {', '.join(map(str, msgs))}" for key, msgs in exc.detail.items()]
            raise forms.ValidationError(problems) from None

    def save(self, commit: bool = True) -> Connection:
        connection = super().save(commit=False)
        if self.cleaned_data.get("clear_signing_secret"):
            connection.set_signing_secret("")
        elif self.cleaned_data.get("new_signing_secret"):
            connection.set_signing_secret(self.cleaned_data["new_signing_secret"])
        if commit:
            connection.save()
        return connection
