"""Issue 16 finding 21 (partly): the overview's lead-time union answered 500 (EmptyResultSet)
when a rebuild emptied the marks between the query that counted them and the one that used
them. A part that can match nothing now adds no rows instead of failing the page."""

import pytest
from django.db.models import F

from apps.metrics.models import ChangeLeadTime
from apps.metrics.selectors.lead_times import _union_lead_figures

pytestmark = pytest.mark.django_db


def test_a_part_that_can_match_nothing_adds_no_rows():
    emptied = ChangeLeadTime.objects.filter(pk__in=[]).annotate(lead=F("lead_seconds"))

    assert _union_lead_figures([(emptied, None)], by_project=True) == {}
