"""`Percentile` is PostgreSQL's percentile_cont on every database: a true median, not the lower
median, with linear interpolation for p75 and p90, computed by the database."""

from datetime import timedelta

import pytest
from django.db.models import Q

from apps.core.aggregates import EpochSeconds, Percentile, percentile_cont
from apps.deployments.models import Deployment
from tests.factories import BASE_TIME, ConnectionFactory, DeploymentFactory

pytestmark = pytest.mark.django_db

DURATION = EpochSeconds("finished_at") - EpochSeconds("started_at")


def deployments_lasting(*minutes: float, **fields):
    connection = ConnectionFactory()
    for length in minutes:
        DeploymentFactory(
            connection=connection,
            started_at=BASE_TIME,
            finished_at=BASE_TIME + timedelta(minutes=length),
            **fields,
        )


def test_the_median_of_an_even_count_is_the_mean_of_the_middle_two():
    deployments_lasting(1, 2, 3, 10)

    result = Deployment.objects.aggregate(median=Percentile(DURATION, fraction=0.5))

    assert result["median"] == pytest.approx(150.0)  # 2.5 minutes, not the lower median's 2


def test_p75_and_p90_interpolate_between_ranks():
    deployments_lasting(1, 2, 3, 4, 5)

    result = Deployment.objects.aggregate(
        p75=Percentile(DURATION, fraction=0.75), p90=Percentile(DURATION, fraction=0.9)
    )

    assert result["p75"] == pytest.approx(4 * 60)
    assert result["p90"] == pytest.approx(4.6 * 60)


def test_no_rows_give_no_percentile_rather_than_zero():
    assert Deployment.objects.aggregate(m=Percentile(DURATION, fraction=0.5))["m"] is None


def test_a_filter_and_a_grouping_apply_to_the_percentile():
    deployments_lasting(1, 3, environment="PRODUCTION")
    deployments_lasting(100, environment="STAGING")

    filtered = Deployment.objects.aggregate(
        m=Percentile(DURATION, fraction=0.5, filter=Q(environment="PRODUCTION"))
    )
    grouped = dict(
        Deployment.objects.order_by()
        .values("environment")
        .annotate(m=Percentile(DURATION, fraction=0.5))
        .values_list("environment", "m")
    )

    assert filtered["m"] == pytest.approx(120.0)
    assert grouped == {"PRODUCTION": pytest.approx(120.0), "STAGING": pytest.approx(6000.0)}


def test_durations_keep_sub_second_precision():
    deployments_lasting(0.0125)  # 750 ms

    result = Deployment.objects.aggregate(m=Percentile(DURATION, fraction=0.5))

    assert result["m"] == pytest.approx(0.75, abs=1e-6)


@pytest.mark.parametrize(
    ("values", "fraction", "expected"),
    [([5.0], 0.9, 5.0), ([1.0, 2.0], 0.5, 1.5), ([4.0, 1.0, 3.0, 2.0], 0.75, 3.25)],
)
def test_the_python_interpolation_used_on_sqlite_is_percentile_cont(values, fraction, expected):
    assert percentile_cont(values, fraction) == pytest.approx(expected)


def test_a_fraction_outside_zero_to_one_is_refused():
    with pytest.raises(ValueError):
        Percentile(DURATION, fraction=1.5)
