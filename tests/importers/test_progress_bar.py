"""Every import command draws one progress bar on a terminal, and nothing on a pipe."""

import io

from django.core.management import call_command

from importers.management.progress import ProgressBar

from .incident_world import SAMPLES, world_fixture  # noqa: F401 (fixture)


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_the_bar_counts_to_the_total_the_importer_gives():
    screen = Terminal()
    with ProgressBar("PagerDuty incidents", unit="incident", file=screen) as progress:
        progress(0, None)  # the total is not known yet
        progress(2, 5)
        progress(5, 5)
    text = screen.getvalue()
    # Worked out: tqdm redraws "<desc>: ... n/total <unit>"; the last frame is the full count.
    assert "PagerDuty incidents" in text
    assert "5/5" in text
    assert "incident" in text


def test_nothing_is_drawn_on_a_pipe():
    pipe = io.StringIO()
    with ProgressBar("Opsgenie", file=pipe) as progress:
        progress(3, 3)
    assert pipe.getvalue() == ""


def test_the_history_command_shows_the_bar_on_a_terminal(world):
    out, err = io.StringIO(), Terminal()
    call_command(
        "import_history",
        "pagerduty-incidents",
        str(SAMPLES / "pagerduty_incidents.csv"),
        "--mapping",
        str(SAMPLES / "pagerduty_mapping.yaml"),
        "--dry-run",
        stdout=out,
        stderr=err,
    )
    # The sample has 6 data rows (worked out from the file: 5 imported, line 8 refused).
    # The sample has 7 lines: a header and 6 rows (5 imported, line 8 refused), all counted.
    last_frame = err.getvalue().rstrip("\n").rsplit("\r", 1)[-1]
    assert last_frame.startswith("PagerDuty incidents (history): 100%")
    assert "6/6" in last_frame
    assert "Dry run" in out.getvalue()
