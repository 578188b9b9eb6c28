"""``--width`` down to its minimum of 40: names are cut, window labels and numbers never.

A table whose windows and numbers alone are wider than ``--width`` is wider than it.
"""

from __future__ import annotations

import re

import pytest
from cli_helpers import engine_env, run_cli

from _generated.testing import FakeUsageEngine

DAYS = ["--since", "2026-11-01", "--until", "2026-11-03", "--interval", "day"]
HOURS = ["--since", "2026-11-01", "--until", "2026-11-01T03:00", "--interval", "hour"]
NARROWEST = "40"
# Two names of 6 columns and the comparison's numbers (29 columns) with their gaps: 51.
FITS = "52"
# How a window label starts in each kind of table: a whole date, or date and time and zone.
WHOLE = {"day": re.compile(r"^2026-11-0[12]  "), "hour": re.compile(r"^2026-11-01 0[0-2]:00 UTC  ")}


def body(table: str) -> list[str]:
    """The rows between the two rules (lines of dashes), TOTAL excluded."""
    lines = table.splitlines()
    rules = [i for i, line in enumerate(lines) if line and set(line) <= {"-", " "}]
    return lines[rules[0] + 1 : rules[1]]


def numbers_of(line: str, columns: int) -> list[str]:
    """The last ``columns`` cells of a row (cells are apart by two spaces or more)."""
    return re.split(r"\s{2,}", line.strip())[-columns:]


@pytest.mark.parametrize(
    "extra",
    [
        pytest.param([], id="plain"),
        pytest.param(["--price", "inference=2.50/1M"], id="cost"),
    ],
)
@pytest.mark.parametrize("interval", ["day", "hour"])
def test_window_labels_are_never_cut(
    fake_engine: FakeUsageEngine, extra: list[str], interval: str
) -> None:
    args = DAYS if interval == "day" else HOURS
    result = run_cli(
        "tokens", "-q", *args, "--group-by", "rule_type", "--group-by", "task",
        "--width", NARROWEST, *extra, env=engine_env(fake_engine),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    rows = body(result.stdout)
    assert rows and all(WHOLE[interval].match(row) for row in rows), result.stdout
    assert "..." in result.stdout  # the names gave up their width first


def test_names_are_cut_to_fit_the_width_when_windows_and_numbers_fit(
    fake_engine: FakeUsageEngine,
) -> None:
    result = run_cli(
        "tokens", "-q", "--since", "2026-11-01", "--until", "2026-11-03", "--group-by",
        "rule_type", "--group-by", "task", "--compare", "previous", "--width", FITS,
        env=engine_env(fake_engine),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert max(len(line) for line in result.stdout.splitlines()) <= int(FITS)
    assert "..." in result.stdout


def test_numbers_are_never_cut(fake_engine: FakeUsageEngine) -> None:
    narrow = run_cli(
        "tokens", "-q", *DAYS, "--price", "inference=2.50/1M", "--width", NARROWEST,
        env=engine_env(fake_engine),
    )  # fmt: skip
    wide = run_cli(
        "tokens", "-q", *DAYS, "--price", "inference=2.50/1M", "--width", "200",
        env=engine_env(fake_engine),
    )  # fmt: skip
    assert narrow.returncode == wide.returncode == 0, narrow.stderr + wide.stderr
    cost_columns = 3  # tokens total, cost inference, cost total
    narrow_rows = [numbers_of(row, cost_columns) for row in body(narrow.stdout)]
    assert narrow_rows == [numbers_of(row, cost_columns) for row in body(wide.stdout)]
    assert "..." in narrow.stdout and "..." not in wide.stdout
