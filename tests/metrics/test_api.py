"""GET /api/v1/metrics/dora and /api/v1/metrics/dora/projects."""

from datetime import UTC, date, datetime, timedelta

import pytest

from apps.metrics.services import recompute_dirty
from tests.factories import ConnectionFactory, ProjectFactory, token_for
from tests.metrics import history as hist
from tests.metrics import reference as ref

pytestmark = pytest.mark.django_db

URL = "/api/v1/metrics/dora"
PROJECTS_URL = "/api/v1/metrics/dora/projects"
NOON = datetime(2024, 3, 5, 12, tzinfo=UTC)  # a Tuesday
MARCH = {"since": "2024-03-01", "until": "2024-04-01"}

HEADLINE = {
    "deployment_frequency": {
        "deployments",
        "per_day",
        "deployment_days",
        "median_deployment_days_per_week",
        "median_deployment_days_per_month",
        "failed_attempts",
        "level",
    },
    "lead_time": {"median_seconds", "p75_seconds", "p90_seconds", "changes", "skipped", "level"},
    "change_failure_rate": {"rate", "failed_deployments", "deployments", "level"},
    "time_to_restore": {"median_seconds", "incidents", "level"},
    "failed_deployment_recovery_time": {"median_seconds", "incidents", "level"},
    "rework_rate": {"rate", "rework_deployments", "deployments"},
}
SERIES_POINT = {
    "start",
    "deployments",
    "lead_time_median_seconds",
    "change_failure_rate",
    "time_to_restore_median_seconds",
}


def shop_history(connection):
    for item in [
        ref.Change("1" * 40, NOON - timedelta(hours=6)),
        ref.Deployment("d1", NOON, ("1" * 40,)),
        ref.Deployment("d2", NOON + timedelta(days=2), ("2" * 40,)),
        ref.Deployment("d3", NOON + timedelta(days=3), ("3" * 40,), result="FAILURE"),
        ref.Incident("INC-1", NOON + timedelta(hours=1), resolved_at=NOON + timedelta(hours=3)),
    ]:
        hist.write(connection, item)


@pytest.fixture
def shop():
    connection = ConnectionFactory(project=ProjectFactory(slug="shop", name="Shop"))
    shop_history(connection)
    return connection


def test_the_answer_has_the_documented_shape_and_figures(staff_client, shop):
    response = staff_client.get(URL, {"project": "shop", **MARCH, "interval": "week"})

    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["scope", *HEADLINE, "series"]
    for name, keys in HEADLINE.items():
        assert set(body[name]) == keys
    assert body["scope"] | {"source": None} == {
        "project": "shop",
        "environment": "PRODUCTION",
        "service": None,
        "since": "2024-03-01",
        "until": "2024-04-01",
        "time_zone": "UTC",
        "interval": "week",
        "benchmark": "2023",
        "source": None,
    }
    assert body["deployment_frequency"]["deployments"] == 2
    assert body["deployment_frequency"]["failed_attempts"] == 1
    assert body["lead_time"]["median_seconds"] == 6 * 3600
    assert body["change_failure_rate"] == {
        "rate": 0.5,
        "failed_deployments": 1,
        "deployments": 2,
        "level": "low",
    }
    assert body["time_to_restore"] == {"median_seconds": 7200.0, "incidents": 1, "level": "high"}
    assert body["failed_deployment_recovery_time"]["median_seconds"] == 3 * 3600


def test_the_series_has_every_monday_week_of_the_period_empty_ones_included(staff_client, shop):
    body = staff_client.get(URL, {"project": "shop", **MARCH, "interval": "week"}).json()

    starts = [point["start"] for point in body["series"]]
    assert starts == ["2024-02-26", "2024-03-04", "2024-03-11", "2024-03-18", "2024-03-25"]
    assert all(set(point) == SERIES_POINT for point in body["series"])
    assert [point["deployments"] for point in body["series"]] == [0, 2, 0, 0, 0]
    assert body["series"][0]["change_failure_rate"] is None  # nothing deployed: no rate


def test_daily_and_monthly_buckets(staff_client, shop):
    daily = staff_client.get(URL, {"project": "shop", **MARCH, "interval": "day"}).json()
    monthly = staff_client.get(
        URL, {"project": "shop", "since": "2024-02-15", "until": "2024-04-01", "interval": "month"}
    ).json()

    assert len(daily["series"]) == 31
    assert daily["series"][4] == {
        "start": "2024-03-05",
        "deployments": 1,
        "lead_time_median_seconds": 21600.0,
        "change_failure_rate": 1.0,
        "time_to_restore_median_seconds": 7200.0,
    }
    assert [p["start"] for p in monthly["series"]] == ["2024-02-01", "2024-03-01"]


def test_days_are_the_project_time_zone_days(staff_client):
    connection = ConnectionFactory(project=ProjectFactory(slug="ny", time_zone="America/New_York"))
    # 03:00 UTC on March 6 is still March 5 in New York.
    hist.write(connection, ref.Deployment("late", datetime(2024, 3, 6, 3, tzinfo=UTC), ("1" * 40,)))

    body = staff_client.get(
        URL, {"project": "ny", "since": "2024-03-05", "until": "2024-03-07", "interval": "day"}
    ).json()

    assert body["scope"]["time_zone"] == "America/New_York"
    assert [(p["start"], p["deployments"]) for p in body["series"]] == [
        ("2024-03-05", 1),
        ("2024-03-06", 0),
    ]


def test_the_default_period_is_the_last_90_days_today_included(staff_client, shop):
    body = staff_client.get(URL, {"project": "shop"}).json()

    today = datetime.now(UTC).date()
    assert body["scope"]["until"] == (today + timedelta(days=1)).isoformat()
    assert body["scope"]["since"] == (today - timedelta(days=89)).isoformat()
    assert body["scope"]["interval"] == "week"


def test_snapshots_and_live_rows_give_the_same_answer(staff_client, shop):
    live = staff_client.get(URL, {"project": "shop", **MARCH}).json()
    recompute_dirty()
    stored = staff_client.get(URL, {"project": "shop", **MARCH}).json()

    assert (live["scope"].pop("source"), stored["scope"].pop("source")) == ("live", "snapshots")
    assert live == stored


def test_without_a_project_a_person_sees_every_project_together(staff_client, shop):
    other = ConnectionFactory(project=ProjectFactory(slug="search"))
    hist.write(other, ref.Deployment("s1", NOON, ("9" * 40,)))

    body = staff_client.get(URL, MARCH).json()

    assert body["scope"]["project"] is None
    assert body["scope"]["time_zone"] == "UTC"
    assert body["deployment_frequency"]["deployments"] == 3
    assert body["deployment_frequency"]["deployment_days"] == 2  # two projects, same day


def test_service_and_environment_narrow_the_scope(staff_client, shop):
    hist.write(shop, ref.Deployment("st", NOON, ("8" * 40,), environment="STAGING"))

    staging = staff_client.get(URL, {"project": "shop", "environment": "staging", **MARCH})
    service = staff_client.get(URL, {"project": "shop", "service": "billing", **MARCH})

    assert staging.json()["deployment_frequency"]["deployments"] == 1
    assert staging.json()["scope"]["environment"] == "STAGING"
    assert service.json()["deployment_frequency"]["deployments"] == 0
    assert service.json()["deployment_frequency"]["level"] == "no data"


def test_the_2021_benchmark_on_request_or_by_setting(staff_client, shop, settings):
    asked = staff_client.get(URL, {"project": "shop", **MARCH, "benchmark": "2021"}).json()
    settings.DORAHUB_BENCHMARK = "2021"
    configured = staff_client.get(URL, {"project": "shop", **MARCH}).json()

    assert asked["scope"]["benchmark"] == configured["scope"]["benchmark"] == "2021"
    assert asked["lead_time"]["level"] == "high"  # six hours: elite only under an hour in 2021


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"since": "2024-13-01"}, "since"),
        ({"until": "01/04/2024"}, "until"),
        ({"since": "2024-03-10", "until": "2024-03-10"}, "since"),
        ({"since": "2019-01-01", "until": "2024-01-01"}, "since"),
        ({"interval": "hour"}, "interval"),
        ({"environment": "prod"}, "environment"),
        ({"benchmark": "2019"}, "benchmark"),
        ({"intervall": "day"}, "intervall"),
        ({"project": "not a slug"}, "project"),
    ],
)
def test_bad_parameters_are_a_400_naming_the_parameter(staff_client, params, field):
    response = staff_client.get(URL, params)

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert list(error["fields"]) == [field]


def test_an_unknown_project_is_a_404(staff_client):
    response = staff_client.get(URL, {"project": "nope"})

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_people_need_to_log_in(api):
    assert api.get(URL).status_code == 401
    assert api.get(PROJECTS_URL).status_code == 401


def test_an_api_token_reads_its_own_project_only(api, shop):
    other = ConnectionFactory(project=ProjectFactory(slug="search"))
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token_for(shop)}"}

    own = api.get(URL, MARCH, **auth)
    foreign = api.get(URL, {"project": "search", **MARCH}, **auth)
    listed = api.get(PROJECTS_URL, MARCH, **auth)

    assert own.json()["scope"]["project"] == "shop"
    assert foreign.status_code == 403
    assert foreign.json()["error"]["code"] == "wrong_project"
    assert [row["project"]["slug"] for row in listed.json()["projects"]] == ["shop"]
    assert other.project.slug not in str(listed.json())


def test_the_projects_endpoint_gives_each_projects_headline_figures(staff_client, shop):
    ConnectionFactory(project=ProjectFactory(slug="idle", name="Idle"))

    body = staff_client.get(PROJECTS_URL, MARCH).json()
    single = staff_client.get(URL, {"project": "shop", **MARCH}).json()

    assert list(body) == ["scope", "projects"]
    by_slug = {row["project"]["slug"]: row for row in body["projects"]}
    assert list(by_slug) == ["idle", "shop"]
    assert set(by_slug["shop"]) == {"project", *HEADLINE}
    for name in HEADLINE:
        assert by_slug["shop"][name] == single[name]
    assert by_slug["idle"]["change_failure_rate"]["level"] == "no data"


def test_query_counts_do_not_grow_with_data_or_projects(
    staff_client, shop, django_assert_max_num_queries
):
    for n in range(6):
        connection = ConnectionFactory(project=ProjectFactory(slug=f"p{n}"))
        for k in range(5):
            hist.write(
                connection, ref.Deployment(f"d{k}", NOON + timedelta(hours=k), (f"{k}" * 40,))
            )
    recompute_dirty()
    hist.write(shop, ref.Deployment("fresh", NOON, ("7" * 40,)))  # one project live, six stored

    with django_assert_max_num_queries(13):
        response = staff_client.get(URL, {"project": "shop", **MARCH, "interval": "day"})
    assert response.status_code == 200
    with django_assert_max_num_queries(13):
        body = staff_client.get(PROJECTS_URL, MARCH).json()
    assert len(body["projects"]) == 7


def test_both_endpoints_are_in_the_openapi_schema(staff_client):
    schema = staff_client.get("/api/schema/", {"format": "json"}).json()

    for path in ("/api/v1/metrics/dora", "/api/v1/metrics/dora/projects"):
        assert "get" in schema["paths"][path]
    parameters = {p["name"] for p in schema["paths"]["/api/v1/metrics/dora"]["get"]["parameters"]}
    assert {"project", "environment", "service", "since", "until", "interval", "benchmark"} <= (
        parameters
    )


def test_a_token_may_also_be_sent_as_api_key(api, shop):
    response = api.get(URL, {"api_key": token_for(shop), **MARCH})

    assert response.status_code == 200
    assert response.json()["scope"]["project"] == "shop"
    assert date.fromisoformat(response.json()["scope"]["since"]) == date(2024, 3, 1)
