"""A tiny progress bar on stderr.

The CLI must install on any CI image with only the standard library, so no tqdm. On a
terminal the bar redraws in place; in a CI log (not a terminal) it prints a line at each
tenth of the way, so logs stay short and still show progress.
"""

from __future__ import annotations

import sys
from typing import TextIO


class ProgressBar:
    def __init__(
        self, total: int, *, label: str = "", width: int = 30, stream: TextIO | None = None
    ) -> None:
        self.total = max(total, 0)
        self.label = label
        self.width = width
        self.stream = stream if stream is not None else sys.stderr
        self.interactive = bool(getattr(self.stream, "isatty", lambda: False)())
        self.done = 0
        self._last_tenth = -1

    def render(self, note: str = "") -> str:
        fraction = self.done / self.total if self.total else 1.0
        filled = round(self.width * fraction)
        bar = "#" * filled + "." * (self.width - filled)
        text = f"{self.label} [{bar}] {self.done}/{self.total}"
        return f"{text} {note}".rstrip()

    def advance(self, note: str = "") -> None:
        self.done = min(self.done + 1, self.total)
        self._draw(note)

    def start(self) -> None:
        self._draw("")

    def close(self) -> None:
        if self.interactive:
            self.stream.write("\n")
            self.stream.flush()

    def _draw(self, note: str) -> None:
        if self.interactive:
            self.stream.write("\r\x1b[2K" + self.render(note))
            self.stream.flush()
            return
        tenth = 10 * self.done // self.total if self.total else 10
        if tenth != self._last_tenth:
            self._last_tenth = tenth
            self.stream.write(self.render(note) + "\n")
            self.stream.flush()
