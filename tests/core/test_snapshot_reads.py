"""`one_snapshot()`: every query of the block reads the database as of one moment, so a
rebuild committed by another connection midway is not half seen (issue 16, finding 21)."""

import threading
from datetime import date

import pytest
from django.db import connection

from apps.core.snapshot_reads import one_snapshot
from apps.marks.models import DirtyDay
from apps.marks.services import mark_dirty_days
from tests.factories import ProjectFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def rebuild_elsewhere(project_id: int) -> None:
    """What a worker's rebuild does to the marks, committed on its own connection."""

    def work() -> None:
        DirtyDay.objects.filter(project_id=project_id).delete()
        connection.close()

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()


@pytest.fixture
def marked_project():
    project = ProjectFactory()
    mark_dirty_days(project_id=project.pk, environment="PRODUCTION", days=[date(2024, 3, 5)])
    return project


def test_inside_one_snapshot_a_rebuild_committed_midway_is_not_seen(marked_project):
    marks = DirtyDay.objects.filter(project_id=marked_project.pk)
    with one_snapshot():
        before = marks.count()
        rebuild_elsewhere(marked_project.pk)
        assert marks.count() == before == 1
    assert marks.count() == 0


def test_without_it_each_query_sees_the_latest_commit(marked_project):
    marks = DirtyDay.objects.filter(project_id=marked_project.pk)
    assert marks.count() == 1
    rebuild_elsewhere(marked_project.pk)
    assert marks.count() == 0
