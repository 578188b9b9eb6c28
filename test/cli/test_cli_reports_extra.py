"""Thresholds, period comparison and costs, end to end against the fake's own aggregation."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest
from cli_helpers import BERLIN, RANGE, engine_env, run_cli

from _generated.testing import FakeUsageEngine, UsageRecord, aggregate

WEEK = (datetime(2026, 11, 15, tzinfo=BERLIN), datetime(2026, 11, 22, tzinfo=BERLIN))
WEEK_BEFORE = (datetime(2026, 11, 8, tzinfo=BERLIN), datetime(2026, 11, 15, tzinfo=BERLIN))
MEASURES = ("inference", "eval_prompt", "eval_completion")


def _sums(
    records: tuple[UsageRecord, ...], start: datetime, end: datetime, group_by: tuple[str, ...]
) -> dict[tuple[Any, Any], dict[str, int]]:
    rows = aggregate(records, start, end, group_by)
    sums = {}
    for row in rows:
        counts = {m: row["count"][m] for m in MEASURES}
        counts["total"] = sum(counts.values())
        sums[(row["rule_type"], row["task_id"])] = counts
    return sums


# -- thresholds ----------------------------------------------------------------------------


def _overall(records: tuple[UsageRecord, ...], measure: str = "total") -> int:
    start, end = (
        datetime.fromisoformat("2026-11-01T00:00+00:00"),
        datetime.fromisoformat("2026-11-08T00:00+00:00"),
    )
    return sum(c[measure] for c in _sums(records, start, end, ("rule_type",)).values())


@pytest.mark.parametrize("measure", ["total", "inference", "eval_prompt", "eval_completion"])
def test_fail_above_exits_6_after_writing_the_report(
    fake_engine: FakeUsageEngine, measure: str
) -> None:
    total = _overall(fake_engine.records, measure)
    args = ["tokens", *RANGE, "--format", "json", "--measure", measure]
    over = run_cli(*args, "--fail-above", str(total - 1), env=engine_env(fake_engine))
    assert over.returncode == 6
    assert json.loads(over.stdout)["totals"]["overall"][measure] == total  # written first
    (line,) = over.stderr.splitlines()
    assert line.startswith("genai-usage: threshold exceeded:")
    assert f"{measure} tokens {total:,} exceed --fail-above {total - 1:,}" in line
    at = run_cli(*args, "--fail-above", str(total), env=engine_env(fake_engine))
    assert at.returncode == 0 and at.stderr == ""


@pytest.mark.parametrize(("text", "factor"), [("k", 1_000), ("M", 1_000_000), ("G", 10**9)])
def test_fail_above_takes_suffixes(fake_engine: FakeUsageEngine, text: str, factor: int) -> None:
    total = _overall(fake_engine.records)
    limit = Decimal(total - 1) / factor
    result = run_cli(
        "tokens", *RANGE, "-q", "--fail-above", f"{limit}{text}", env=engine_env(fake_engine)
    )
    assert result.returncode == 6
    below = run_cli(
        "tokens", *RANGE, "--fail-above", f"{Decimal(total) / factor}{text}",
        env=engine_env(fake_engine),
    )  # fmt: skip
    assert below.returncode == 0


def test_fail_above_per_group_names_the_worst_groups(fake_engine: FakeUsageEngine) -> None:
    start = datetime.fromisoformat("2026-11-01T00:00+00:00")
    end = datetime.fromisoformat("2026-11-08T00:00+00:00")
    sums = _sums(fake_engine.records, start, end, ("rule_type",))
    ranked = sorted(((c["total"], k[0]) for k, c in sums.items()), reverse=True)
    limit = ranked[4][0]  # four groups are above it
    result = run_cli(
        "tokens", *RANGE, "--fail-above-per-group", str(limit), env=engine_env(fake_engine)
    )
    assert result.returncode == 6
    (line,) = result.stderr.splitlines()
    assert "4 group(s) exceed --fail-above-per-group" in line
    for value, name in ranked[:3]:
        assert f"{name} ({value:,})" in line
    assert "and 1 more" in line and ranked[3][1] not in line
    ok = run_cli("tokens", *RANGE, "--fail-above-per-group", str(ranked[0][0]),
                 env=engine_env(fake_engine))  # fmt: skip
    assert ok.returncode == 0


@pytest.mark.parametrize("value", ["ten", "1T", "-5", "1.5.2"])
def test_a_bad_threshold_is_a_usage_error(value: str) -> None:
    result = run_cli("tokens", "--fail-above", value)
    assert result.returncode == 2
    assert result.stderr.startswith("genai-usage: error: argument --fail-above")


# -- comparison ----------------------------------------------------------------------------


def _compare_args(*extra: str) -> list[str]:
    return ["tokens", "--since", "2026-11-15", "--until", "2026-11-22", "--tz", "Europe/Berlin",
            "--group-by", "rule_type", "--compare", "previous", *extra]  # fmt: skip


def test_compare_json_matches_the_fakes_aggregation(fake_engine: FakeUsageEngine) -> None:
    result = run_cli(*_compare_args("--format", "json"), env=engine_env(fake_engine))
    assert result.returncode == 0, result.stderr
    comparison = json.loads(result.stdout)["comparison"]
    assert comparison["previous"] == ["2026-11-08T00:00:00+01:00", "2026-11-15T00:00:00+01:00"]
    now = _sums(fake_engine.records, *WEEK, ("rule_type",))
    before = _sums(fake_engine.records, *WEEK_BEFORE, ("rule_type",))
    groups = {g["rule_type"]: g for g in comparison["groups"]}
    assert set(groups) == {k[0] for k in [*now, *before]}
    for (name, _), counts in now.items():
        group = groups[name]
        previous = before.get((name, None), {"total": 0})["total"]
        assert (group["current"], group["previous"]) == (counts["total"], previous)
        assert group["change"] == counts["total"] - previous
        expected = (counts["total"] - previous) * 100 / previous
        assert group["change_pct"] == pytest.approx(expected, abs=1e-4)
    overall = comparison["overall"]
    assert overall["current"] == sum(c["total"] for c in now.values())
    assert overall["previous"] == sum(c["total"] for c in before.values())


def test_compare_a_calendar_month_with_the_previous_one(fake_engine: FakeUsageEngine) -> None:
    # December has no data, November has: every group fell by 100 %.
    result = run_cli(
        "tokens", "--since", "2026-12-01", "--until", "2027-01-01", "--compare", "previous",
        "--format", "ndjson", env=engine_env(fake_engine),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    november = _sums(
        fake_engine.records,
        datetime.fromisoformat("2026-11-01T00:00+00:00"),
        datetime.fromisoformat("2026-12-01T00:00+00:00"),
        ("rule_type",),
    )
    groups = [line for line in lines if line["level"] == "group"]
    assert {g["rule_type"]: g["previous"] for g in groups} == {
        k[0]: c["total"] for k, c in november.items()
    }
    assert all(g["current"] == 0 and g["change_pct"] == -100.0 for g in groups)
    requested = {r.query["start_time"][0][:10] for r in fake_engine.requests}
    assert requested == {"2026-12-01", "2026-11-01"}  # both bounds, always
    assert all("end_time" in r.query for r in fake_engine.requests)


def test_a_zero_baseline_shows_new_in_every_format(
    fake_engine: FakeUsageEngine, tmp_path: Path
) -> None:
    # November against October, which has no data.
    base = ["tokens", "--since", "2026-11-01", "--until", "2026-12-01", "--compare", "previous"]
    table = run_cli(*base, env=engine_env(fake_engine))
    assert table.returncode == 0, table.stderr
    body = [line for line in table.stdout.splitlines() if line.endswith(("new", "%"))]
    assert body and all(line.endswith("new") for line in body[1:])  # [0] is the header
    as_csv = run_cli(*base, "--format", "csv", env=engine_env(fake_engine))
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert rows and all(r["new"] == "true" and r["change_pct"] == "" for r in rows)
    assert rows[-1]["level"] == "overall"
    html = tmp_path / "cmp.html"
    assert run_cli(*base, "-o", str(html), env=engine_env(fake_engine)).returncode == 0
    assert "<td>new</td>" in html.read_text()


def test_compare_table_numbers(fake_engine: FakeUsageEngine) -> None:
    result = run_cli(*_compare_args(), env=engine_env(fake_engine))
    assert result.returncode == 0, result.stderr
    now = _sums(fake_engine.records, *WEEK, ("rule_type",))
    before = _sums(fake_engine.records, *WEEK_BEFORE, ("rule_type",))
    total_now = sum(c["total"] for c in now.values())
    total_before = sum(c["total"] for c in before.values())
    last = result.stdout.splitlines()[-1].split()
    change = (Decimal(total_now - total_before) * 100 / total_before).quantize(Decimal("0.1"))
    assert last == ["TOTAL", f"{total_now:,}", f"{total_before:,}",
                    f"{total_now - total_before:+,}", f"{change:+}%"]  # fmt: skip


# -- costs ---------------------------------------------------------------------------------

PRICES = ["--price", "eval_prompt=2.50/1M", "--price", "eval_completion=10/1M",
          "--price", "inference=0.4/1M"]  # fmt: skip
RATES = {"inference": Decimal("0.4") / 10**6, "eval_prompt": Decimal("2.50") / 10**6,
         "eval_completion": Decimal(10) / 10**6}  # fmt: skip


def _cents(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):,}"


def test_costs_to_the_cent_in_table_and_exactly_in_json(fake_engine: FakeUsageEngine) -> None:
    month = ["--since", "2026-11-01", "--until", "2026-12-01", "--group-by", "task"]
    sums = _sums(
        fake_engine.records,
        datetime.fromisoformat("2026-11-01T00:00+00:00"),
        datetime.fromisoformat("2026-12-01T00:00+00:00"),
        ("task",),
    )
    expected = sum(
        (counts[kind] * RATES[kind] for counts in sums.values() for kind in MEASURES), Decimal(0)
    )
    table = run_cli("tokens", *month, *PRICES, env=engine_env(fake_engine))
    assert table.returncode == 0, table.stderr
    assert table.stdout.splitlines()[-1].split()[-1] == _cents(expected)
    assert "(USD)" in table.stdout
    document = json.loads(
        run_cli(
            "tokens",
            *month,
            *PRICES,
            "--format",
            "json",
            "--currency",
            "eur",
            env=engine_env(fake_engine),
        ).stdout
    )
    assert Decimal(document["costs"]["overall"]["total"]) == expected
    assert document["costs"]["currency"] == "EUR"
    for row in document["rows"]:
        cost = sum((row[kind] * RATES[kind] for kind in MEASURES), Decimal(0))
        assert Decimal(row["cost_total"]) == cost


def test_costs_in_csv_and_ndjson(fake_engine: FakeUsageEngine) -> None:
    args = ["tokens", *RANGE, "--interval", "day", *PRICES]
    as_csv = run_cli(*args, "--format", "csv", env=engine_env(fake_engine))
    as_ndjson = run_cli(*args, "--format", "ndjson", env=engine_env(fake_engine))
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    lines = [json.loads(line) for line in as_ndjson.stdout.splitlines()]
    assert len(rows) == len(lines) > 0
    for row, line in zip(rows, lines, strict=True):
        cost = sum((int(row[kind]) * RATES[kind] for kind in MEASURES), Decimal(0))
        assert Decimal(row["cost_total"]) == Decimal(line["cost_total"]) == cost
        assert row["currency"] == line["currency"] == "USD"


def test_prices_file_with_effective_dates(fake_engine: FakeUsageEngine, tmp_path: Path) -> None:
    pytest.importorskip("tomllib")
    prices = tmp_path / "prices.toml"
    prices.write_text(
        'currency = "EUR"\n\n[[prices]]\ninference = 0\neval_prompt = "1/1k"\n'
        'eval_completion = "2/1k"\n\n[[prices]]\nsince = 2026-11-05\neval_prompt = "3/1k"\n'
    )
    result = run_cli(
        "tokens", *RANGE, "--interval", "day", "--tz", "Europe/Berlin", "--prices", str(prices),
        "--format", "json", env=engine_env(fake_engine),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    expected = Decimal(0)
    for day in range(1, 8):
        start = datetime(2026, 11, day, tzinfo=BERLIN)
        end = datetime(2026, 11, day + 1, tzinfo=BERLIN)
        prompt_rate = Decimal(3 if day >= 5 else 1) / 1000
        for counts in _sums(fake_engine.records, start, end, ("rule_type",)).values():
            expected += counts["eval_prompt"] * prompt_rate
            expected += counts["eval_completion"] * Decimal(2) / 1000
    document = json.loads(result.stdout)
    assert Decimal(document["costs"]["overall"]["total"]) == expected
    assert document["costs"]["currency"] == "EUR"


def test_a_price_change_inside_a_window_is_noted(
    fake_engine: FakeUsageEngine, tmp_path: Path
) -> None:
    pytest.importorskip("tomllib")
    prices = tmp_path / "prices.toml"
    prices.write_text('[[prices]]\ninference = "1/1M"\n[[prices]]\nsince = 2026-11-04\n'
                      'inference = "2/1M"\n')  # fmt: skip
    result = run_cli("tokens", *RANGE, "--prices", str(prices), env=engine_env(fake_engine))
    assert result.returncode == 0
    assert "prices change inside a report window" in result.stderr


@pytest.mark.parametrize(
    ("flags", "needle"),
    [
        (["--price", "tokens=1"], "--price"),
        (["--price", "inference=abc"], "--price"),
        (["--price", "inference=1/xyz"], "--price"),
        (["--price", "inference=-1"], "--price"),
        (["--currency", "EUR"], "--currency: needs --price"),
        (["--price", "inference=1", "--currency", "euro"], "--currency"),
        (["--price", "inference=1", "--compare", "previous"], "--compare"),
        (["--prices", "/nonexistent/prices.toml"], "--prices"),
    ],
)
def test_bad_prices_are_usage_errors(
    fake_engine: FakeUsageEngine, flags: list[str], needle: str
) -> None:
    result = run_cli("tokens", *RANGE, *flags, env=engine_env(fake_engine))
    assert result.returncode == 2
    assert result.stderr.startswith("genai-usage: error: ") and needle in result.stderr
    assert fake_engine.attempts == 0


def test_a_bad_prices_file_names_the_problem(fake_engine: FakeUsageEngine, tmp_path: Path) -> None:
    pytest.importorskip("tomllib")
    prices = tmp_path / "prices.toml"
    prices.write_text('[[prices]]\neval_promt = "1/1M"\n')
    result = run_cli("tokens", *RANGE, "--prices", str(prices), env=engine_env(fake_engine))
    assert result.returncode == 2
    assert "eval_promt" in result.stderr and fake_engine.attempts == 0
