"""One deployment or incident, and the attribution a person decides on them."""

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db.models import Q, prefetch_related_objects
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views import View
from rest_framework.exceptions import ValidationError as DRFValidationError

from apps.dashboards.forms import DeploymentMarkForm, IncidentAttributionForm, WithdrawForm
from apps.dashboards.views.base import SubjectPageMixin
from apps.deployments.models import Deployment
from apps.deployments.selectors import (
    deployment_commits_with_lead_time,
    link_candidates,
)
from apps.derive.attribution import can_attribute, decide_incident, mark_deployment, withdraw
from apps.issues.models import AttributionDecision, Issue
from apps.issues.selectors import deployment_decisions


class DeploymentDetailPage(SubjectPageMixin, View):
    def get(self, request: HttpRequest, slug: str, pk: int) -> HttpResponse:
        subject = self.subject(slug)
        project = subject.project
        deployment = get_object_or_404(
            Deployment.objects.select_related("repository", "connection"), pk=pk, project=project
        )
        commits = list(deployment_commits_with_lead_time(deployment=deployment))
        # The pull request stages of each change, in one query for the whole list.
        prefetch_related_objects(commits, "commit__pull_requests")
        for dc in commits:
            # first_deployment_id is deployment_commits_with_lead_time()'s annotation.
            counted_here = dc.first_deployment_id == deployment.pk  # type: ignore[attr-defined]  # annotation
            dc.lead_time = (  # type: ignore[attr-defined]  # set here for the template
                deployment.finished_at - dc.commit.start_at
                if counted_here and dc.commit.start_at and deployment.finished_at
                else None
            )
        return render(
            request,
            "dashboards/deployment_detail.html",
            {
                "subject": subject,
                "project": project,
                "deployment": deployment,
                "commits": commits,
                "incidents": deployment.incidents.select_related("person_deployment").order_by(
                    "created_at"
                ),
                "remediates": deployment.remediates.order_by("finished_at"),
                "remediated_by": deployment.remediated_by.order_by("finished_at"),
                "decisions": deployment_decisions(deployment=deployment),
                "can_attribute": can_attribute(request.user),
                "mark_form": DeploymentMarkForm(),
            },
        )


class IncidentDetailPage(SubjectPageMixin, View):
    def get(self, request: HttpRequest, slug: str, pk: int) -> HttpResponse:
        subject = self.subject(slug)
        project = subject.project
        assert project is not None  # a project page: project_subject() always sets it
        incident = get_object_or_404(
            Issue.objects.select_related("deployment", "resolved_by", "connection"),
            pk=pk,
            project=project,
            is_incident=True,
        )
        time_to_restore = (
            incident.resolved_at - incident.created_at if incident.resolved_at else None
        )
        recovery = (
            incident.resolved_at - incident.deployment.finished_at
            if incident.resolved_at and incident.deployment and incident.deployment.finished_at
            else None
        )
        return render(
            request,
            "dashboards/incident_detail.html",
            {
                "subject": subject,
                "project": project,
                "incident": incident,
                "time_to_restore": time_to_restore,
                "recovery": recovery,
                "decisions": incident.decisions.select_related(
                    "decided_by", "withdrawn_by", "deployment"
                ),
                "can_attribute": can_attribute(request.user),
                "link_form": IncidentAttributionForm(
                    candidates=link_candidates(project_id=project.pk, around=incident.created_at),
                    initial={"deployment": incident.deployment_id},
                ),
            },
        )


class AttributionView(SubjectPageMixin, View):
    """POST only: a person's decision, then back to the page it was made on."""

    def post(self, request: HttpRequest, slug: str, pk: int, target: str) -> HttpResponse:
        subject = self.subject(slug)
        project = subject.project
        assert project is not None  # a project page: project_subject() always sets it
        if not can_attribute(request.user):
            raise DjangoPermissionDenied("You need the 'correct attribution' permission.")
        try:
            if target == "incident":
                incident = get_object_or_404(Issue, pk=pk, project=project, is_incident=True)
                back = reverse("dashboards:incident", args=[slug, pk])
                form: forms.Form = IncidentAttributionForm(
                    request.POST,
                    candidates=link_candidates(project_id=project.pk, around=incident.created_at),
                )
                if not form.is_valid():
                    messages.error(request, _form_errors(form))
                    return redirect(back)
                deployment = (
                    form.cleaned_data["deployment"]
                    if form.cleaned_data["decision"] == "link"
                    else None
                )
                decide_incident(
                    issue=incident,
                    deployment=deployment,
                    reason=form.cleaned_data["reason"],
                    user=request.user,
                )
            elif target == "deployment":
                deployment = get_object_or_404(Deployment, pk=pk, project=project)
                back = reverse("dashboards:deployment", args=[slug, pk])
                form = DeploymentMarkForm(request.POST)
                if not form.is_valid():
                    messages.error(request, _form_errors(form))
                    return redirect(back)
                mark_deployment(
                    deployment=deployment,
                    action=form.cleaned_data["action"],
                    reason=form.cleaned_data["reason"],
                    user=request.user,
                )
            else:
                decision = get_object_or_404(
                    AttributionDecision.objects.select_related("issue", "deployment"),
                    Q(issue__project=project) | Q(deployment__project=project),
                    pk=pk,
                )
                back = (
                    reverse("dashboards:incident", args=[slug, decision.issue_id])
                    if decision.issue_id
                    else reverse("dashboards:deployment", args=[slug, decision.deployment_id])
                )
                withdraw(
                    decision=decision,
                    user=request.user,
                    reason=WithdrawForm(request.POST).data.get("reason", ""),
                )
        except DRFValidationError as error:
            messages.error(request, str(error.detail))
            return redirect(back)
        messages.success(request, "Decision recorded; the figures are recomputed.")
        return redirect(back)


def _form_errors(form: Any) -> str:
    return "; ".join(f"{name}: {' '.join(errors)}" for name, errors in form.errors.items())
