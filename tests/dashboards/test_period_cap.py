"""Issue 16 finding 17: a dashboard period is capped as the API caps it (three years), so
`?since=1970-01-01&until=3000-01-01` no longer costs a second and a 2 MB page."""

import pytest

from apps.core.time import MAX_PERIOD_DAYS
from apps.dashboards.periods import PeriodForm
from tests.factories import ProjectFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "query",
    [{"since": "1970-01-01", "until": "3000-01-01"}, {"since": "1970-01-01"}],
    ids=["both-ends", "since-only"],
)
def test_a_longer_period_is_refused_naming_the_limit(query):
    form = PeriodForm(query)

    assert not form.is_valid()
    assert f"at most {MAX_PERIOD_DAYS} days" in " ".join(form.non_field_errors())
    assert form.get_period().length == 90  # the default, not fifty years


def test_the_page_says_so_and_shows_the_default_period(client):
    ProjectFactory(slug="cap")
    client.force_login(UserFactory())

    page = client.get("/projects/cap/", {"since": "1970-01-01", "until": "3000-01-01"})

    assert page.status_code == 200
    assert f"at most {MAX_PERIOD_DAYS} days" in page.content.decode()


def test_three_years_are_still_allowed():
    assert PeriodForm({"since": "2022-01-01", "until": "2025-01-01"}).is_valid()
