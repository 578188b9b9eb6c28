"""``-o`` to what is not a regular file, comparison CSV numbers, the --deadline message and
dates at the ends of the calendar: end to end against ``FakeUsageEngine``.

Every node written to is made in ``tmp_path`` (never the real /dev/null or /dev/stdout).
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from cli_helpers import ROOT, assert_one_line_error, clean_env, engine_env, run_cli

from _generated.testing import FakeUsageEngine

TWO_DAYS = ["tokens", "--since", "2026-11-01", "--until", "2026-11-03", "-q", "--format", "csv"]
#: Seconds a FIFO's reader waits for the writer before the test fails.
READER_TIMEOUT = 30


def _expected_csv(engine: FakeUsageEngine) -> str:
    result = run_cli(*TWO_DAYS, env=engine_env(engine))
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("\n") > 1
    return result.stdout


# -- -o to a FIFO, a device, a descriptor, a symlink ----------------------------------------


def test_output_to_a_fifo_is_written_to_its_reader_and_stays_a_fifo(
    fake_engine: FakeUsageEngine, tmp_path: Path
) -> None:
    expected = _expected_csv(fake_engine)
    fifo = tmp_path / "myfifo"
    os.mkfifo(fifo)
    received: list[str] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_text()), daemon=True)
    reader.start()
    try:
        result = run_cli(*TWO_DAYS, "-o", str(fifo), env=engine_env(fake_engine))
    finally:
        if reader.is_alive() and not received:
            # Unblock a reader still waiting in open() (the writer never came).
            with open(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK), "w"):
                pass
        reader.join(READER_TIMEOUT)
    assert result.returncode == 0, result.stderr
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert received == [expected]


@pytest.mark.skipif(os.geteuid() != 0, reason="mknod of a character device needs root")
def test_output_to_a_character_device_leaves_the_device(
    fake_engine: FakeUsageEngine, tmp_path: Path
) -> None:
    node = tmp_path / "mynull"
    os.mknod(node, 0o666 | stat.S_IFCHR, os.makedev(1, 3))  # a null device of our own
    result = run_cli(*TWO_DAYS, "-o", str(node), env=engine_env(fake_engine))
    assert result.returncode == 0, result.stderr
    assert stat.S_ISCHR(node.lstat().st_mode)
    assert [p.name for p in tmp_path.iterdir()] == ["mynull"]  # no temporary file left


def test_output_to_a_link_to_proc_self_fd_1_goes_to_stdout(
    fake_engine: FakeUsageEngine, tmp_path: Path
) -> None:
    expected = _expected_csv(fake_engine)
    link = tmp_path / "fakestdout"
    link.symlink_to("/proc/self/fd/1")
    result = run_cli(*TWO_DAYS, "-o", str(link), env=engine_env(fake_engine))
    assert result.returncode == 0, result.stderr
    assert result.stdout == expected
    assert link.is_symlink() and os.readlink(link) == "/proc/self/fd/1"


def test_output_to_dev_fd_n_writes_the_inherited_pipe(fake_engine: FakeUsageEngine) -> None:
    # What `-o >(wc -l)` hands the command: /dev/fd/N of a pipe it inherited.
    expected = _expected_csv(fake_engine)
    read_end, write_end = os.pipe()
    try:
        child = subprocess.Popen(
            [sys.executable, "-m", "_generated", *TWO_DAYS, "-o", f"/dev/fd/{write_end}"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=clean_env(engine_env(fake_engine)),
            cwd=ROOT,
            pass_fds=(write_end,),
        )
        os.close(write_end)
        with open(read_end, encoding="utf-8") as pipe:
            received = pipe.read()
        _, stderr = child.communicate(timeout=READER_TIMEOUT)
    finally:
        for fd in (read_end, write_end):
            try:
                os.close(fd)
            except OSError:
                pass
    assert child.returncode == 0, stderr
    assert received == expected


def test_output_through_a_symlink_replaces_its_target_and_keeps_the_link(
    fake_engine: FakeUsageEngine, tmp_path: Path
) -> None:
    expected = _expected_csv(fake_engine)
    real = tmp_path / "real.csv"
    real.write_text("old\n")
    real.chmod(0o640)
    link = tmp_path / "link.csv"
    link.symlink_to("real.csv")
    result = run_cli(*TWO_DAYS, "-o", str(link), env=engine_env(fake_engine))
    assert result.returncode == 0, result.stderr
    assert link.is_symlink() and os.readlink(link) == "real.csv"
    assert real.read_text() == expected
    assert stat.S_IMODE(real.stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.csv", "real.csv"]


def test_a_symlink_into_a_missing_directory_is_refused_before_any_request(
    fake_engine: FakeUsageEngine, tmp_path: Path
) -> None:
    link = tmp_path / "dangling.csv"
    link.symlink_to(tmp_path / "missing" / "x.csv")
    result = run_cli(*TWO_DAYS, "-o", str(link), env=engine_env(fake_engine))
    assert result.returncode == 2
    assert_one_line_error(result, "--output", str(link), "no such directory")
    assert fake_engine.requests == []


def test_a_missing_directory_is_still_refused_before_any_request(
    fake_engine: FakeUsageEngine, tmp_path: Path
) -> None:
    target = tmp_path / "missing" / "x.csv"
    result = run_cli(*TWO_DAYS, "-o", str(target), env=engine_env(fake_engine))
    assert result.returncode == 2
    assert_one_line_error(result, "--output", str(target), "no such directory")
    assert fake_engine.requests == []


# -- comparison CSV: numbers are never guarded ----------------------------------------------


def test_a_negative_change_pct_is_a_plain_number_in_the_comparison_csv(
    fake_engine: FakeUsageEngine,
) -> None:
    result = run_cli(
        "tokens", "--since", "2026-11-15", "--until", "2026-11-22", "--compare", "previous",
        "--group-by", "task", "--format", "csv", "-q", env=engine_env(fake_engine),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    percents = [row["change_pct"] for row in rows]
    assert "'" not in result.stdout
    assert all(re.fullmatch(r"-?\d+\.\d\d", pct) for pct in percents), percents
    assert any(pct.startswith("-") for pct in percents), percents


# -- --deadline: only the user's value -----------------------------------------------------


def test_a_passed_deadline_names_only_the_flag_and_its_value(
    fake_engine: FakeUsageEngine, tmp_path: Path
) -> None:
    fake_engine.latency = 1.0
    result = run_cli(
        "tokens", "--since", "2026-11-01", "--until", "2026-11-30", "--interval", "day",
        "--no-cache", "--deadline", "2", "-o", str(tmp_path / "dl.csv"),
        env=engine_env(fake_engine),
    )  # fmt: skip
    assert result.returncode != 0
    assert_one_line_error(result, "--deadline of 2 s passed", "raise --deadline")
    assert re.findall(r"deadline of (\S+) s", result.stderr) == ["2"]
    assert "raise the deadline" not in result.stderr
    assert not (tmp_path / "dl.csv").exists()


# -- dates at the ends of the calendar ------------------------------------------------------


UTC_0 = "+00:00"
LMT = "+00:53:28"  # Berlin's local mean time, the zone's offset before 1893


@pytest.mark.parametrize(
    ("flags", "windows"),
    [
        (
            ["--since", "9999-12-30", "--interval", "week"],
            [("9999-12-30T00:00:00", "9999-12-31T00:00:00", UTC_0)],
        ),
        (
            ["--since", "9999-12-01", "--until", "9999-12-31", "--interval", "month"],
            [("9999-12-01T00:00:00", "9999-12-31T00:00:00", UTC_0)],
        ),
        (
            ["--since", "9999-12-31T22:00", "--until", "9999-12-31T23:59", "--interval", "hour"],
            [
                ("9999-12-31T22:00:00", "9999-12-31T23:00:00", UTC_0),
                ("9999-12-31T23:00:00", "9999-12-31T23:59:00", UTC_0),
            ],
        ),
        (
            [
                *("--since", "0001-01-01T12:00", "--until", "0001-01-02", "--interval", "day"),
                *("--tz", "Europe/Berlin"),
            ],
            [("0001-01-01T12:00:00", "0001-01-02T00:00:00", LMT)],
        ),
    ],
)
def test_windows_at_the_ends_of_the_calendar_are_clipped_to_the_range(
    fake_engine: FakeUsageEngine, flags: list[str], windows: list[tuple[str, str, str]]
) -> None:
    # The week of 9999-12-30 would end in year 10000, the day of 0001-01-01 12:00 in Berlin
    # began in year 0 in UTC: such windows end (start) where the range does.
    result = run_cli("tokens", *flags, "-q", "--format", "json", env=engine_env(fake_engine))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["windows"] == [
        [start + offset, end + offset] for start, end, offset in windows
    ]
    assert len(fake_engine.requests) == len(windows)


@pytest.mark.parametrize(
    ("flags", "needles"),
    [
        (["--since", "9999-12-31"], ["argument --since", "give --until"]),
        (
            ["--since", "0001-01-01", "--until", "0001-02-01", "--compare", "previous"],
            ["argument --compare", "year 1"],
        ),
    ],
    ids=["no-day-after", "no-period-before"],
)
def test_ranges_the_calendar_cannot_hold_are_usage_errors_before_any_request(
    fake_engine: FakeUsageEngine, flags: list[str], needles: list[str]
) -> None:
    result = run_cli("tokens", *flags, "-q", env=engine_env(fake_engine))
    assert result.returncode == 2
    assert_one_line_error(result, *needles)
    assert fake_engine.attempts == 0
