"""``_generated.testing``'s data: records, sample and demo data, grouping, the engine's order."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from _helpers import UTC
from _raw_http import NOV, record

from _generated import TokenUsageScope
from _generated.testing import (
    RULE_TYPES,
    SCOPES,
    UsageRecord,
    aggregate,
    demo_records,
    sample_records,
)
from _generated.testing.data import engine_order

ROOT = Path(__file__).resolve().parents[2]


def test_sample_records_are_deterministic_and_plausible() -> None:
    records = sample_records()
    assert records == sample_records(seed=0)
    assert records != sample_records(seed=1)
    assert len(records) == 2000
    assert all(NOV <= r.timestamp < NOV + timedelta(days=30) for r in records)
    assert [r.timestamp for r in records] == sorted(r.timestamp for r in records)
    assert {r.rule_type for r in records} == set(RULE_TYPES)
    assert len({r.task_id for r in records}) == 4
    for r in records:
        if r.rule_type in ("RegexRule", "KeywordRule"):
            assert r.eval_prompt == r.eval_completion == 0
        assert r.timestamp.microsecond == 0


def test_sample_records_options() -> None:
    naive_start = datetime(2025, 1, 1)
    records = sample_records(
        7, start=naive_start, days=2, tasks=["a", "b"], rule_types=["X"], count=50
    )
    assert len(records) == 50
    assert {r.task_id for r in records} <= {"a", "b"}
    assert {r.rule_type for r in records} == {"X"}
    start = naive_start.replace(tzinfo=UTC)
    assert all(start <= r.timestamp < start + timedelta(days=2) for r in records)
    with pytest.raises(ValueError, match="days"):
        sample_records(days=0)
    with pytest.raises(ValueError, match="tasks"):
        sample_records(tasks=0)


def test_usage_record_rejects_ids_that_are_not_strings() -> None:
    for field in ("task_id", "rule_type"):
        values = {"task_id": "t", "rule_type": "RegexRule", field: 5}
        with pytest.raises(ValueError, match=f"UsageRecord.{field} must be a str, got int"):
            UsageRecord(NOV, inference=1, eval_prompt=0, eval_completion=0, **values)


def test_usage_record_rejects_naive_timestamp_and_negative_counts() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        UsageRecord(datetime(2026, 11, 1), "t", "r", 1, 1, 1)
    with pytest.raises(ValueError, match="eval_prompt"):
        UsageRecord(NOV, "t", "r", 1, -1, 1)


def test_aggregate_groups_and_bounds() -> None:
    t0 = NOV
    records = [
        record(t0, "t1", "RegexRule", 1),
        record(t0 + timedelta(hours=1), "t2", "RegexRule", 2),
        record(t0 + timedelta(hours=2), "t1", "ToxicityRule", 4),
        record(t0 + timedelta(hours=3), "t2", "ToxicityRule", 8),
    ]
    end = t0 + timedelta(hours=3)  # exclusive: the last record is out
    by_rule = aggregate(records, t0, end, ["rule_type"])
    assert [(r["rule_type"], r["task_id"], r["count"]["inference"]) for r in by_rule] == [
        ("RegexRule", None, 3),
        ("ToxicityRule", None, 4),
    ]
    by_task = aggregate(records, t0, end, ["task"])
    assert [(r["rule_type"], r["task_id"], r["count"]["inference"]) for r in by_task] == [
        (None, "t1", 5),
        (None, "t2", 2),
    ]
    both = aggregate(records, t0, end, ["task", "rule_type", "task"])
    assert both == aggregate(records, t0, end, ["rule_type", "task"])
    assert [(r["rule_type"], r["task_id"]) for r in both] == [
        ("RegexRule", "t1"),
        ("RegexRule", "t2"),
        ("ToxicityRule", "t1"),
    ]
    count = by_rule[1]["count"]
    assert count == {
        "inference": 4,
        "eval_prompt": 40,
        "eval_completion": 400,
        "user_input": 4,
        "prompt": 40,
        "completion": 400,
    }
    # start inclusive (naive = UTC), end exclusive
    assert aggregate(records, datetime(2026, 11, 1, 2), t0 + timedelta(hours=2), ["task"]) == []
    single = aggregate(records, datetime(2026, 11, 1, 2), t0 + timedelta(hours=2, seconds=1))
    assert single == [{"rule_type": "ToxicityRule", "task_id": None, "count": single[0]["count"]}]
    # the same instant written at another offset
    plus2 = timezone(timedelta(hours=2))
    assert aggregate(records, datetime(2026, 11, 1, 4, tzinfo=plus2), end) == aggregate(
        records, t0 + timedelta(hours=2), end
    )
    totals = aggregate(records, t0, end, [])
    assert totals[0]["count"]["inference"] == 7 and totals[0]["rule_type"] is None
    with pytest.raises(ValueError, match="group_by"):
        aggregate(records, t0, end, ["user"])


def test_aggregate_without_a_bound_has_no_bound() -> None:
    records = [record(datetime(1990, 1, 1, tzinfo=UTC), n=1), record(NOV, n=2)]
    records.append(record(datetime(2090, 1, 1, tzinfo=UTC), n=4))
    [everything] = aggregate(records, None, None, ["task"])
    assert everything["count"]["inference"] == 7
    [before] = aggregate(records, None, NOV, ["task"])
    assert before["count"]["inference"] == 1
    [since] = aggregate(records, NOV, None, ["task"])
    assert since["count"]["inference"] == 6


def test_scopes_are_token_usage_scope_and_work_as_group_by() -> None:
    assert tuple(member.value for member in TokenUsageScope) == SCOPES
    records = sample_records(count=50)
    members = aggregate(records, NOV, None, [TokenUsageScope.TASK, TokenUsageScope.RULE_TYPE])
    assert members == aggregate(records, NOV, None, list(SCOPES))


def test_engine_order_is_fixed_by_the_salt_and_not_sorted() -> None:
    rows = aggregate(sample_records(), None, None, ["rule_type", "task"])
    assert len(rows) == 28
    first = engine_order(rows, 1)
    assert engine_order(list(reversed(rows)), 1) == first  # the order of the groups, not input
    assert sorted(first, key=lambda r: (r["rule_type"], r["task_id"])) == rows
    assert first != rows
    assert engine_order(rows, 2) != first


def test_importing_the_package_loads_only_the_standard_library() -> None:
    code = (
        "import json, sys; import _generated.testing as t; loaded = sorted(sys.modules); "
        "t.FakeUsageEngine(); print(json.dumps(loaded))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert result.returncode == 0, result.stderr
    loaded = set(json.loads(result.stdout))
    heavy = ("pydantic", "pydantic_core", "typing_extensions", "urllib3", "dateutil")
    assert not [name for name in loaded if name.split(".")[0] in heavy]
    assert "_generated.api_client" not in loaded and "_generated.models" not in loaded


@pytest.mark.parametrize(
    "now",
    [
        datetime(2031, 3, 30, 1, 30, tzinfo=UTC),
        datetime(2026, 12, 1, 0, 0, 0, 1, tzinfo=UTC),
        datetime(2026, 12, 1, 0, 0, 0, 500_000, tzinfo=UTC),
        datetime(2027, 1, 1, 23, 59, 59, tzinfo=UTC),
    ],
)
def test_demo_records_cover_sixty_days_up_to_now_whatever_the_date(now: datetime) -> None:
    records = demo_records(now)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    assert records == demo_records(now)  # deterministic
    assert all(midnight - timedelta(days=60) <= r.timestamp < now for r in records)
    days = {r.timestamp.date() for r in records}
    assert len(days) >= 58  # weekends are quieter but the data has hardly a gap
    assert aggregate(records, midnight, midnight + timedelta(days=1))  # today is never empty
    # Same day, later: the same past; another day: other numbers.
    later = demo_records(midnight + timedelta(hours=23))
    assert [r for r in later if r.timestamp < midnight] == [
        r for r in records if r.timestamp < midnight
    ]
    assert demo_records(now + timedelta(days=1))[:20] != records[:20]
