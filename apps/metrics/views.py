"""The metrics API: DORA figures for people (session) and machines (API token, own project)."""

from dataclasses import asdict
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.connections.authentication import token_project_id
from apps.connections.models import Project
from apps.core.errors import Code
from apps.metrics import selectors
from apps.metrics.serializers import (
    DoraProjectsSerializer,
    DoraQuerySerializer,
    DoraReportSerializer,
    PeriodQuerySerializer,
    resolve_period,
)

ERRORS = {
    400: OpenApiResponse(description="A query parameter is invalid; `fields` names it."),
    401: OpenApiResponse(description="No session and no API token."),
    403: OpenApiResponse(description="An API token asked for another project."),
    404: OpenApiResponse(description="No project with that slug."),
}
UTC = ZoneInfo("UTC")


def _validated(serializer_class: type, request: Request) -> dict[str, Any]:
    serializer = serializer_class(data=request.query_params.dict())
    serializer.is_valid(raise_exception=True)
    validated: dict[str, Any] = serializer.validated_data
    return validated


def _scope_body(**values: Any) -> dict[str, Any]:
    values["service"] = values.get("service") or None
    return values


class DoraMetricsView(APIView):
    @extend_schema(
        operation_id="dora_metrics",
        summary="DORA metrics of one project (or all) over a period, with a series",
        parameters=[DoraQuerySerializer],
        responses={200: DoraReportSerializer, **ERRORS},
        tags=["metrics"],
    )
    def get(self, request: Request) -> Response:
        query = _validated(DoraQuerySerializer, request)
        project = _requested_project(request, query.get("project"))
        tz = project.tz if project is not None else UTC
        since, until = resolve_period(since=query.get("since"), until=query.get("until"), tz=tz)
        scope = selectors.Scope(
            project=project,
            since=since,
            until=until,
            environment=query["environment"],
            service=query["service"],
        )
        report = selectors.dora_report(
            scope=scope, interval=query["interval"], benchmark=query.get("benchmark", "")
        )
        body = {
            "scope": _scope_body(
                project=project.slug if project is not None else None,
                environment=scope.environment,
                service=scope.service,
                since=since,
                until=until,
                time_zone=str(tz),
                interval=report.interval,
                benchmark=report.benchmark,
                source=report.source,
            ),
            **asdict(report.figures),
            "series": [asdict(point) for point in report.series],
        }
        return Response(DoraReportSerializer(body).data)


class DoraProjectsView(APIView):
    @extend_schema(
        operation_id="dora_metrics_by_project",
        summary="The headline DORA figures of every project, one row each",
        description="Each project's days are in its own time zone; defaults use UTC dates.",
        parameters=[PeriodQuerySerializer],
        responses={200: DoraProjectsSerializer, **ERRORS},
        tags=["metrics"],
    )
    def get(self, request: Request) -> Response:
        query = _validated(PeriodQuerySerializer, request)
        since, until = resolve_period(since=query.get("since"), until=query.get("until"), tz=UTC)
        projects = Project.objects.order_by("name", "pk")
        own = token_project_id(request)
        if own is not None:
            projects = projects.filter(pk=own)
        rows = selectors.dora_by_project(
            projects=list(projects),
            since=since,
            until=until,
            environment=query["environment"],
            service=query["service"],
            benchmark=query.get("benchmark", ""),
        )
        benchmark = query.get("benchmark") or settings.DORAHUB_BENCHMARK
        body = {
            "scope": _scope_body(
                project=None,
                environment=query["environment"],
                service=query["service"],
                since=since,
                until=until,
                time_zone="per project",
                benchmark=benchmark,
            ),
            "projects": [
                {
                    "project": {
                        "slug": row.project.slug,
                        "name": row.project.name,
                        "time_zone": row.project.time_zone,
                    },
                    **asdict(row.figures),
                }
                for row in rows
            ],
        }
        return Response(DoraProjectsSerializer(body).data)


def _requested_project(request: Request, slug: str | None) -> Project | None:
    """The project asked for; an API token may only ask for its own (and gets it by default)."""
    own = token_project_id(request)
    if own is not None:
        project = Project.objects.get(pk=own)
        if slug and slug != project.slug:
            raise PermissionDenied(
                "This API token can only read its own project's metrics.", code=Code.WRONG_PROJECT
            )
        return project
    if not slug:
        return None
    found = Project.objects.filter(slug=slug).first()
    if found is None:
        raise NotFound(f"No project with slug {slug!r}.", code=Code.NOT_FOUND)
    return found
