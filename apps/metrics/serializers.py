"""The metrics API's query parameters and answer shapes (also its OpenAPI schema)."""

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from rest_framework import serializers

from apps.core.serializer_fields import UpperChoiceField
from apps.core.time import MAX_PERIOD_DAYS, check_period_day
from apps.deployments.models import Environment
from apps.metrics.levels import BENCHMARKS
from apps.metrics.selectors.periods import INTERVALS, default_period

# Read by authentication (`?api_key=`) and content negotiation, not by the metrics.
TRANSPORT_PARAMS = {"api_key", "format"}


class StrictQuerySerializer(serializers.Serializer[Any]):
    """Query parameters; an unknown one is a 400 naming it rather than silently ignored."""

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        unknown = set(self.initial_data) - set(self.fields) - TRANSPORT_PARAMS
        if unknown:
            allowed = ", ".join(sorted(self.fields))
            raise serializers.ValidationError(
                {name: [f"Unknown query parameter; use one of {allowed}."] for name in unknown}
            )
        return attrs


class PeriodQuerySerializer(StrictQuerySerializer):
    environment = UpperChoiceField(
        choices=Environment.values, required=False, default=Environment.PRODUCTION
    )
    service = serializers.CharField(
        required=False, default="", allow_blank=True, max_length=200, trim_whitespace=True
    )
    since = serializers.DateField(
        required=False,
        input_formats=["%Y-%m-%d"],
        help_text="First day (YYYY-MM-DD, project time zone). Default: 90 days before until.",
    )
    until = serializers.DateField(
        required=False,
        input_formats=["%Y-%m-%d"],
        help_text="Day after the last one (exclusive). Default: tomorrow, so today is included.",
    )
    benchmark = serializers.ChoiceField(
        choices=BENCHMARKS,
        required=False,
        help_text="DORA report whose level table applies; default DORAHUB_BENCHMARK (2023).",
    )


class DoraQuerySerializer(PeriodQuerySerializer):
    project = serializers.SlugField(
        required=False,
        max_length=100,
        help_text="Project slug; default: all projects (an API token: its own project).",
    )
    interval = serializers.ChoiceField(
        choices=INTERVALS, default="week", help_text="Series buckets; weeks start on Monday."
    )


def resolve_period(*, since: date | None, until: date | None, tz: ZoneInfo) -> tuple[date, date]:
    """The requested [since, until) with defaults filled in (the last 90 days)."""
    problems = {
        name: [problem]
        for name, day in (("since", since), ("until", until))
        if (problem := check_period_day(day))
    }
    if problems:
        raise serializers.ValidationError(problems)
    default_since, default_until = default_period(tz=tz)
    until = until or default_until
    since = since or until - (default_until - default_since)
    if since >= until:
        raise serializers.ValidationError({"since": ["Must be before until."]})
    if (until - since).days > MAX_PERIOD_DAYS:
        raise serializers.ValidationError(
            {"since": [f"The period may span at most {MAX_PERIOD_DAYS} days."]}
        )
    return since, until


# --- answers -------------------------------------------------------------------------------

LEVEL_HELP = "elite, high, medium, low, or 'no data'"


class DeploymentFrequencySerializer(serializers.Serializer[Any]):
    deployments = serializers.IntegerField(help_text="Successful deployments in the period.")
    per_day = serializers.FloatField(allow_null=True)
    deployment_days = serializers.IntegerField()
    median_deployment_days_per_week = serializers.FloatField(allow_null=True)
    median_deployment_days_per_month = serializers.FloatField(
        allow_null=True,
        help_text="The level's measure when deploying on fewer days than weekly (METRICS.md).",
    )
    failed_attempts = serializers.IntegerField(help_text="FAILURE/ABORT: not deployments.")
    level = serializers.CharField(help_text=LEVEL_HELP)


class LeadTimeSerializer(serializers.Serializer[Any]):
    median_seconds = serializers.FloatField(allow_null=True)
    p75_seconds = serializers.FloatField(allow_null=True)
    p90_seconds = serializers.FloatField(allow_null=True)
    changes = serializers.IntegerField()
    skipped = serializers.IntegerField(help_text="Lead time <= 0 or no known start.")
    level = serializers.CharField(help_text=LEVEL_HELP)


class ChangeFailureRateSerializer(serializers.Serializer[Any]):
    rate = serializers.FloatField(allow_null=True)
    failed_deployments = serializers.IntegerField()
    deployments = serializers.IntegerField()
    level = serializers.CharField(help_text=LEVEL_HELP)


class RestoreTimeSerializer(serializers.Serializer[Any]):
    median_seconds = serializers.FloatField(allow_null=True)
    incidents = serializers.IntegerField()
    level = serializers.CharField(help_text=LEVEL_HELP)


class ReworkRateSerializer(serializers.Serializer[Any]):
    rate = serializers.FloatField(allow_null=True)
    rework_deployments = serializers.IntegerField()
    deployments = serializers.IntegerField()


class SeriesPointSerializer(serializers.Serializer[Any]):
    start = serializers.DateField()
    deployments = serializers.IntegerField()
    lead_time_median_seconds = serializers.FloatField(allow_null=True)
    change_failure_rate = serializers.FloatField(allow_null=True)
    time_to_restore_median_seconds = serializers.FloatField(allow_null=True)


class ScopeSerializer(serializers.Serializer[Any]):
    project = serializers.CharField(allow_null=True, help_text="Slug; null for all projects.")
    environment = serializers.CharField()
    service = serializers.CharField(allow_null=True)
    since = serializers.DateField()
    until = serializers.DateField(help_text="Exclusive.")
    time_zone = serializers.CharField(help_text="Days and buckets are in this time zone.")
    interval = serializers.CharField(required=False)
    benchmark = serializers.CharField()
    # A field named like DRF's Field.source attribute: the serializer metaclass moves it into
    # `_declared_fields`, which the stubs cannot know.
    source = serializers.CharField(  # type: ignore[assignment]
        required=False, help_text="'snapshots' or 'live': where the deployment counts came from."
    )


class FiguresSerializer(serializers.Serializer[Any]):
    deployment_frequency = DeploymentFrequencySerializer()
    lead_time = LeadTimeSerializer()
    change_failure_rate = ChangeFailureRateSerializer()
    time_to_restore = RestoreTimeSerializer()
    failed_deployment_recovery_time = RestoreTimeSerializer()
    rework_rate = ReworkRateSerializer()


class DoraReportSerializer(FiguresSerializer):
    scope = ScopeSerializer()
    series = SeriesPointSerializer(many=True)

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        # `scope` first, `series` last, as documented.
        order = ["scope", *FiguresSerializer().get_fields(), "series"]
        return {name: fields[name] for name in order}


class ProjectRefSerializer(serializers.Serializer[Any]):
    slug = serializers.CharField()
    name = serializers.CharField()
    time_zone = serializers.CharField()


class ProjectFiguresSerializer(FiguresSerializer):
    project = ProjectRefSerializer()

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        return {"project": fields.pop("project"), **fields}


class DoraProjectsSerializer(serializers.Serializer[Any]):
    scope = ScopeSerializer()
    projects = ProjectFiguresSerializer(many=True)
