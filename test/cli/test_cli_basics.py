"""End-to-end tests of ``genai-usage`` (formats, host and token, exit codes, demo, Ctrl-C):
every run is a real subprocess against a real server.

Fault scenarios use ``FakeUsageEngine`` (in this process, on 127.0.0.1); the happy paths use
the FastAPI reference server. A few pure helpers (date words, exit-code mapping) are also
tested in-process.
"""

from __future__ import annotations

import csv
import io
import json
import os
import pty
import select
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from _helpers import interrupt_when_in_flight, start_interruptible
from cli_helpers import (
    BERLIN,
    HAPPY,
    MEASURE_KEYS,
    RANGE,
    ROOT,
    assert_one_line_error,
    clean_env,
    engine_env,
    run_cli,
)
from dateutil.parser import isoparse

from _generated.cli import exit_code_for, parse_when
from _generated.exceptions import (
    ApiConnectionError,
    ApiException,
    ApiTimeoutError,
    ForbiddenException,
    ResponseValidationError,
    ServiceException,
    TooManyRequestsException,
    UnauthorizedException,
    UnprocessableEntityException,
)
from _generated.reports import COLUMNS, UsageReport, fetch_usage
from _generated.testing import FakeUsageEngine, Fault, aggregate, demo_records


@pytest.fixture
def berlin_report(api: Any) -> UsageReport:
    """What the API gives for the range the happy-path runs use."""
    return fetch_usage(api, "2026-11-01", "2026-11-08", ["task", "rule_type"], "day", BERLIN)


# -- output formats ------------------------------------------------------------------------


def test_csv_parses_back_to_the_same_numbers_as_the_api(
    engine_server: Any, berlin_report: UsageReport
) -> None:
    result = run_cli("tokens", *HAPPY, "--format", "csv", env=engine_env(engine_server))
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    parsed = list(csv.DictReader(io.StringIO(result.stdout)))
    assert tuple(parsed[0]) == COLUMNS
    got = [
        (
            isoparse(p["window_start"]),
            isoparse(p["window_end"]),
            p["rule_type"] or None,
            p["task_id"] or None,
            int(p["inference"]),
            int(p["eval_prompt"]),
            int(p["eval_completion"]),
            int(p["total"]),
        )
        for p in parsed
    ]
    expected = [
        (
            r.window_start,
            r.window_end,
            r.rule_type,
            r.task_id,
            r.inference,
            r.eval_prompt,
            r.eval_completion,
            r.total,
        )
        for r in berlin_report
    ]
    assert got == expected
    assert parsed[0]["window_start"] == "2026-11-01T00:00:00+01:00"


def test_json_output_file_validates(
    engine_server: Any, berlin_report: UsageReport, tmp_path: Path
) -> None:
    target = tmp_path / "usage.json"
    result = run_cli(
        "tokens", *HAPPY, "--format", "json", "--output", str(target), env=engine_env(engine_server)
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "" and result.stderr == ""
    document = json.loads(target.read_text(encoding="utf-8"))
    assert document["start"] == "2026-11-01T00:00:00+01:00"
    assert document["end"] == "2026-11-08T00:00:00+01:00"
    assert document["interval"] == "day"
    assert document["tz"] == "Europe/Berlin"
    assert document["group_by"] == ["task", "rule_type"]
    assert document["host"] == engine_server.host
    assert isoparse(document["generated_at"]).utcoffset() is not None
    assert len(document["windows"]) == 7
    for row in document["rows"]:
        assert tuple(row) == COLUMNS
        assert isinstance(row["rule_type"], str) and isinstance(row["task_id"], str)
        assert all(isinstance(row[k], int) and row[k] >= 0 for k in COLUMNS[4:])
        assert row["total"] == row["inference"] + row["eval_prompt"] + row["eval_completion"]
    assert document["rows"] == [r.to_dict() for r in berlin_report]
    overall = document["totals"]["overall"]
    assert overall["total"] == sum(r["total"] for r in document["rows"])
    assert overall == berlin_report.totals().overall.to_dict()
    assert engine_server.token not in target.read_text(encoding="utf-8")


def test_ndjson_is_one_valid_row_per_line(engine_server: Any, berlin_report: UsageReport) -> None:
    result = run_cli("tokens", *HAPPY, "--format", "ndjson", env=engine_env(engine_server))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == len(berlin_report.rows) > 0
    rows = [json.loads(line) for line in lines]
    assert all(tuple(row) == COLUMNS for row in rows)
    assert rows == [r.to_dict() for r in berlin_report]


def test_table_is_readable_at_80_columns(engine_server: Any, berlin_report: UsageReport) -> None:
    result = run_cli("tokens", *HAPPY, env=engine_env(engine_server))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert lines[-1].split()[0] == "TOTAL"
    assert lines[-1].split()[-1] == f"{berlin_report.totals().overall.total:,}"
    assert "," in lines[-1]
    for day in range(1, 8):
        totals = [
            int(line.split()[-1].replace(",", ""))
            for line in lines
            if line.startswith(f"2026-11-0{day}")
        ]
        assert totals and totals == sorted(totals, reverse=True)


def test_html_output(engine_server: Any, tmp_path: Path) -> None:
    pytest.importorskip("_generated.html_report")
    target = tmp_path / "usage.html"
    result = run_cli(
        "tokens", *HAPPY, "--format", "html", "-o", str(target), env=engine_env(engine_server)
    )
    assert result.returncode == 0, result.stderr
    text = target.read_text(encoding="utf-8")
    assert "<html" in text.lower() and engine_server.token not in text


# -- where host and token come from --------------------------------------------------------


def test_default_range_is_today_in_utc_with_both_bounds_sent(fake_engine: FakeUsageEngine) -> None:
    # The engine reads an omitted bound as "no bound": the CLI always sends both.
    before = datetime.now(timezone.utc).date()
    result = run_cli("tokens", "--format", "csv", env=engine_env(fake_engine))
    after = datetime.now(timezone.utc).date()
    assert result.returncode == 0, result.stderr
    (request,) = fake_engine.requests
    start = isoparse(request.query["start_time"][0])
    end = isoparse(request.query["end_time"][0])
    assert start.date() in (before, after)
    assert (start.time(), start.utcoffset(), end - start) == (
        datetime.min.time(),
        timedelta(0),
        timedelta(days=1),
    )
    assert request.query["group_by"] == ["rule_type"]


@pytest.mark.parametrize(
    ("env", "flags", "code"),
    [
        ({"ARTHUR_API_KEY": "right", "BEARER_TOKEN": "wrong"}, [], 0),
        ({"BEARER_TOKEN": "right"}, [], 0),
        ({"ARTHUR_API_KEY": "right"}, ["--token", "wrong"], 3),
        ({"ARTHUR_API_KEY": "wrong", "BEARER_TOKEN": "right"}, [], 3),
    ],
)
def test_token_precedence_flag_then_arthur_api_key_then_bearer_token(
    fake_engine: FakeUsageEngine, env: dict[str, str], flags: list[str], code: int
) -> None:
    names = {"right": fake_engine.token, "wrong": "not-the-token-0451"}
    environment = {name: names[value] for name, value in env.items()}
    flags = [names.get(flag, flag) for flag in flags]
    result = run_cli(
        "tokens", *RANGE, "--host", fake_engine.host, *flags, "--retries", "0", env=environment
    )
    assert result.returncode == code, result.stderr
    assert fake_engine.token not in result.stdout + result.stderr
    assert "not-the-token-0451" not in result.stdout + result.stderr


def test_the_token_is_never_echoed_even_verbose(fake_engine: FakeUsageEngine) -> None:
    ok = run_cli(
        "tokens", *RANGE, "--interval", "day", "--verbose", "--token", fake_engine.token,
        env={"ARTHUR_BASE_URL": fake_engine.host},
    )  # fmt: skip
    assert ok.returncode == 0, ok.stderr
    assert "token set" in ok.stderr
    assert fake_engine.token not in ok.stdout + ok.stderr

    wrong = "wrong-token-5e1d0c9b"
    failed = run_cli(
        "tokens", *RANGE, "--verbose", "--retries", "0", "--token", wrong,
        env={"ARTHUR_BASE_URL": fake_engine.host},
    )  # fmt: skip
    assert failed.returncode == 3
    assert "Traceback" in failed.stderr  # --verbose shows it
    assert wrong not in failed.stdout + failed.stderr
    assert failed.stderr.splitlines()[-1].startswith("genai-usage: error: authentication failed")


# -- exit codes ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["tokens", "--bogus"], "--bogus"),
        (["tokens", "--since", "2026-13-45"], "--since"),
        (["tokens", "--until", "next tuesday"], "--until"),
        (["tokens", "--group-by", "user"], "--group-by"),
        (["tokens", "--interval", "year"], "--interval"),
        (["tokens", "--tz", "Mars/Olympus_Mons"], "--tz"),
        (["tokens", "--workers", "0"], "--workers"),
        (["tokens", "--since", "2026-11-08", "--until", "2026-11-01"], "--until"),
        (["tokens", "--host", "127.0.0.1:8000"], "--host"),
    ],
)
def test_usage_errors_exit_2_with_one_line(
    fake_engine: FakeUsageEngine, args: list[str], needle: str
) -> None:
    result = run_cli(*args, env=engine_env(fake_engine))
    assert result.returncode == 2
    assert_one_line_error(result, needle)
    assert fake_engine.attempts == 0


def test_no_host_is_a_usage_error() -> None:
    result = run_cli("tokens", *RANGE)
    assert result.returncode == 2
    assert_one_line_error(result, "ARTHUR_BASE_URL")


def test_an_unwritable_output_is_a_usage_error(
    fake_engine: FakeUsageEngine, tmp_path: Path
) -> None:
    target = tmp_path / "missing-dir" / "out.csv"
    result = run_cli("tokens", *RANGE, "-o", str(target), env=engine_env(fake_engine))
    assert result.returncode == 2
    assert_one_line_error(result, "--output")


@pytest.mark.parametrize(
    ("fault", "code", "needle"),
    [
        (Fault.status(401), 3, "authentication failed"),
        (Fault.status(403), 3, "permission denied"),
        (Fault.status(503), 4, "HTTP 503"),
        (Fault.status(500, body="<html>boom</html>", content_type="text/html"), 4, "HTTP 500"),
        (Fault.status(429), 4, "HTTP 429"),
        (Fault.drop(), 4, "request failed"),
        (Fault.body("<html>proxy login</html>", content_type="text/html"), 5, "not token usage"),
        (Fault.body('{"rows": []}'), 5, "not token usage"),
        (Fault.body('[{"rule_type": "X", "task_id": null}]'), 5, "not token usage"),
        (Fault.status(422), 2, "refused the request"),
    ],
)
def test_server_answers_map_to_exit_codes(
    fake_engine: FakeUsageEngine, fault: Fault, code: int, needle: str
) -> None:
    fake_engine.inject(fault, times=1)
    result = run_cli("tokens", *RANGE, "--retries", "0", env=engine_env(fake_engine))
    assert result.returncode == code, result.stderr
    assert_one_line_error(result, needle)
    assert fake_engine.token not in result.stderr


def test_server_failure_after_retries_exits_4(fake_engine: FakeUsageEngine) -> None:
    fake_engine.inject(Fault.status(503), times=2)
    result = run_cli("tokens", *RANGE, "--retries", "1", env=engine_env(fake_engine))
    assert result.returncode == 4
    assert_one_line_error(result, "request failed after retries", "HTTP 503")
    assert fake_engine.attempts == 2


def test_unreachable_server_exits_4() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = run_cli(
        "tokens", *RANGE, "--retries", "0",
        env={"ARTHUR_BASE_URL": f"http://127.0.0.1:{port}", "ARTHUR_API_KEY": "x" * 16},
    )  # fmt: skip
    assert result.returncode == 4
    assert_one_line_error(result, "request failed", f"127.0.0.1:{port}")


def test_a_partial_report_exits_4_and_writes_nothing(fake_engine: FakeUsageEngine) -> None:
    fake_engine.inject(Fault.status(503), times=1)
    result = run_cli(
        "tokens", *RANGE, "--interval", "day", "--retries", "0", "--workers", "1",
        env=engine_env(fake_engine),
    )  # fmt: skip
    assert result.returncode == 4
    assert_one_line_error(result, "1 of 7 report windows failed", "nothing was written")
    assert "resume()" not in result.stderr
    assert fake_engine.attempts == 7


# -- demo, entry points, progress ----------------------------------------------------------


def _demo_total(start: datetime, end: datetime, now: datetime) -> int:
    rows = aggregate(demo_records(now), start, end)
    return sum(sum(r["count"][k] for k in MEASURE_KEYS) for r in rows)


def test_demo_runs_the_make_demo_command_on_the_last_seven_days() -> None:
    # What `make demo` runs: 6 days before today (UTC) until the default end, tomorrow.
    before = datetime.now(timezone.utc)
    midnight = before.replace(hour=0, minute=0, second=0, microsecond=0)
    since = (midnight - timedelta(days=6)).date().isoformat()
    args = ["tokens", "--demo", "--since", since, "--interval", "day", "--group-by", "rule_type"]
    script = Path(sys.executable).with_name("genai-usage")
    if script.exists():  # the console script `make demo` runs
        result = subprocess.run(
            [str(script), *args], capture_output=True, text=True, timeout=60, check=False
        )
    else:
        result = run_cli(*args)
    if datetime.now(timezone.utc).date() != before.date():
        pytest.skip("the UTC day changed while the demo ran; its data moved with it")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    # The day's data does not depend on the time within the day, so any `now` of it will do.
    total = _demo_total(midnight - timedelta(days=6), midnight + timedelta(days=1), before)
    assert total > 0
    assert lines[-1].split()[-1] == f"{total:,}"
    days = {(midnight - timedelta(days=n)).date().isoformat() for n in range(7)}
    assert {line[:10] for line in lines if line[:10] in days} == days


def test_demo_without_since_shows_todays_usage() -> None:
    before = datetime.now(timezone.utc)
    result = run_cli("tokens", "--demo", "--format", "json")
    if datetime.now(timezone.utc).date() != before.date():
        pytest.skip("the UTC day changed while the demo ran; its data moved with it")
    assert result.returncode == 0, result.stderr
    midnight = before.replace(hour=0, minute=0, second=0, microsecond=0)
    overall = json.loads(result.stdout)["totals"]["overall"]
    assert overall["total"] == _demo_total(midnight, midnight + timedelta(days=1), before) > 0


def test_version_and_help_exit_0() -> None:
    version = run_cli("--version")
    assert version.returncode == 0 and "genai-usage" in version.stdout
    helped = run_cli("tokens", "--help")
    assert helped.returncode == 0
    assert "--group-by" in helped.stdout and "ARTHUR_API_KEY" in helped.stdout


def _run_with_terminal_stderr(*args: str, env: Mapping[str, str]) -> tuple[int, str]:
    """Run the CLI with stderr on a pseudo-terminal; return (exit code, what it showed)."""
    leader, follower = pty.openpty()
    try:
        result = run_cli(*args, env=env, stderr=follower)
        os.close(follower)
        follower = -1
        shown = b""
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            ready, _, _ = select.select([leader], [], [], 0.1)
            if not ready:
                break
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # EIO: the terminal has no writer left
                break
            if not chunk:
                break
            shown += chunk
        return result.returncode, shown.decode("utf-8", "replace")
    finally:
        if follower >= 0:
            os.close(follower)
        os.close(leader)


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a POSIX pseudo-terminal")
def test_progress_shows_on_a_terminal_unless_quiet(fake_engine: FakeUsageEngine) -> None:
    args = ["tokens", *RANGE, "--interval", "day", "--format", "csv"]
    code, shown = _run_with_terminal_stderr(*args, env=engine_env(fake_engine))
    assert code == 0
    assert "7/7 done" in shown and "elapsed" in shown
    code, shown = _run_with_terminal_stderr(*args, "--quiet", env=engine_env(fake_engine))
    assert code == 0 and shown == ""
    # One window: nothing to show progress for.
    code, shown = _run_with_terminal_stderr("tokens", *RANGE, env=engine_env(fake_engine))
    assert code == 0 and shown == ""


# -- pure helpers (in-process) -------------------------------------------------------------

NOW = datetime(2026, 11, 29, 10, 15, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("today", "2026-11-29T00:00:00+01:00"),
        ("yesterday", "2026-11-28T00:00:00+01:00"),
        ("tomorrow", "2026-11-30T00:00:00+01:00"),
        ("now", "2026-11-29T11:15:00+01:00"),
        ("7d", "2026-11-22T11:15:00+01:00"),
        ("24h", "2026-11-28T11:15:00+01:00"),
        ("2w", "2026-11-15T11:15:00+01:00"),
        ("30m", "2026-11-29T10:45:00+01:00"),
        ("2026-11-01", "2026-11-01T00:00:00+01:00"),
        ("2026-11-01T08:00", "2026-11-01T08:00:00+01:00"),
        ("2026-11-01T08:00Z", "2026-11-01T09:00:00+01:00"),
        ("2026-10-25T02:30+01:00", "2026-10-25T02:30:00+01:00"),
    ],
)
def test_since_and_until_words(text: str, expected: str) -> None:
    assert parse_when(text, BERLIN, NOW).isoformat() == expected


def test_since_and_until_reject_junk_naming_the_flag() -> None:
    from _generated.cli import UsageError

    with pytest.raises(UsageError, match="--until"):
        parse_when("7 days ago", BERLIN, NOW, "--until")


def _status_error(cls: type[ApiException], status: int) -> ApiException:
    return cls(status=status, reason="x")


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (_status_error(UnauthorizedException, 401), 3),
        (_status_error(ForbiddenException, 403), 3),
        (_status_error(ServiceException, 503), 4),
        (_status_error(TooManyRequestsException, 429), 4),
        (ApiConnectionError("refused"), 4),
        (ApiTimeoutError("slow"), 4),
        (ResponseValidationError(status=200, reason="OK", headers={}, body=b"x", detail="d"), 5),
        (_status_error(UnprocessableEntityException, 422), 2),
        (ValueError("bad"), 1),
    ],
)
def test_exit_code_mapping(error: Exception, code: int) -> None:
    assert exit_code_for(error) == code


def test_partial_error_exit_code_is_the_most_telling_cause() -> None:
    from _generated.reports import PartialReportError, Window

    report = UsageReport(
        [],
        start=NOW,
        end=NOW + timedelta(days=3),
        interval="day",
        tz="UTC",
        group_by=("rule_type",),
        host="",
        generated_at=NOW,
        windows=[Window(NOW + timedelta(days=i), NOW + timedelta(days=i + 1)) for i in range(3)],
    )
    w = report.windows

    def partial(*errors: Exception) -> PartialReportError:
        report.missing = w[: len(errors)]
        return PartialReportError(report, dict(zip(w, errors, strict=False)))

    assert exit_code_for(partial(ApiConnectionError("x"))) == 4
    assert (
        exit_code_for(partial(ApiConnectionError("x"), _status_error(ForbiddenException, 403))) == 3
    )
    bad = ResponseValidationError(status=200, reason="OK", headers={}, body=b"", detail="d")
    assert exit_code_for(partial(_status_error(ServiceException, 500), bad)) == 5


@pytest.mark.skipif(sys.platform == "win32", reason="needs POSIX signals")
def test_ctrl_c_exits_130_at_once_even_with_requests_in_flight(
    fake_engine: FakeUsageEngine,
) -> None:

    fake_engine.inject(Fault.hang(), times=7)
    process = start_interruptible(
        [sys.executable, "-m", "_generated", "tokens", *RANGE, "--interval", "day"],
        env=clean_env(engine_env(fake_engine)),
        cwd=ROOT,
    )
    # One hung request per worker; the hung ones last until the engine stops.
    _, stderr, seconds = interrupt_when_in_flight(process, lambda: fake_engine.attempts, 4)
    assert seconds < 3
    assert process.returncode == 130
    assert stderr.strip().splitlines()[-1] == "genai-usage: error: interrupted"
