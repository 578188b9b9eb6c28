"""Report exports to what is not a regular file, errors naming the caller's path, and windows
at the ends of the calendar: end to end against ``FakeUsageEngine``.

Every node written to is made in ``tmp_path`` (never the real /dev/null or /dev/stdout).
"""

from __future__ import annotations

import os
import stat
import threading
from datetime import datetime, timezone
from pathlib import Path

import pytest

from _generated.exceptions import ApiArgumentError
from _generated.reports import UsageReport, fetch_usage, split_windows, stream_usage
from _generated.testing import FakeUsageEngine

UTC = timezone.utc
#: Seconds a FIFO's reader waits for the writer before the test fails.
READER_TIMEOUT = 30


@pytest.fixture
def report(fake_engine: FakeUsageEngine) -> UsageReport:
    with fake_engine.api_client() as client:
        return fetch_usage(client, "2026-11-01", "2026-11-03", interval="day")


def _read_fifo(fifo: Path) -> tuple[threading.Thread, list[str]]:
    received: list[str] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_text()), daemon=True)
    reader.start()
    return reader, received


def test_to_csv_into_a_fifo_writes_its_reader_and_leaves_the_fifo(
    report: UsageReport, tmp_path: Path
) -> None:
    fifo = tmp_path / "myfifo"
    os.mkfifo(fifo)
    reader, received = _read_fifo(fifo)
    report.to_csv(fifo)
    reader.join(READER_TIMEOUT)
    assert received == [report.to_csv()]
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert [p.name for p in tmp_path.iterdir()] == ["myfifo"]


def test_a_stream_writes_into_a_fifo_too(fake_engine: FakeUsageEngine, tmp_path: Path) -> None:
    fifo = tmp_path / "myfifo"
    os.mkfifo(fifo)
    reader, received = _read_fifo(fifo)
    with fake_engine.api_client() as client:
        expected = fetch_usage(client, "2026-11-01", "2026-11-03", interval="day").to_ndjson()
        stream_usage(client, "2026-11-01", "2026-11-03", interval="day").to_ndjson(fifo)
    reader.join(READER_TIMEOUT)
    assert received == [expected]
    assert stat.S_ISFIFO(fifo.lstat().st_mode)


@pytest.mark.skipif(os.geteuid() != 0, reason="mknod of a character device needs root")
def test_to_csv_into_a_character_device_leaves_the_device(
    report: UsageReport, tmp_path: Path
) -> None:
    node = tmp_path / "mynull"
    os.mknod(node, 0o666 | stat.S_IFCHR, os.makedev(1, 3))  # a null device of our own
    report.to_csv(str(node))
    assert stat.S_ISCHR(node.lstat().st_mode)
    assert [p.name for p in tmp_path.iterdir()] == ["mynull"]


def test_to_csv_through_a_symlink_replaces_its_target_and_keeps_the_link(
    report: UsageReport, tmp_path: Path
) -> None:
    real = tmp_path / "real.csv"
    real.write_text("old\n")
    real.chmod(0o640)
    link = tmp_path / "link.csv"
    link.symlink_to("real.csv")
    report.to_csv(link)
    assert link.is_symlink() and os.readlink(link) == "real.csv"
    assert real.read_text() == report.to_csv()
    assert stat.S_IMODE(real.stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.csv", "real.csv"]


def test_to_csv_into_a_missing_directory_names_the_path_given(
    report: UsageReport, tmp_path: Path
) -> None:
    target = tmp_path / "missing" / "x.csv"
    with pytest.raises(FileNotFoundError) as caught:
        report.to_csv(str(target))
    assert caught.value.filename == str(target)
    assert str(target) in str(caught.value)
    assert ".tmp" not in str(caught.value)


def test_a_failed_replace_names_the_path_given(report: UsageReport, tmp_path: Path) -> None:
    target = tmp_path / "x.csv"
    target.mkdir()  # os.replace of a file over a directory fails
    with pytest.raises(OSError) as caught:
        report.to_csv(target)
    assert caught.value.filename == str(target)
    assert ".tmp" not in str(caught.value)
    assert [p.name for p in target.parent.iterdir()] == ["x.csv"]  # no temporary file left


# -- windows at the ends of the calendar ---------------------------------------------------


def test_a_last_window_past_year_9999_ends_at_end(fake_engine: FakeUsageEngine) -> None:
    start, end = datetime(9999, 12, 30, tzinfo=UTC), datetime(9999, 12, 31, tzinfo=UTC)
    for interval in ("hour", "day", "week", "month"):
        windows = split_windows(start, end, interval)
        assert windows[-1].end == end and windows[0].start == start, interval
    with fake_engine.api_client() as client:
        report = fetch_usage(client, start, end, interval="week")
    assert [(w.start, w.end) for w in report.windows] == [(start, end)]


def test_a_first_window_before_year_1_in_utc_starts_at_start() -> None:
    windows = split_windows("0001-01-01T12:00", "0001-01-02", "day", "Europe/Berlin")
    assert len(windows) == 1
    assert windows[0].start.replace(tzinfo=None) == datetime(1, 1, 1, 12)


def test_a_time_the_zone_cannot_show_is_an_argument_error_naming_it() -> None:
    with pytest.raises(ApiArgumentError) as caught:
        split_windows("9999-12-31T23:00+00:00", "9999-12-31T23:30+00:00", tz="Asia/Tokyo")
    assert caught.value.argument == "start"
    assert "Asia/Tokyo" in str(caught.value)
