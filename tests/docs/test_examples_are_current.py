"""The guides' copy-paste examples compute their times (`$(date -u ...)`) instead of naming a
fixed date, so that pasting one today records an event inside the dashboards' default period
(issue 14). Comment lines (expected answers, sample output) may keep illustrative dates."""

import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"
GUIDES = sorted(
    [*(DOCS / "integrations").glob("*.md"), DOCS / "triggers.md", DOCS / "cli.md"],
    key=lambda path: path.name,
)
SHELL_FENCE = re.compile(r"^(\s*)```(sh|bash|console)\s*$")
ISO_DATE = re.compile(r"20\d\d-\d\d-\d\d")


def shell_lines(text: str) -> list[tuple[int, str]]:
    """(line number, line) of every line inside a ```sh, ```bash or ```console block."""
    lines, fence = [], None
    for number, line in enumerate(text.splitlines(), start=1):
        if fence is None:
            if match := SHELL_FENCE.match(line):
                fence = match.group(1) + "```"
        elif line.rstrip() == fence:
            fence = None
        else:
            lines.append((number, line))
    return lines


def test_the_guides_are_found():
    assert {"devlake.md", "pulse.md", "github.md", "triggers.md", "cli.md"} <= {
        path.name for path in GUIDES
    }


def test_shell_lines_are_read_from_shell_blocks_only():
    text = "```sh\ncurl -d '2024-05-01'\n# 2024-05-01\n```\n```json\n\"2024-05-01\"\n```\n"
    assert shell_lines(text) == [(2, "curl -d '2024-05-01'"), (3, "# 2024-05-01")]


@pytest.mark.parametrize("guide", GUIDES, ids=lambda path: path.name)
def test_no_shell_example_names_a_fixed_date(guide):
    stale = [
        f"{guide.name}:{number}: {line.strip()}"
        for number, line in shell_lines(guide.read_text())
        if ISO_DATE.search(line) and not line.lstrip().startswith("#")
    ]
    assert not stale, "compute the time with $(date -u ...) instead:\n" + "\n".join(stale)
