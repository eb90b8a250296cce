"""CSV downloads. Cells come from senders (titles, names, branches), and a spreadsheet runs a
cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return as a formula (CSV injection):
such text cells get a leading `'` (OWASP's rule), so they open as the text that was sent."""

import csv
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.http import StreamingHttpResponse

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralize(value: Any) -> Any:
    """A text cell a spreadsheet would evaluate, made inert; numbers and dates are kept."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_response(
    *,
    filename: str,
    header: Sequence[str],
    rows: Iterable[Any],
    to_row: Callable[[Any], Sequence[Any]],
) -> StreamingHttpResponse:
    """Stream a CSV download without building it in memory."""
    writer = csv.writer(_Echo())

    def lines() -> Iterable[str]:
        yield writer.writerow([neutralize(cell) for cell in header])
        for row in rows:
            yield writer.writerow([neutralize(cell) for cell in to_row(row)])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
