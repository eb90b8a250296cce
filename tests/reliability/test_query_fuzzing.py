"""Hypothesis against the query strings of the read side: the metrics API, the list APIs and the
dashboard pages answer any query with a page or a 4xx in the error shape, never a 500."""

from datetime import date

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import StaffFactory, token_for

pytestmark = pytest.mark.django_db

DAYS = st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)).map(date.isoformat)
EDGES = st.sampled_from(["0001-01-01", "0001-02-01", "9999-12-01", "9999-12-31", "1969-12-31"])
ANY = st.one_of(
    DAYS,
    st.integers(min_value=-(10**20), max_value=10**20).map(str),
    st.text(max_size=30),
    st.sampled_from(["\x00", "a\x00", "%", "'; --", "🙂", "9" * 5000, "2024-02-30", "-1"]),
)
PERIOD = ["since", "until", "environment", "service", "benchmark"]
PARAMETERS = {
    "/api/v1/metrics/dora": [*PERIOD, "project", "interval"],
    "/api/v1/metrics/dora/projects": PERIOD,
    "/api/v1/deployments": ["since", "until", "project", "connection", "result", "page"],
    "/api/v1/issues": ["since", "until", "project", "status", "type", "incident", "page"],
    "page": ["period", "since", "until", "environment", "service", "page", "format", "event"],
}


def usual(*values: str) -> st.SearchStrategy[str]:
    """Values the parameter takes, three times in four; anything otherwise."""
    return st.one_of(st.sampled_from(values), st.sampled_from(values), st.sampled_from(values), ANY)


DATES = st.one_of(DAYS, EDGES, EDGES, ANY)
KINDS = {
    "since": DATES,
    "until": DATES,
    "environment": usual("PRODUCTION", "staging", "Testing"),
    "interval": usual("day", "week", "month"),
    "benchmark": usual("2021", "2023"),
    "period": usual("30", "90", "365", "7"),
    "format": usual("csv", "json"),
    "result": usual("SUCCESS", "FAILURE"),
    "status": usual("TODO", "DONE"),
    "incident": usual("true", "false"),
    "page": usual("1", "2", "0", "-1", "999999999999"),
}


def queries(path: str) -> st.SearchStrategy[dict[str, str]]:
    """One or two of the parameters the path reads; sometimes unknown ones."""
    known = PARAMETERS.get(path, PARAMETERS["page"])
    chosen = st.lists(st.sampled_from(known), min_size=1, max_size=2, unique=True)
    return st.one_of(
        chosen.flatmap(lambda names: st.fixed_dictionaries({n: KINDS.get(n, ANY) for n in names})),
        chosen.flatmap(lambda names: st.fixed_dictionaries({n: KINDS.get(n, ANY) for n in names})),
        st.dictionaries(st.text(max_size=6), ANY, max_size=3),
    )


@pytest.fixture
def readers(sender):
    person = Client()
    person.force_login(StaffFactory())
    return person, token_for(sender.connection), sender.connection.project.slug


@pytest.mark.parametrize("path", [path for path in PARAMETERS if path.startswith("/")])
def test_any_query_on_the_apis_is_answered_or_refused(readers, path):
    person, token, _ = readers
    machine = {"HTTP_AUTHORIZATION": f"Bearer {token}"}

    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
    @given(query=queries(path), as_person=st.booleans())
    def answered(query, as_person):
        response = person.get(path, query) if as_person else Client().get(path, query, **machine)
        assert response.status_code < 500, (path, query)
        if response.status_code >= 400:
            assert response.json()["error"]["message"], (path, query)

    answered()


def test_any_query_on_the_dashboards_is_answered(readers):
    person, _, slug = readers
    pages = [
        "/",
        "/activity/",
        f"/projects/{slug}/",
        f"/projects/{slug}/deployments/",
        f"/projects/{slug}/incidents/",
        f"/projects/{slug}/ci/",
    ]

    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
    @given(path=st.sampled_from(pages), query=queries("page"))
    def answered(path, query):
        assert person.get(path, query).status_code < 500, (path, query)

    answered()


EXTREME_PERIODS = [
    {"until": "9999-12-31"},
    {"since": "9999-12-01", "until": "9999-12-31"},
    {"until": "0001-01-05"},
    {"since": "0001-01-01", "until": "0001-02-01"},
    {"since": "1969-12-31"},
]


@pytest.mark.parametrize(
    "query", EXTREME_PERIODS, ids=lambda q: "&".join(f"{k}={v}" for k, v in q.items())
)
def test_periods_at_the_ends_of_the_calendar_are_refused_not_crashed(readers, query):
    person, _, slug = readers
    for path in [p for p in PARAMETERS if p.startswith("/api/v1/metrics")]:
        response = person.get(path, query)
        assert response.status_code == 400, (path, response.content)
        assert set(response.json()["error"]["fields"]) <= {"since", "until"}
    for page in ("/", f"/projects/{slug}/", f"/projects/{slug}/ci/"):
        assert person.get(page, query).status_code == 200, page  # the default period instead
