"""The figures docs/reliability.md quotes, written by the tests that measure them to
test-artifacts/reliability.json (one entry per fault, replaced on each run)."""

import json
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db import connection

ARTIFACT = settings.BASE_DIR / "test-artifacts" / "reliability.json"


def record(fault: str, **figures: Any) -> None:
    ARTIFACT.parent.mkdir(parents=True, exist_ok=True)
    report = json.loads(ARTIFACT.read_text()) if ARTIFACT.exists() else {}
    report[fault] = {
        **figures,
        "database": connection.vendor,
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    ARTIFACT.write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")
    print(f"\nreliability[{fault}]: {json.dumps(figures, sort_keys=True)}")
