"""What the report API sends and how it reads its arguments: both bounds on every request,
a deterministic row order whatever order the engine answers in, any tzinfo, naive times in
``tz``, and ``Literal`` hints that match the values accepted at run time."""

from __future__ import annotations

import json
import typing
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from dateutil.parser import isoparse

from _generated.exceptions import ApiArgumentError
from _generated.reports import (
    GROUPS,
    INTERVALS,
    MEASURES,
    UsageReport,
    fetch_usage,
    parse_when,
    split_windows,
    stream_usage,
)
from _generated.testing import FakeUsageEngine, Fault

UTC = timezone.utc
BERLIN = ZoneInfo("Europe/Berlin")


@pytest.mark.parametrize("interval", [None, "day", "week"])
def test_every_request_sends_both_bounds_in_utc(
    fake_engine: FakeUsageEngine, interval: str | None
) -> None:
    with fake_engine.api_client() as client:
        report = fetch_usage(client, "2026-11-02", "2026-11-20", ["task"], interval, BERLIN)
        list(stream_usage(client, "2026-11-02", "2026-11-20", ["task"], interval, BERLIN))
    assert len(fake_engine.requests) == 2 * len(report.windows)
    sent = sorted(
        (isoparse(r.query["start_time"][0]), isoparse(r.query["end_time"][0]))
        for r in fake_engine.requests
    )
    expected = sorted(
        2 * [(w.start.astimezone(UTC), w.end.astimezone(UTC)) for w in report.windows]
    )
    assert sent == expected
    for request in fake_engine.requests:
        assert len(request.query["start_time"]) == len(request.query["end_time"]) == 1
        assert isoparse(request.query["start_time"][0]).utcoffset() == timedelta(0)


def body(rows: list[tuple[str | None, str | None, int]]) -> str:
    return json.dumps(
        [
            {
                "rule_type": rule,
                "task_id": task,
                "count": {"inference": n, "eval_prompt": 0, "eval_completion": 0},
            }
            for rule, task, n in rows
        ]
    )


def test_rows_come_out_in_one_order_whatever_order_the_engine_answers_in(
    fake_engine: FakeUsageEngine,
) -> None:
    rows = [("B", "t2", 1), (None, "t1", 2), ("A", None, 3), ("A", "t9", 4), ("B", "t1", 5)]
    outputs = []
    with fake_engine.api_client() as client:
        for order in (rows, rows[::-1], rows[2:] + rows[:2]):
            fake_engine.inject(Fault.body(body(order)))
            report = fetch_usage(client, "2026-11-01", "2026-11-02", ["rule_type", "task"])
            outputs.append((report.to_csv(), report.to_ndjson(), report.to_table(), report.rows))
    assert outputs[0] == outputs[1] == outputs[2]
    assert [(r.rule_type, r.task_id) for r in outputs[0][3]] == [
        ("A", "t9"),
        ("A", None),
        ("B", "t1"),
        ("B", "t2"),
        (None, "t1"),
    ]


@pytest.mark.parametrize(
    ("tz", "name", "offset"),
    [
        (timezone.utc, "UTC", timedelta(0)),
        (timezone(timedelta(hours=5, minutes=30)), "UTC+05:30", timedelta(hours=5, minutes=30)),
        (BERLIN, "Europe/Berlin", timedelta(hours=1)),
        ("Asia/Kolkata", "Asia/Kolkata", timedelta(hours=5, minutes=30)),
    ],
)
def test_any_tzinfo_is_a_zone(
    fake_engine: FakeUsageEngine, tz: typing.Any, name: str, offset: timedelta
) -> None:
    with fake_engine.api_client() as client:
        report = fetch_usage(client, "2026-11-02", "2026-11-04", interval="day", tz=tz)
    assert report.tz == name
    assert [w.start.utcoffset() for w in report.windows] == [offset, offset]
    assert [w.start.hour for w in report.windows] == [0, 0]
    first = min(isoparse(r.query["start_time"][0]) for r in fake_engine.requests)
    assert first == datetime(2026, 11, 2).replace(tzinfo=UTC) - offset


def test_a_naive_datetime_is_read_in_tz_not_as_utc(fake_engine: FakeUsageEngine) -> None:
    with fake_engine.api_client() as client:
        fetch_usage(client, datetime(2026, 11, 1, 6), datetime(2026, 11, 1, 9), tz=BERLIN)
    (request,) = fake_engine.requests
    assert isoparse(request.query["start_time"][0]) == datetime(2026, 11, 1, 5, tzinfo=UTC)
    assert isoparse(request.query["end_time"][0]) == datetime(2026, 11, 1, 8, tzinfo=UTC)


def test_the_literal_hints_list_exactly_the_accepted_values() -> None:
    from _generated.reports import GroupName, Interval, Measure

    assert typing.get_args(Interval) == INTERVALS
    assert typing.get_args(GroupName) == GROUPS
    assert typing.get_args(Measure) == MEASURES
    hints = typing.get_type_hints(fetch_usage)
    assert Interval in typing.get_args(hints["interval"])
    assert typing.get_type_hints(UsageReport.pivot)["measure"] == Measure


NOW = datetime(2026, 11, 18, 15, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("today", datetime(2026, 11, 18, tzinfo=BERLIN)),
        ("yesterday", datetime(2026, 11, 17, tzinfo=BERLIN)),
        ("tomorrow", datetime(2026, 11, 19, tzinfo=BERLIN)),
        ("now", NOW),
        ("7d", NOW - timedelta(days=7)),
        ("24h", NOW - timedelta(hours=24)),
        ("2w", NOW - timedelta(weeks=2)),
        ("30m", NOW - timedelta(minutes=30)),
        ("2026-11-01", datetime(2026, 11, 1, tzinfo=BERLIN)),
        ("2026-11-01T08:00", datetime(2026, 11, 1, 8, tzinfo=BERLIN)),
        ("2026-11-01T08:00Z", datetime(2026, 11, 1, 8, tzinfo=UTC)),
    ],
)
def test_parse_when_reads_the_cli_forms(text: str, expected: datetime) -> None:
    parsed = parse_when(text, BERLIN, NOW, "--since")
    assert parsed == expected and parsed.tzinfo is BERLIN


def test_parse_when_names_the_argument_and_the_forms() -> None:
    with pytest.raises(ApiArgumentError) as caught:
        parse_when("last tuesday", BERLIN, NOW, "--until")
    assert caught.value.argument == "--until"
    assert "7d" in str(caught.value) and "today" in str(caught.value)


def test_today_is_the_local_day_of_the_injected_clock() -> None:
    late = datetime(2026, 11, 18, 23, 30, tzinfo=UTC)  # already the 19th in Berlin
    assert parse_when("today", BERLIN, late) == datetime(2026, 11, 19, tzinfo=BERLIN)
    assert (
        split_windows(
            parse_when("today", BERLIN, late),
            "tomorrow" and parse_when("tomorrow", BERLIN, late),
            "hour",
            BERLIN,
        )[0].start.hour
        == 0
    )
