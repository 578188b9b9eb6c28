"""``stream_usage``: the same rows as ``fetch_usage``, window by window in window order,
holding a bounded number of windows; exports written atomically."""

from __future__ import annotations

import io
import itertools
import sqlite3
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from _generated.exceptions import ServiceException
from _generated.reports import UsageCache, UsageCacheWarning, fetch_usage, stream_usage
from _generated.testing import FakeUsageEngine, Fault

UTC = timezone.utc
ARGS = ("2026-11-01", "2026-11-21", ["rule_type", "task"], "day", "Europe/Berlin")


def test_a_stream_writes_what_the_whole_report_writes(
    fake_engine: FakeUsageEngine, tmp_path: Path
) -> None:
    fake_engine.latency = 0.005  # windows finish out of order
    with fake_engine.api_client(connection_pool_maxsize=8) as client:
        report = fetch_usage(client, *ARGS, workers=8)
        stream_usage(client, *ARGS, workers=8).to_csv(tmp_path / "s.csv")
        buffer = io.StringIO()
        stream_usage(client, *ARGS, workers=8).to_ndjson(buffer)
        stream = stream_usage(client, *ARGS, workers=8)
        rows = list(stream)
    assert (tmp_path / "s.csv").read_text() == report.to_csv()
    assert buffer.getvalue() == report.to_ndjson()
    assert rows == report.rows
    assert stream.totals() == report.totals()
    meta = stream.metadata()
    assert meta["windows_from_server"] == len(report.windows) == 20
    assert meta["windows"] == report.metadata()["windows"]


def test_a_stream_requests_only_a_few_windows_ahead_of_its_reader(
    fake_engine: FakeUsageEngine,
) -> None:
    with fake_engine.api_client() as client:
        stream = stream_usage(client, *ARGS, workers=2)
        segments = stream.segments()
        seen = []
        for _segment in segments:
            seen.append(len(fake_engine.requests))
            if len(seen) == 5:
                break
        segments.close()
    # While the reader is at window k, at most 2 * workers windows beyond it were asked for.
    assert all(requested <= k + 1 + 4 for k, requested in enumerate(seen))
    assert len(fake_engine.requests) < 20


def test_a_stream_closed_early_leaves_no_report_thread_behind(
    fake_engine: FakeUsageEngine,
) -> None:
    def report_threads() -> set[threading.Thread]:
        return {t for t in threading.enumerate() if t.name.startswith("usage-report-")}

    fake_engine.latency = 0.05  # requests are in flight when the reader stops
    before = report_threads()
    with fake_engine.api_client(connection_pool_maxsize=4) as client:
        segments = stream_usage(client, *ARGS, workers=4).segments()
        next(segments)
        started = {t.name for t in report_threads() - before}
        segments.close()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and report_threads() - before:
            time.sleep(0.01)
    assert {"usage-report-0", "usage-report-parse"} <= started
    assert report_threads() - before == set()


def test_a_failing_window_raises_and_leaves_the_old_file(
    fake_engine: FakeUsageEngine, tmp_path: Path
) -> None:
    target = tmp_path / "report.csv"
    target.write_text("old,content\n")
    target.chmod(0o640)
    fake_engine.inject(Fault.status(503), times=20)
    with fake_engine.api_client(retries=0) as client, pytest.raises(ServiceException):
        stream_usage(client, *ARGS, workers=1).to_csv(target)
    assert target.read_text() == "old,content\n"
    assert [p.name for p in tmp_path.iterdir()] == ["report.csv"]
    with fake_engine.api_client() as client:
        fake_engine.clear()
        stream_usage(client, *ARGS).to_csv(target)
    assert target.read_text().startswith("window_start,")
    assert target.stat().st_mode & 0o777 == 0o640


def test_a_stream_uses_the_cache(fake_engine: FakeUsageEngine, tmp_path: Path) -> None:
    cache = UsageCache(tmp_path)
    after = datetime(2026, 12, 1, tzinfo=UTC)
    with fake_engine.api_client() as client:
        first = fetch_usage(client, *ARGS, cache=cache, now=after)
        fake_engine.clear()
        stream = stream_usage(client, *ARGS, cache=cache, now=after)
        rows = list(stream)
    assert rows == first.rows and fake_engine.attempts == 0
    assert stream.metadata()["windows_from_cache"] == 20


def test_a_stream_reads_each_stored_window_only_when_its_reader_gets_there(
    fake_engine: FakeUsageEngine, tmp_path: Path
) -> None:
    after = datetime(2026, 12, 1, tzinfo=UTC)
    with fake_engine.api_client() as client:
        first = fetch_usage(client, *ARGS, cache=UsageCache(tmp_path), now=after)
        fake_engine.clear()
        stream = stream_usage(client, *ARGS, cache=UsageCache(tmp_path), now=after)
        reader = iter(stream)
        five = sum(row.window_start < first.windows[5].start for row in first.rows)
        rows = list(itertools.islice(reader, five))
        # The windows after the reader are not held: entries spoilt now are noticed.
        with sqlite3.connect(tmp_path / "windows-v1.sqlite3") as db:
            db.execute("UPDATE windows SET payload = X'00' WHERE start >= '2026-11-10'")
        with pytest.warns(UsageCacheWarning, match="corrupt"):
            rows += list(reader)
    assert rows == first.rows
    assert fake_engine.attempts == 10  # windows from 2026-11-10T23:00Z: Berlin's 11th to 20th
    meta = stream.metadata()
    assert (meta["windows_from_cache"], meta["windows_from_server"]) == (10, 10)


def test_a_stream_is_consumed_once(fake_engine: FakeUsageEngine) -> None:
    with fake_engine.api_client() as client:
        stream = stream_usage(client, "2026-11-01", "2026-11-03", interval="day")
        list(stream)
        with pytest.raises(RuntimeError, match="once"):
            list(stream)
