import csv
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.http import StreamingHttpResponse


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
        yield writer.writerow(header)
        for row in rows:
            yield writer.writerow(to_row(row))

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
