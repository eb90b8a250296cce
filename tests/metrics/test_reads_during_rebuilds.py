"""Pages read while a real worker rebuilds the snapshots (issue 16, finding 21): every read
gives the figures of the rows, whichever days the rebuild has reached, and none fails. The
report reads marks, snapshots, stored lead times and rows in one database snapshot
(`apps.core.snapshot_reads`), so a rebuild committing between two of its queries is never half
seen."""

from dataclasses import asdict
from datetime import timedelta

import pytest

from apps.marks.models import DirtyDay
from apps.marks.services import request_recompute
from apps.metrics.selectors import Scope, dora_report
from tests.factories import ConnectionFactory, ProjectFactory
from tests.metrics import history as hist
from tests.metrics import reference as ref
from tests.metrics.reference import Reference
from tests.metrics.test_reference_agreement import approx

pytestmark = [pytest.mark.postgres, pytest.mark.celery_worker]


def a_month_of_history() -> ref.History:
    deployments, changes, incidents = [], [], []
    for n in range(28):
        at = hist.ORIGIN + timedelta(days=3 + n, hours=n % 7)
        sha = f"{n:040x}"
        changes.append(ref.Change(sha=sha, start=at - timedelta(hours=1 + n % 5)))
        result = "FAILURE" if n % 9 == 4 else "SUCCESS"
        deployments.append(ref.Deployment(f"d{n}", at, (sha,), result=result))
        if n % 6 == 1:
            incidents.append(
                ref.Incident(
                    key=f"INC-{n}",
                    created_at=at + timedelta(hours=2),
                    resolved_at=at + timedelta(hours=3 + n % 4),
                    caused_by=f"d{n}",
                    person=None,
                )
            )
    return ref.History(
        deployments=deployments,
        changes=changes,
        incidents=incidents,
        time_zone="America/New_York",
        link_window=timedelta(days=1),
    )


def test_every_read_during_a_rebuild_gives_the_figures_of_the_rows(
    settings, celery_worker_on_redis
):
    settings.DORAHUB_RECOMPUTE_DELAY_SECONDS = 0
    history = a_month_of_history()
    project = ProjectFactory(time_zone=history.time_zone, incident_link_window=history.link_window)
    connection = ConnectionFactory(project=project)
    for item in hist.items(history):
        hist.write(connection, item)
    want = approx(Reference(history).figures(hist.SINCE, hist.UNTIL))
    scope = Scope(project=project, since=hist.SINCE, until=hist.UNTIL)
    assert DirtyDay.objects.filter(project=project).exists()

    assert request_recompute()
    sources, reads = set(), 0
    while DirtyDay.objects.filter(project=project).exists() and reads < 2000:
        report = dora_report(scope=scope, interval=None)
        assert asdict(report.figures) == want, f"read {reads} ({report.source})"
        sources.add(report.source)
        reads += 1

    report = dora_report(scope=scope, interval=None)
    assert (report.source, asdict(report.figures)) == ("snapshots", want)
    assert reads > 0
    assert "live" in sources
