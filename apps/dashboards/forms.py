"""Forms of the attribution corrections (the writes are in apps.derive.attribution)."""

from typing import Any, cast

from django import forms
from django.db.models import QuerySet

from apps.deployments.models import Deployment
from apps.issues.models import DecisionAction

REWORK_CHOICES = [
    (DecisionAction.ROLLBACK, "a rollback"),
    (DecisionAction.HOTFIX, "a hotfix"),
    (DecisionAction.NOT_REWORK, "neither rollback nor hotfix"),
]


class IncidentAttributionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[
            ("link", "caused by this deployment"),
            ("not_caused", "not caused by a deployment"),
        ]
    )
    deployment = forms.ModelChoiceField(queryset=Deployment.objects.none(), required=False)
    reason = forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: object, candidates: QuerySet[Deployment], **kwargs: object):
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        field = self.fields["deployment"]
        field.queryset = candidates  # type: ignore[attr-defined]
        field.label_from_instance = lambda d: (  # type: ignore[attr-defined]
            f"{d.finished_at:%Y-%m-%d %H:%M} · {d.name or d.external_id} ({d.environment})"
        )

    def clean(self) -> dict[str, Any]:
        # forms.Form.clean() returns self.cleaned_data, never None.
        data = cast(dict[str, Any], super().clean())
        if data.get("decision") == "link" and not data.get("deployment"):
            self.add_error("deployment", "Pick the deployment that caused it.")
        return data


class DeploymentMarkForm(forms.Form):
    action = forms.ChoiceField(choices=REWORK_CHOICES, label="This deployment is")
    reason = forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class WithdrawForm(forms.Form):
    reason = forms.CharField(max_length=2000, required=False)
