"""The project page's first-delivery panel and its poll (`/projects/<slug>/deliveries/`): an
empty project waits for its first delivery, naming its connections' routes, and turns into the
dashboard when one arrives (static/js/delivery-panel.js reloads the page)."""

from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpRequest, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.urls import reverse
from django.views import View

from apps.connections.models import Project
from apps.deployments.models import Deployment
from apps.integrations.panels import project_panel_context
from apps.issues.models import Issue

TEMPLATE = "dashboards/_first_delivery.html"


def panel_context(request: HttpRequest, project: Project) -> dict[str, Any] | None:
    """The panel for the project page: always while the project has no data yet, and for staff
    (its admins) afterwards too; None when there is nothing to show."""
    empty = not (
        Deployment.objects.filter(project=project).exists()
        or Issue.objects.filter(project=project).exists()
    )
    if not (empty or request.user.is_staff):
        return None
    context = project_panel_context(project=project, base_url=request.build_absolute_uri("/")[:-1])
    return {
        **context,
        "project": project,
        "empty": empty,
        "show_details": request.user.is_staff,
        "poll_url": reverse("dashboards:project-deliveries", args=[project.slug]),
    }


def panel(request: HttpRequest, project: Project) -> dict[str, Any] | None:
    """What the project page embeds: the rendered panel and what its poller needs."""
    context = panel_context(request, project)
    if context is None:
        return None
    return {
        "html": render_to_string(TEMPLATE, context, request=request),
        "state": context["state"],
        "empty": context["empty"],
        "poll_url": context["poll_url"],
    }


class ProjectDeliveriesPoll(LoginRequiredMixin, View):
    def get(self, request: HttpRequest, slug: str) -> JsonResponse:
        project = get_object_or_404(Project, slug=slug)
        shown = panel(request, project)
        if shown is None:
            return JsonResponse({"html": "", "state": ""})
        return JsonResponse({"html": shown["html"], "state": shown["state"]})
