from typing import Any

from django import forms

from apps.events.models import Trigger
from apps.events.patterns import InvalidPattern, parse_all
from apps.events.targets import TargetRefused, validate_target


class TriggerAdminForm(forms.ModelForm):
    patterns = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        help_text="One pattern per line, {origin}:{repo}:{event}; any segment may use * "
        "(e.g. github:acme/*:pull_request.merged or *:*:build.needs_approval).",
    )
    url = forms.URLField(
        max_length=2000, assume_scheme="https", help_text="Where the events are POSTed."
    )
    new_secret = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="Set or replace the signing secret (stored encrypted, never shown again). "
        "Left empty on a new trigger, one is generated and shown once.",
    )

    class Meta:
        model = Trigger
        fields = [
            "name",
            "project",
            "connections",
            "all_projects",
            "patterns",
            "url",
            "is_active",
            "description",
        ]

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if self.instance.pk and isinstance(self.instance.patterns, list):
            self.initial["patterns"] = "\n".join(self.instance.patterns)

    def clean_patterns(self) -> list[str]:
        lines = [line.strip() for line in self.cleaned_data["patterns"].splitlines()]
        try:
            return [str(p) for p in parse_all([line for line in lines if line])]
        except InvalidPattern as exc:
            raise forms.ValidationError(str(exc)) from None

    def clean_url(self) -> str:
        url = self.cleaned_data["url"]
        try:
            validate_target(url)
        except TargetRefused as exc:
            raise forms.ValidationError(str(exc)) from None
        return url

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        given = sum(
            [
                cleaned.get("project") is not None,
                bool(cleaned.get("connections")),
                bool(cleaned.get("all_projects")),
            ]
        )
        if given != 1:
            raise forms.ValidationError(
                "Choose exactly one scope: a project, some connections, or installation-wide. "
                "A trigger hears only its own scope's events."
            )
        return cleaned

    def save(self, commit: bool = True) -> Trigger:
        trigger = super().save(commit=False)
        if self.cleaned_data.get("new_secret"):
            trigger.set_secret(self.cleaned_data["new_secret"])
        if commit:
            trigger.save()
        return trigger
