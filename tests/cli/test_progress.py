"""The backfill progress bar: redrawn in place on a terminal, a few lines in a CI log."""

import io

from dorahub_cli.progress import ProgressBar


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_on_a_terminal_the_bar_redraws_one_line_in_place():
    stream = Terminal()
    bar = ProgressBar(4, label="backfill", width=8, stream=stream)

    bar.start()
    for tag in ("v1", "v2", "v3", "v4"):
        bar.advance(tag)
    bar.close()

    frames = stream.getvalue().split("\r\x1b[2K")[1:]
    assert frames[0] == "backfill [........] 0/4"
    assert frames[2] == "backfill [####....] 2/4 v2"
    assert frames[-1] == "backfill [########] 4/4 v4\n"


def test_in_a_ci_log_it_prints_at_most_one_line_per_tenth():
    stream = io.StringIO()
    bar = ProgressBar(250, label="backfill", width=10, stream=stream)

    bar.start()
    for i in range(250):
        bar.advance(f"v{i}")

    lines = stream.getvalue().splitlines()
    assert len(lines) == 11
    assert lines[0] == "backfill [..........] 0/250"
    assert lines[-1] == "backfill [##########] 250/250 v249"
    assert "\r" not in stream.getvalue()
