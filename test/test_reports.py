"""Tests of ``_generated.reports``: windows, aggregation, exports, concurrency, partial failure.

Window arithmetic is checked in UTC on purpose: two datetimes sharing a ZoneInfo compare and
subtract by wall-clock time, which is exactly what goes wrong across a DST change.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import threading
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from dateutil.parser import isoparse
from hypothesis import given, settings
from hypothesis import strategies as st

from _generated import ApiClient, UsageApi
from _generated.exceptions import (
    ApiArgumentError,
    ApiException,
    ApiTypeError,
    ApiValueError,
    ServiceException,
    UnauthorizedException,
)
from _generated.reports import (
    COLUMNS,
    Counts,
    GroupKey,
    PartialReportError,
    UsageReport,
    UsageRow,
    Window,
    fetch_usage,
    split_windows,
)
from _generated.retry import RetryPolicy
from _generated.testing import FakeUsageEngine, Fault, aggregate

UTC = timezone.utc
BERLIN = ZoneInfo("Europe/Berlin")
DEPRECATED = ("user_input", "prompt", "completion")


def utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def hours(window: Window) -> float:
    return (utc(window.end) - utc(window.start)) / timedelta(hours=1)


def no_retries(engine: FakeUsageEngine, **kwargs: Any) -> ApiClient:
    """A client for ``engine`` that fails on the first error (fast fault tests)."""
    return engine.api_client(retries=0, **kwargs)


# -- windows -------------------------------------------------------------------------------


def test_days_across_a_month_end_start_at_local_midnight() -> None:
    windows = split_windows("2026-11-29", "2026-12-02", "day", "Europe/Berlin")
    assert [w.start.isoformat() for w in windows] == [
        "2026-11-29T00:00:00+01:00",
        "2026-11-30T00:00:00+01:00",
        "2026-12-01T00:00:00+01:00",
    ]
    assert windows[-1].end.isoformat() == "2026-12-02T00:00:00+01:00"
    assert all(w.start.tzinfo is BERLIN and w.end.tzinfo is BERLIN for w in windows)


def test_a_day_lasts_25_hours_when_dst_ends_and_23_when_it_starts() -> None:
    autumn = split_windows("2026-10-24", "2026-10-27", "day", "Europe/Berlin")
    assert [hours(w) for w in autumn] == [24, 25, 24]
    spring = split_windows("2026-03-28", "2026-03-31", "day", "Europe/Berlin")
    assert [hours(w) for w in spring] == [24, 23, 24]
    assert spring[1].end.isoformat() == "2026-03-30T00:00:00+02:00"


def test_hours_across_the_dst_fall_back_include_both_two_oclocks() -> None:
    windows = split_windows("2026-10-25T00:00", "2026-10-25T05:00", "hour", "Europe/Berlin")
    assert [hours(w) for w in windows] == [1.0] * 6
    assert [(w.start.strftime("%H:%M"), w.start.utcoffset()) for w in windows] == [
        ("00:00", timedelta(hours=2)),
        ("01:00", timedelta(hours=2)),
        ("02:00", timedelta(hours=2)),
        ("02:00", timedelta(hours=1)),
        ("03:00", timedelta(hours=1)),
        ("04:00", timedelta(hours=1)),
    ]


def test_hours_across_the_dst_spring_forward_skip_the_missing_hour() -> None:
    windows = split_windows("2026-03-29T00:00", "2026-03-29T05:00", "hour", "Europe/Berlin")
    assert [w.start.strftime("%H") for w in windows] == ["00", "01", "03", "04"]
    assert [hours(w) for w in windows] == [1.0] * 4


def test_months_across_a_year_end_and_dst() -> None:
    windows = split_windows("2026-11-15", "2027-03-20T12:00", "month", "America/New_York")
    assert [w.start.isoformat() for w in windows] == [
        "2026-11-15T00:00:00-05:00",
        "2026-12-01T00:00:00-05:00",
        "2027-01-01T00:00:00-05:00",
        "2027-02-01T00:00:00-05:00",
        "2027-03-01T00:00:00-05:00",
    ]
    assert windows[3].end.isoformat() == "2027-03-01T00:00:00-05:00"
    assert windows[-1].end.isoformat() == "2027-03-20T12:00:00-04:00"


def test_weeks_start_on_monday_and_the_first_window_is_clipped() -> None:
    windows = split_windows("2026-11-04T10:30", "2026-11-20", "week", "UTC")
    assert windows[0] == Window(
        datetime(2026, 11, 4, 10, 30, tzinfo=UTC), datetime(2026, 11, 9, tzinfo=UTC)
    )
    assert all(w.start.weekday() == 0 for w in windows[1:])
    assert windows[-1].end == datetime(2026, 11, 20, tzinfo=UTC)


def test_a_day_starts_at_the_first_instant_when_midnight_does_not_exist() -> None:
    # Chile springs forward at 00:00: 2026-09-06 begins at 01:00 local time.
    windows = split_windows("2026-09-05", "2026-09-07", "day", "America/Santiago")
    assert windows[1].start.isoformat() == "2026-09-06T01:00:00-03:00"
    assert [hours(w) for w in windows] == [24, 23]


def test_no_interval_is_one_window_for_the_whole_range() -> None:
    assert split_windows("2026-11-01", "2026-11-03T06:00") == [
        Window(datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 3, 6, tzinfo=UTC))
    ]


def test_start_and_end_accept_naive_aware_dates_and_strings() -> None:
    naive = split_windows(datetime(2026, 11, 1), date(2026, 11, 2), None, "Europe/Berlin")[0]
    assert naive.start.isoformat() == "2026-11-01T00:00:00+01:00"
    assert naive.end.isoformat() == "2026-11-02T00:00:00+01:00"
    aware = split_windows(
        datetime(2026, 11, 1, tzinfo=UTC), "2026-11-01T12:00:00Z", None, "Europe/Berlin"
    )[0]
    assert aware.start.isoformat() == "2026-11-01T01:00:00+01:00"
    assert aware.end.isoformat() == "2026-11-01T13:00:00+01:00"


ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe"]
NOMINAL_HOURS = {"hour": 1.5, "day": 25, "week": 7 * 24 + 1, "month": 31 * 24 + 1}


@settings(max_examples=150, deadline=None)
@given(
    start=st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31)),
    span=st.timedeltas(min_value=timedelta(minutes=1), max_value=timedelta(days=120)),
    interval=st.sampled_from(["hour", "day", "week", "month"]),
    zone=st.sampled_from(ZONES),
)
def test_windows_tile_the_range_and_align_in_the_zone(
    start: datetime, span: timedelta, interval: str, zone: str
) -> None:
    begin = start.replace(tzinfo=UTC)
    if interval == "hour":
        span = min(span, timedelta(days=4))
    windows = split_windows(begin, begin + span, interval, zone)
    assert utc(windows[0].start) == begin
    assert utc(windows[-1].end) == begin + span
    for before, after in itertools.pairwise(windows):
        assert utc(before.end) == utc(after.start)
    for window in windows:
        assert utc(window.start) < utc(window.end)
        assert hours(window) <= NOMINAL_HOURS[interval]
        assert window.start.tzinfo == ZoneInfo(zone)
    for window in windows[1:]:
        local = window.start
        assert (local.minute, local.second, local.microsecond) == (0, 0, 0) or zone.endswith(
            "Lord_Howe"
        )
        if interval != "hour":
            assert local.hour == 0 or local.hour == 1  # 01:00 only where 00:00 is skipped
        if interval == "week":
            assert local.weekday() == 0
        if interval == "month":
            assert local.day == 1


# -- argument validation -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({"interval": "fortnight"}, "interval"),
        ({"workers": 0}, "workers"),
        ({"workers": 2.5}, "workers"),
        ({"tz": "Mars/Olympus_Mons"}, "tz"),
        ({"group_by": ["user"]}, "group_by"),
        ({"group_by": []}, "group_by"),
        ({"end": "2026-10-31"}, "end"),
        ({"end": "2026-11-01"}, "end"),
        ({"start": "first of november"}, "start"),
        ({"start": 20261101}, "start"),
    ],
)
def test_bad_arguments_fail_before_any_request_naming_the_argument(
    fake_engine: FakeUsageEngine, kwargs: dict[str, Any], argument: str
) -> None:
    call: dict[str, Any] = {"start": "2026-11-01", "end": "2026-11-03", "interval": "day"}
    call.update(kwargs)
    with fake_engine.api_client() as client, pytest.raises(ApiValueError) as caught:
        fetch_usage(client, **call)
    assert isinstance(caught.value, ApiArgumentError)
    assert caught.value.argument == argument
    assert argument in str(caught.value)
    assert fake_engine.attempts == 0


def test_too_many_windows_are_refused(fake_engine: FakeUsageEngine) -> None:
    with fake_engine.api_client() as client, pytest.raises(ApiValueError, match="interval"):
        fetch_usage(client, "2020-01-01", "2026-01-01", interval="hour")
    assert fake_engine.attempts == 0


def test_client_or_api_must_be_a_client_or_an_api() -> None:
    with pytest.raises(ApiTypeError, match="client_or_api"):
        fetch_usage("http://127.0.0.1:1", "2026-11-01", "2026-11-02")  # type: ignore[arg-type]


# -- fetching ------------------------------------------------------------------------------


def test_rows_carry_windows_groups_and_current_counts(fake_engine: FakeUsageEngine) -> None:
    with fake_engine.api_client() as client:
        report = fetch_usage(
            client,
            "2026-11-01",
            "2026-11-04",
            group_by=["rule_type", "task"],
            interval="day",
            tz="Europe/Berlin",
        )
    assert report.host == fake_engine.host
    assert report.group_by == ("rule_type", "task")
    assert report.complete and not report.missing
    assert len(report.windows) == 3
    expected = []
    for window in report.windows:
        for item in aggregate(fake_engine.records, window.start, window.end, ["rule_type", "task"]):
            count = item["count"]
            expected.append(
                UsageRow(
                    window.start,
                    window.end,
                    item["rule_type"],
                    item["task_id"],
                    count["inference"],
                    count["eval_prompt"],
                    count["eval_completion"],
                )
            )
    assert sorted(report.rows, key=repr) == sorted(expected, key=repr)
    assert [r.window_start for r in report] == sorted(
        (r.window_start for r in report.rows), key=utc
    )
    assert all(r.total == r.inference + r.eval_prompt + r.eval_completion for r in report)
    assert len(report) == len(report.rows) > 0


def test_a_usage_api_and_an_api_client_give_the_same_report(
    fake_engine: FakeUsageEngine,
) -> None:
    with fake_engine.api_client() as client:
        by_client = fetch_usage(client, "2026-11-01", "2026-11-05", interval="day")
        by_api = fetch_usage(UsageApi(client), "2026-11-01", "2026-11-05", interval="day")
    assert by_client.rows == by_api.rows


def test_concurrent_fetch_equals_sequential_fetch_in_window_order(
    fake_engine: FakeUsageEngine,
) -> None:
    fake_engine.latency = 0.01  # lets requests overlap and finish out of order
    with fake_engine.api_client(connection_pool_maxsize=8) as client:
        sequential = fetch_usage(
            client, "2026-11-01", "2026-11-15", ["task"], "day", "Europe/Berlin", workers=1
        )
        concurrent = fetch_usage(
            client, "2026-11-01", "2026-11-15", ["task"], "day", "Europe/Berlin", workers=8
        )
    assert concurrent.rows == sequential.rows
    assert concurrent.windows == sequential.windows
    assert len(fake_engine.requests) == 2 * len(sequential.windows)


def test_workers_bound_the_requests_in_flight(fake_engine: FakeUsageEngine) -> None:
    in_flight = 0
    peak = 0
    lock = threading.Lock()

    original = UsageApi.get_token_usage_api_v2_usage_tokens_get

    class CountingApi(UsageApi):
        def get_token_usage_api_v2_usage_tokens_get(self, *args: Any, **kwargs: Any) -> Any:
            nonlocal in_flight, peak
            with lock:
                in_flight += 1
                peak = max(peak, in_flight)
            try:
                return original(self, *args, **kwargs)
            finally:
                with lock:
                    in_flight -= 1

    fake_engine.latency = 0.05
    with fake_engine.api_client(connection_pool_maxsize=8) as client:
        fetch_usage(CountingApi(client), "2026-11-01", "2026-11-11", interval="day", workers=3)
    assert peak == 3


def test_progress_reports_each_window(fake_engine: FakeUsageEngine) -> None:
    calls: list[tuple[int, int]] = []
    with fake_engine.api_client() as client:
        fetch_usage(
            client,
            "2026-11-01",
            "2026-11-06",
            interval="day",
            progress=lambda d, t: calls.append((d, t)),
        )
    assert calls == [(i, 5) for i in range(1, 6)]


def test_report_totals_equal_the_servers_own_aggregation(api: UsageApi) -> None:
    """Daily windows in Berlin time sum to what the reference server says for the whole range."""
    start = datetime(2026, 11, 3, 6, 30, tzinfo=BERLIN)
    end = datetime(2026, 11, 19, 18, 0, tzinfo=BERLIN)
    report = fetch_usage(api, start, end, ["rule_type", "task"], "day", "Europe/Berlin")
    whole = api.get_token_usage_api_v2_usage_tokens_get(
        start_time=start, end_time=end, group_by=["rule_type", "task"]
    )
    totals = report.totals()
    assert {
        GroupKey(r.rule_type, r.task_id): Counts(
            r.count.inference, r.count.eval_prompt, r.count.eval_completion
        )
        for r in whole
    } == totals.by_group
    assert totals.overall == sum(totals.by_group.values(), Counts())
    assert sum(totals.by_window.values(), Counts()) == totals.overall
    assert list(totals.by_window) == report.windows
    # Per rule type, the same numbers as a server aggregation grouped by rule type only.
    by_rule = api.get_token_usage_api_v2_usage_tokens_get(start_time=start, end_time=end)
    rule_totals: dict[str | None, int] = {}
    for key, counts in totals.by_group.items():
        rule_totals[key.rule_type] = rule_totals.get(key.rule_type, 0) + counts.total
    assert rule_totals == {
        r.rule_type: r.count.inference + r.count.eval_prompt + r.count.eval_completion
        for r in by_rule
    }


# -- partial failure and resume ------------------------------------------------------------


def test_a_window_failing_after_retries_raises_with_the_partial_report(
    fake_engine: FakeUsageEngine,
) -> None:
    fast = RetryPolicy(max_retries=1, backoff_initial=0.0, jitter=0.0)
    with fake_engine.api_client() as client:
        full = fetch_usage(client, "2026-11-01", "2026-11-08", interval="day", workers=1)
        fake_engine.clear()
        fake_engine.inject(Fault.status(503), times=2)  # the first window, and its retry
        with (
            fake_engine.api_client(retries=fast) as flaky,
            pytest.raises(PartialReportError) as caught,
        ):
            fetch_usage(flaky, "2026-11-01", "2026-11-08", interval="day", workers=1)
    error = caught.value
    assert isinstance(error, ApiException) and error.status == 503
    assert error.failed == full.windows[:1]
    assert error.completed == full.windows[1:]
    assert list(error.errors) == full.windows[:1]
    assert isinstance(error.errors[full.windows[0]], ServiceException)
    assert error.partial.missing == full.windows[:1]
    assert not error.partial.complete
    assert error.partial.rows == [r for r in full.rows if r.window_start != full.windows[0].start]
    assert "1 of 7 report windows failed" in str(error) and "resume()" in str(error)
    assert isinstance(error.__cause__, ServiceException)
    assert fake_engine.attempts == 8  # 2 for the failed window, 1 for each other

    fake_engine.clear()
    resumed = error.resume()
    assert resumed.complete
    assert resumed.rows == full.rows
    assert fake_engine.attempts == 1  # only the missing window
    (request,) = fake_engine.requests
    assert isoparse(request.query["start_time"][0]) == utc(full.windows[0].start)
    assert isoparse(request.query["end_time"][0]) == utc(full.windows[0].end)


def test_concurrent_partial_failure_loses_nothing_and_resume_completes(
    fake_engine: FakeUsageEngine,
) -> None:
    with no_retries(fake_engine) as client:
        full = fetch_usage(client, "2026-11-01", "2026-11-21", ["task"], "day", workers=1)
        fake_engine.inject(Fault.status(500), times=3)
        with pytest.raises(PartialReportError) as caught:
            fetch_usage(client, "2026-11-01", "2026-11-21", ["task"], "day", workers=4)
        error = caught.value
        assert len(error.failed) == 3 and len(error.completed) == 17
        assert sorted([*error.failed, *error.completed], key=lambda w: utc(w.start)) == full.windows
        kept = {utc(w.start) for w in error.completed}
        assert error.partial.rows == [r for r in full.rows if utc(r.window_start) in kept]

        # A resume that fails again keeps what the first attempt and the resume fetched.
        fake_engine.clear()
        fake_engine.inject(Fault.status(502), times=1)
        with pytest.raises(PartialReportError) as again:
            error.partial.resume(workers=1)
        assert len(again.value.failed) == 1 and len(again.value.completed) == 19
        assert fake_engine.attempts == 3
        final = again.value.resume()
    assert final.complete and final.rows == full.rows
    assert error.partial.missing == error.failed  # the first partial report is unchanged


def test_when_no_window_is_fetched_the_error_is_raised_as_is(
    fake_engine: FakeUsageEngine,
) -> None:
    fake_engine.inject(Fault.status(503), times=3)
    with no_retries(fake_engine) as client, pytest.raises(ServiceException):
        fetch_usage(client, "2026-11-01", "2026-11-04", interval="day", workers=2)


def test_an_authentication_failure_stops_the_remaining_windows(
    fake_engine: FakeUsageEngine,
) -> None:
    with (
        no_retries(fake_engine, access_token="wrong-token") as client,
        pytest.raises(UnauthorizedException) as caught,
    ):
        fetch_usage(client, "2026-11-01", "2026-12-01", interval="day", workers=1)
    assert fake_engine.attempts == 1
    assert "wrong-token" not in str(caught.value) + repr(caught.value)


def test_resume_of_a_complete_report_is_itself_and_a_handmade_one_needs_a_client() -> None:
    report = make_report([])
    assert report.resume() is report
    partial = make_report([], missing=report.windows[:1])
    with pytest.raises(ApiValueError, match="client_or_api"):
        partial.resume()


def test_resume_with_another_client(fake_engine: FakeUsageEngine) -> None:
    with fake_engine.api_client() as client:
        full = fetch_usage(client, "2026-11-01", "2026-11-04", interval="day", workers=1)
    first = full.windows[0]
    partial = UsageReport(
        [r for r in full.rows if r.window_start != first.start],
        start=full.start,
        end=full.end,
        interval=full.interval,
        tz=full.tz,
        group_by=full.group_by,
        host=full.host,
        generated_at=full.generated_at,
        windows=full.windows,
        missing=[first],
    )
    fake_engine.clear()
    with fake_engine.api_client() as other:
        resumed = partial.resume(other)
    assert resumed.complete
    assert resumed.rows == full.rows
    assert fake_engine.attempts == 1
    assert partial.missing == [first]


# -- aggregation and exports (no server) ----------------------------------------------------

WINDOWS = [
    Window(datetime(2026, 10, 25, tzinfo=BERLIN), datetime(2026, 10, 26, tzinfo=BERLIN)),
    Window(datetime(2026, 10, 26, tzinfo=BERLIN), datetime(2026, 10, 27, tzinfo=BERLIN)),
]


def row(window: int, rule: str | None, task: str | None, *counts: int) -> UsageRow:
    return UsageRow(WINDOWS[window].start, WINDOWS[window].end, rule, task, *counts)


ROWS = [
    row(0, "RegexRule", "task-a", 1_200, 0, 0),
    row(0, "ToxicityRule", "task-a", 100, 2_500_000, 30),
    row(1, "RegexRule", "task-a", 7, 0, 0),
    row(1, "RegexRule", "task-b", 1, 2, 3),
]


def make_report(
    rows: list[UsageRow],
    *,
    missing: list[Window] | None = None,
    group_by: tuple[str, ...] = ("rule_type", "task"),
) -> UsageReport:
    return UsageReport(
        rows,
        start=WINDOWS[0].start,
        end=WINDOWS[-1].end,
        interval="day",
        tz="Europe/Berlin",
        group_by=group_by,
        host="http://127.0.0.1:9",
        generated_at=datetime(2026, 11, 29, 12, tzinfo=BERLIN),
        windows=WINDOWS,
        missing=missing or [],
    )


def test_totals_overall_per_group_and_per_window() -> None:
    totals = make_report(ROWS).totals()
    assert totals.overall == Counts(1_308, 2_500_002, 33)
    assert totals.overall.total == 2_501_343
    assert list(totals.by_group) == [
        GroupKey("ToxicityRule", "task-a"),
        GroupKey("RegexRule", "task-a"),
        GroupKey("RegexRule", "task-b"),
    ]
    assert totals.by_group[GroupKey("RegexRule", "task-a")] == Counts(1_207, 0, 0)
    assert totals.by_window == {
        WINDOWS[0]: Counts(1_300, 2_500_000, 30),
        WINDOWS[1]: Counts(8, 2, 3),
    }
    as_dict = totals.to_dict()
    assert as_dict["overall"] == {
        "inference": 1_308,
        "eval_prompt": 2_500_002,
        "eval_completion": 33,
        "total": 2_501_343,
    }
    assert as_dict["by_window"][1]["window_start"] == "2026-10-26T00:00:00+01:00"


def test_pivot_is_groups_by_windows_with_zeros() -> None:
    pivot = make_report(ROWS).pivot()
    assert pivot.windows == WINDOWS
    assert pivot.groups[0] == GroupKey("ToxicityRule", "task-a")
    assert pivot.row(GroupKey("ToxicityRule", "task-a")) == [2_500_130, 0]
    assert pivot.row(GroupKey("RegexRule", "task-a")) == [1_200, 7]
    assert pivot.row(GroupKey("RegexRule", "task-b")) == [0, 6]
    assert make_report(ROWS).pivot("inference").row(GroupKey("RegexRule", "task-b")) == [0, 1]
    assert pivot.to_records()[2] == {
        "rule_type": "RegexRule",
        "task_id": "task-b",
        "2026-10-25T00:00:00+02:00": 0,
        "2026-10-26T00:00:00+01:00": 6,
    }
    with pytest.raises(ApiValueError, match="measure"):
        make_report(ROWS).pivot("user_input")


def test_csv_parses_back_to_the_rows() -> None:
    text = make_report(ROWS).to_csv()
    parsed = list(csv.DictReader(io.StringIO(text)))
    assert tuple(parsed[0]) == COLUMNS
    assert [
        UsageRow(
            datetime.fromisoformat(p["window_start"]).astimezone(BERLIN),
            datetime.fromisoformat(p["window_end"]).astimezone(BERLIN),
            p["rule_type"] or None,
            p["task_id"] or None,
            int(p["inference"]),
            int(p["eval_prompt"]),
            int(p["eval_completion"]),
        )
        for p in parsed
    ] == ROWS
    assert [int(p["total"]) for p in parsed] == [r.total for r in ROWS]
    assert parsed[0]["window_start"] == "2026-10-25T00:00:00+02:00"


def test_a_missing_group_is_an_empty_csv_field_and_null_in_json() -> None:
    rows = [row(0, "RegexRule", None, 1, 2, 3)]
    report = make_report(rows, group_by=("rule_type",))
    assert report.to_csv().splitlines()[1].split(",")[2:4] == ["RegexRule", ""]
    assert json.loads(report.to_ndjson())["task_id"] is None


def test_json_holds_metadata_rows_and_totals_without_deprecated_fields() -> None:
    report = make_report(ROWS)
    document = json.loads(report.to_json())
    assert {k: document[k] for k in ("start", "end", "interval", "tz", "group_by", "host")} == {
        "start": "2026-10-25T00:00:00+02:00",
        "end": "2026-10-27T00:00:00+01:00",
        "interval": "day",
        "tz": "Europe/Berlin",
        "group_by": ["rule_type", "task"],
        "host": "http://127.0.0.1:9",
    }
    assert document["generated_at"] == "2026-11-29T12:00:00+01:00"
    assert [tuple(r) for r in document["rows"]] == [COLUMNS] * len(ROWS)
    assert document["rows"] == [r.to_dict() for r in ROWS]
    assert document["totals"] == report.totals().to_dict()
    for name in DEPRECATED:
        assert f'"{name}"' not in report.to_json() + report.to_ndjson()
        assert name not in report.to_csv().splitlines()[0].split(",")


def test_ndjson_is_one_row_object_per_line() -> None:
    lines = make_report(ROWS).to_ndjson().splitlines()
    assert [json.loads(line) for line in lines] == [r.to_dict() for r in ROWS]


def test_records_keep_datetimes_and_iteration_gives_rows() -> None:
    report = make_report(ROWS)
    assert report.to_records()[1]["window_start"] == WINDOWS[0].start
    assert report.to_records()[1]["total"] == 2_500_130
    assert list(report) == ROWS and len(report) == 4


def test_exports_write_to_paths_text_files_and_binary_files(tmp_path: Path) -> None:
    report = make_report(ROWS)
    text = report.to_csv(tmp_path / "r.csv")
    assert (tmp_path / "r.csv").read_text(encoding="utf-8") == text
    assert report.to_json(str(tmp_path / "r.json")) == (tmp_path / "r.json").read_text()
    buffer = io.StringIO()
    assert report.to_ndjson(buffer) == buffer.getvalue()
    raw = io.BytesIO()
    report.to_csv(raw)
    assert raw.getvalue().decode("utf-8") == text
    with pytest.raises(ApiTypeError, match="path_or_file"):
        report.to_csv(42)  # type: ignore[arg-type]


def test_table_fits_80_columns_sorted_by_total_with_a_totals_row() -> None:
    long_rows = [
        row(
            0,
            "ModelHallucinationRuleV2",
            "eb1167b3-67a9-4378-bc65-c1e582e2e662",
            9_999_999,
            8_888_888,
            77_777,
        ),
        *ROWS,
    ]
    table = make_report(long_rows).to_table()
    lines = table.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert lines[-1].split()[0] == "TOTAL"
    assert lines[-1].split()[-1] == f"{sum(r.total for r in long_rows):,}"
    body = [line for line in lines if line.startswith("2026-10-25")]
    assert [line.split()[-1] for line in body] == ["18,966,664", "2,500,130", "1,200"]
    assert body[0].split()[1:3] == ["ModelHall...", "eb1..."]
    assert "2,500,000" in table
    assert lines.index(next(line for line in lines if line.startswith("2026-10-26"))) > lines.index(
        body[-1]
    )


def test_table_of_an_empty_report_says_so() -> None:
    table = make_report([]).to_table()
    assert "(no token usage in this range)" in table
    assert table.splitlines()[-1].split() == ["TOTAL", "0", "0", "0", "0"]


def test_hourly_table_tells_the_two_dst_two_oclocks_apart() -> None:
    windows = split_windows(
        "2026-10-25T02:00+02:00", "2026-10-25T03:00+01:00", "hour", "Europe/Berlin"
    )
    rows = [UsageRow(w.start, w.end, "RegexRule", None, 1, 0, 0) for w in windows]
    report = UsageReport(
        rows,
        start=windows[0].start,
        end=windows[-1].end,
        interval="hour",
        tz="Europe/Berlin",
        group_by=("rule_type",),
        host="",
        generated_at=windows[0].start,
        windows=windows,
    )
    labels = [line[:20] for line in report.to_table().splitlines() if line.startswith("2026")]
    assert labels == ["2026-10-25 02:00 CES", "2026-10-25 02:00 CET"]


def test_repr_and_exports_never_hold_the_token(fake_engine: FakeUsageEngine) -> None:
    with fake_engine.api_client() as client:
        report = fetch_usage(client, "2026-11-01", "2026-11-03", interval="day")
    for text in (repr(report), report.to_json(), report.to_csv(), report.to_table()):
        assert fake_engine.token not in text


def test_to_pandas_needs_the_optional_extra() -> None:
    report = make_report(ROWS)
    try:
        import pandas  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match=r"genai-engine-usage-client\[pandas\]"):
            report.to_pandas()
        return
    frame = report.to_pandas()
    assert list(frame.columns) == list(COLUMNS)
    assert frame["total"].sum() == 2_501_343


def test_to_html_writes_what_it_returns(tmp_path: Path) -> None:
    pytest.importorskip("_generated.html_report")
    report = make_report(ROWS)
    text = report.to_html(tmp_path / "r.html")
    assert text == (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "html" in text.lower()
