"""Fixtures of the ingest tests. `production_road`: production mode (the applier applies, not
the request) with the broker replaced by a recorder of the applier runs requests queue."""

import pytest

from apps.ingest import tasks


class Kicks:
    """Stands for the broker: counts the applier runs requests asked for."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self) -> bool:
        self.count += 1
        return True  # queued: an applier run will see the delivery


@pytest.fixture
def production_road(settings, monkeypatch) -> Kicks:
    settings.DORAHUB_APPLY_INLINE = False
    kicks = Kicks()
    monkeypatch.setattr(tasks, "kick_applier", kicks)
    return kicks
