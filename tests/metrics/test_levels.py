"""Hand-worked examples on each side of every level boundary of METRICS.md."""

from datetime import UTC, date, datetime, timedelta

import pytest

from apps.metrics import levels
from apps.metrics.selectors import Scope, dora_report
from tests.factories import ConnectionFactory
from tests.metrics import history as hist
from tests.metrics import reference as ref

pytestmark = pytest.mark.django_db

MONDAY = datetime(2024, 1, 1, 12, tzinfo=UTC)
SINCE, UNTIL = date(2024, 1, 1), date(2024, 1, 29)  # four whole weeks of January


def figures(connection, items, *, benchmark="2023", since=SINCE, until=UNTIL):
    for item in items:
        hist.write(connection, item)
    scope = Scope(project=connection.project, since=since, until=until)
    return dora_report(scope=scope, benchmark=benchmark).figures


def deployed_on(days_of_week, weeks=4, start=MONDAY):
    return [
        ref.Deployment(
            external_id=f"w{week}d{day}",
            finished_at=start + timedelta(weeks=week, days=day),
            commits=(f"{week}{day}".ljust(40, "a"),),
        )
        for week in range(weeks)
        for day in days_of_week
    ]


@pytest.fixture
def connection():
    return ConnectionFactory()


# --- deployment frequency ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("items", "level"),
    [
        (deployed_on(range(5)), "elite"),  # five deployment days every week
        (deployed_on(range(4)), "high"),
        (deployed_on([0]), "high"),  # one day a week
        (deployed_on([0], weeks=2), "medium"),  # weeks 1,1,0,0: median 0.5; January has 2
        (
            [ref.Deployment("x", MONDAY, ("a" * 40,), result="FAILURE")],
            "low",  # tried, never deployed
        ),
        ([], "no data"),
    ],
)
def test_deployment_frequency_levels(connection, items, level):
    frequency = figures(connection, items).deployment_frequency

    assert frequency.level == level


def test_deployment_frequency_counts_days_and_failed_attempts_apart(connection):
    items = [
        *deployed_on([0, 0.25], weeks=1),  # two deployments on Monday
        ref.Deployment("f", MONDAY + timedelta(days=1), ("f" * 40,), result="ABORT"),
    ]

    frequency = figures(connection, items).deployment_frequency

    assert (frequency.deployments, frequency.deployment_days, frequency.failed_attempts) == (
        2,
        1,
        1,
    )
    assert frequency.per_day == pytest.approx(2 / 28)
    assert frequency.median_deployment_days_per_week == 0.0  # weeks 1, 0, 0, 0


def test_deployment_frequency_2021_uses_months_and_half_years(connection):
    once = [ref.Deployment("once", MONDAY, ("a" * 40,))]
    february = date(2024, 3, 1)

    assert figures(connection, once, benchmark="2021").deployment_frequency.level == "high"
    # January 1 day, February 0: median 0.5 days a month, but 1 in the half-year.
    two_months = figures(connection, [], benchmark="2021", until=february)
    assert two_months.deployment_frequency.level == "medium"


# --- lead time -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lead", "benchmark", "level"),
    [
        (timedelta(days=1) - timedelta(seconds=1), "2023", "elite"),
        (timedelta(days=1), "2023", "high"),
        (timedelta(days=7) - timedelta(seconds=1), "2023", "high"),
        (timedelta(days=7), "2023", "medium"),
        (timedelta(days=30), "2023", "low"),
        (timedelta(minutes=59), "2021", "elite"),
        (timedelta(hours=1), "2021", "high"),
        (timedelta(days=7), "2021", "medium"),
    ],
)
def test_lead_time_levels(connection, lead, benchmark, level):
    shipped = MONDAY + timedelta(days=20)
    items = [
        ref.Change("c" * 40, shipped - lead),
        ref.Deployment("d", shipped, ("c" * 40,)),
    ]

    lead_time = figures(connection, items, benchmark=benchmark).lead_time

    assert lead_time.median_seconds == pytest.approx(lead.total_seconds())
    assert lead_time.level == level


# --- change failure rate -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("failed", "benchmark", "level"),
    [
        (0, "2023", "elite"),
        (1, "2023", "elite"),  # 5%
        (2, "2023", "high"),  # 10%
        (3, "2023", "medium"),  # 15%
        (4, "2023", "low"),  # 20%
        (3, "2021", "elite"),
        (4, "2021", "high"),
        (6, "2021", "medium"),  # 30%
        (7, "2021", "low"),
    ],
)
def test_change_failure_rate_levels(connection, failed, benchmark, level):
    deployments = [
        ref.Deployment(f"d{n}", MONDAY + timedelta(hours=25 * n), (f"{n}".ljust(40, "b"),))
        for n in range(20)
    ]
    incidents = [
        ref.Incident(
            f"INC-{n}", deployments[n].finished_at + timedelta(minutes=5), caused_by=f"d{n}"
        )
        for n in range(failed)
    ]

    rate = figures(connection, [*deployments, *incidents], benchmark=benchmark).change_failure_rate

    assert (rate.failed_deployments, rate.deployments) == (failed, 20)
    assert rate.rate == pytest.approx(failed / 20)
    assert rate.level == level


# --- time to restore -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("outage", "level"),
    [
        (timedelta(minutes=59, seconds=59), "elite"),
        (timedelta(hours=1), "high"),
        (timedelta(days=1), "medium"),
        (timedelta(days=7), "low"),
    ],
)
def test_time_to_restore_levels(connection, outage, level):
    start = MONDAY + timedelta(days=3)
    items = [ref.Incident("INC-1", start, resolved_at=start + outage)]

    restore = figures(connection, items).time_to_restore

    assert restore.median_seconds == pytest.approx(outage.total_seconds())
    assert restore.level == level


def test_figures_without_data_say_so_instead_of_zero_or_elite(connection):
    nothing = figures(connection, [])

    assert nothing.lead_time.median_seconds is None
    assert nothing.change_failure_rate.rate is None
    assert nothing.time_to_restore.median_seconds is None
    assert nothing.failed_deployment_recovery_time.median_seconds is None
    assert nothing.rework_rate.rate is None
    assert {
        nothing.deployment_frequency.level,
        nothing.lead_time.level,
        nothing.change_failure_rate.level,
        nothing.time_to_restore.level,
        nothing.failed_deployment_recovery_time.level,
    } == {"no data"}


@pytest.mark.parametrize(
    ("per_week", "per_month", "level"),
    [(5.0, 20.0, "elite"), (4.5, 18.0, "high"), (1.0, 4.0, "high"), (0.5, 1.0, "medium")],
)
def test_deployment_frequency_table_2023(per_week, per_month, level):
    days = levels.DeploymentDays(per_week=per_week, per_month=per_month, per_half_year=6.0)

    assert levels.deployment_frequency(days, benchmark="2023") == level
