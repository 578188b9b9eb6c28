"""Server strings are data: hostile rule types and task ids through every format.

The fake engine serves names that would retitle or recolour a terminal, break rows, run as
spreadsheet formulas, inject HTML or misalign a table; each format must show them as data.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from cli_helpers import RANGE, engine_env, run_cli

from _generated._textsafety import FORMULA_PREFIXES, display_width
from _generated.testing import FakeUsageEngine, UsageRecord

HOSTILE = (
    "\x1b]0;pwned\x07Title",
    "\x1b[31mRed",
    "two\nlines",
    "bare\rreturn",
    '=HYPERLINK("http://evil.example","x")',
    "+1+1",
    "-2+3",
    "@SUM(A1)",
    "\tTabbed",
    "規則ルール名前が長い",
    "<script>alert(1)</script>",
    'quote"and,comma',
    "bidi\u202eevil",
)
START = datetime(2026, 11, 2, 12, tzinfo=timezone.utc)


@pytest.fixture
def hostile_engine() -> Iterator[FakeUsageEngine]:
    records = [
        UsageRecord(START + timedelta(hours=i), f"task-{name}", name, 10 * (i + 1), 5, 1)
        for i, name in enumerate(HOSTILE)
    ]
    with FakeUsageEngine(records, token="hostile-token-29bd") as engine:
        yield engine


def _read(path: Path) -> str:
    return path.read_bytes().decode("utf-8")


def _no_raw_controls(text: str) -> None:
    for char in ("\x1b", "\x07", "\r", "\u202e"):
        assert char not in text


def test_table_escapes_controls_and_aligns_by_display_width(
    hostile_engine: FakeUsageEngine, tmp_path: Path
) -> None:
    target = tmp_path / "usage.txt"
    result = run_cli(
        "tokens", *RANGE, "--width", "120", "-o", str(target), env=engine_env(hostile_engine)
    )
    assert result.returncode == 0, result.stderr
    output = _read(target)
    _no_raw_controls(output)
    lines = output.split("\n")
    body = [line for line in lines if line and line[0] not in " -" and not line.startswith("Tok")]
    assert len(body) == len(HOSTILE) + 1  # every group on one line, and TOTAL
    assert len({display_width(line) for line in body}) == 1  # numbers end in one column
    assert any("\\x1b]0;pwned\\x07Title" in line for line in body)
    assert any("two\\nlines" in line for line in body)
    assert any("規則ルール名前が長い" in line for line in body)


@pytest.mark.parametrize("raw", [False, True])
def test_csv_quotes_every_special_field_and_neutralises_formulas(
    hostile_engine: FakeUsageEngine, raw: bool, tmp_path: Path
) -> None:
    # A file, read without newline translation: a bare CR must arrive quoted, as it was.
    target = tmp_path / "usage.csv"
    flags = ["-o", str(target), "--group-by", "rule_type", "--group-by", "task"]
    result = run_cli(
        "tokens", *RANGE, *flags, *(["--csv-raw"] if raw else []), env=engine_env(hostile_engine)
    )
    assert result.returncode == 0, result.stderr
    records = list(csv.DictReader(io.StringIO(_read(target), newline="")))
    assert len(records) == len(HOSTILE)
    for name in HOSTILE:
        shown = name if raw or not name.startswith(FORMULA_PREFIXES) else "'" + name
        assert sum(record["rule_type"] == shown for record in records) == 1, name
    if not raw:
        assert not any(r["rule_type"].startswith(FORMULA_PREFIXES) for r in records)
        assert all(r["task_id"].startswith("task-") for r in records)


def test_streamed_csv_to_a_file_is_neutralised_too(
    hostile_engine: FakeUsageEngine, tmp_path: Path
) -> None:
    target = tmp_path / "usage.csv"
    result = run_cli("tokens", *RANGE, "--interval", "day", "-o", str(target),
                     env=engine_env(hostile_engine))  # fmt: skip
    assert result.returncode == 0, result.stderr
    records = list(csv.DictReader(io.StringIO(_read(target), newline="")))
    assert {r["rule_type"] for r in records} == {
        "'" + n if n.startswith(FORMULA_PREFIXES) else n for n in HOSTILE
    }


@pytest.mark.parametrize("fmt", ["json", "ndjson"])
def test_json_and_ndjson_keep_names_exactly(hostile_engine: FakeUsageEngine, fmt: str) -> None:
    result = run_cli("tokens", *RANGE, "--format", fmt, env=engine_env(hostile_engine))
    assert result.returncode == 0, result.stderr
    _no_raw_controls(result.stdout)
    if fmt == "json":
        rows = json.loads(result.stdout)["rows"]
    else:
        rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert sorted(row["rule_type"] for row in rows) == sorted(HOSTILE)


@pytest.mark.parametrize("extra", [[], ["--compare", "previous"], ["--price", "inference=1/1k"]])
def test_html_shows_names_as_text(hostile_engine: FakeUsageEngine, extra: list[str]) -> None:
    result = run_cli("tokens", *RANGE, "--format", "html", *extra, env=engine_env(hostile_engine))
    assert result.returncode == 0, result.stderr
    assert "<script>alert(1)</script>" not in result.stdout
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in result.stdout
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout


@pytest.mark.parametrize("extra", [["--compare", "previous"], ["--price", "inference=1/1k"]])
@pytest.mark.parametrize("fmt", ["table", "csv"])
def test_comparison_and_cost_views_are_safe_too(
    hostile_engine: FakeUsageEngine, extra: list[str], fmt: str, tmp_path: Path
) -> None:
    target = tmp_path / "out"
    result = run_cli(
        "tokens", *RANGE, "--format", fmt, "--width", "120", *extra, "-o", str(target),
        env=engine_env(hostile_engine),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    output = _read(target)
    if fmt == "csv":  # CSV keeps the data as it is, quoted
        records = list(csv.DictReader(io.StringIO(output, newline="")))
        names = {r["rule_type"] for r in records if r.get("level", "group") == "group"}
        assert names == {"'" + n if n.startswith(FORMULA_PREFIXES) else n for n in HOSTILE}
    else:
        _no_raw_controls(output)
        body = [line for line in output.split("\n") if line[:1] not in ("", " ", "-")]
        widths = {display_width(line) for line in body[-len(HOSTILE) - 1 :]}
        assert len(widths) == 1


def test_threshold_messages_escape_group_names(hostile_engine: FakeUsageEngine) -> None:
    result = run_cli(
        "tokens", *RANGE, "--format", "json", "--fail-above-per-group", "0",
        env=engine_env(hostile_engine),
    )  # fmt: skip
    assert result.returncode == 6
    (line,) = result.stderr.splitlines()
    _no_raw_controls(line)
    assert line.startswith("genai-usage: threshold exceeded:")
