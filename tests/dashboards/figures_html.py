"""Reads the tests' contract from a page (docs/dashboards.md): every element carrying
`data-metric` with its `data-*` attributes and the first link inside it; a list page's
`data-total` and `data-median`. Standard library only, so it reads the HTML a browser gets."""

from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}


@dataclass
class FigureElement:
    metric: str
    attrs: dict[str, str]
    href: str = ""

    @property
    def value(self) -> float | None:
        raw = self.attrs.get("data-value", "")
        return float(raw) if raw != "" else None

    def number(self, name: str) -> float | None:
        raw = self.attrs.get(name)
        return None if raw in (None, "") else float(raw)


@dataclass
class _Reader(HTMLParser):
    figures: list[FigureElement] = field(default_factory=list)
    totals: list[dict[str, str]] = field(default_factory=list)
    stack: list[tuple[str, FigureElement | None]] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if "data-total" in values:
            self.totals.append(values)
        figure = None
        if "data-metric" in values:
            figure = FigureElement(values["data-metric"], values)
            self.figures.append(figure)
        if tag == "a" and values.get("href"):
            if figure is not None:
                figure.href = values["href"]
            for _, open_figure in reversed(self.stack):
                if open_figure is not None:
                    if not open_figure.href:
                        open_figure.href = values["href"]
                    break
        if tag not in VOID:
            self.stack.append((tag, figure))

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                return


def figures(html: str) -> list[FigureElement]:
    reader = _Reader()
    reader.feed(html)
    return reader.figures


def list_totals(html: str) -> dict[str, str]:
    """The list page's `data-total` element's attributes (exactly one per list page)."""
    reader = _Reader()
    reader.feed(html)
    assert len(reader.totals) == 1, f"expected one data-total element, found {reader.totals}"
    return reader.totals[0]
