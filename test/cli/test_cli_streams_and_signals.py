"""stdout and stderr that fail, close or are not UTF-8, SIGTERM/SIGHUP, empty flag values,
``--quiet`` and tokens in parse errors: the console script end to end against
``FakeUsageEngine`` (each run a subprocess; every wait bounded).
"""

from __future__ import annotations

import os
import pty
import re
import select
import signal
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from cli_helpers import ROOT, clean_env, engine_env, run_cli

from _generated.testing import FakeUsageEngine, UsageRecord

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX descriptors and signals")

WEEK = ["tokens", "--since", "2026-11-01", "--until", "2026-11-08", "--no-cache"]
#: Enough hourly rows (60 days x 24 x 28 groups) that the table overflows a pipe's buffer.
BIG = ["tokens", "--demo", "-q", "--since", "60d", "--interval", "hour"]
BIG += ["--group-by", "task", "--group-by", "rule_type"]
#: Seconds any one wait of these tests may take.
WAIT = 30


def _popen(args: list[str], env: dict[str, str], **kwargs: Any) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "_generated", *args], env=clean_env(env), cwd=ROOT, **kwargs
    )


def _one_error_line(stderr: str, needle: str) -> None:
    lines = stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("genai-usage: error: "), stderr
    assert needle in lines[0], lines[0]


def _closing_fd(fd: int) -> Any:
    return lambda: os.close(fd)


# -- stdout ---------------------------------------------------------------------------------


@pytest.mark.parametrize("unbuffered", [False, True])
def test_a_reader_leaving_early_is_a_broken_pipe_even_with_unbuffered_stdout(
    unbuffered: bool,
) -> None:
    # python -u / PYTHONUNBUFFERED drops the rest of a short write without an error.
    env = {"PYTHONUNBUFFERED": "1"} if unbuffered else {}
    process = _popen(BIG, env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None and process.stderr is not None
    assert len(process.stdout.read(100)) == 100
    process.stdout.close()
    _, err = process.communicate(timeout=WAIT)
    assert process.returncode == 7, err
    _one_error_line(err.decode(), "broken pipe")


@pytest.mark.parametrize(
    "args",
    [
        ["--version"],
        ["--help"],
        ["tokens", "--help"],
        ["cache", "info"],
        ["tokens", "--demo", "-q"],
    ],
    ids=["version", "help", "tokens-help", "cache-info", "report"],
)
@pytest.mark.parametrize("unbuffered", [False, True])
def test_stdout_on_a_full_disk_is_exit_code_7(args: list[str], unbuffered: bool) -> None:
    env = {"PYTHONUNBUFFERED": "1"} if unbuffered else {}
    with open("/dev/full", "wb") as full:
        result = subprocess.run(
            [sys.executable, "-m", "_generated", *args],
            stdout=full,
            stderr=subprocess.PIPE,
            env=clean_env(env),
            cwd=ROOT,
            timeout=WAIT,
            check=False,
        )
    assert result.returncode == 7
    _one_error_line(result.stderr.decode(), "cannot write to stdout: No space left")


@pytest.mark.parametrize("args", [["tokens", "--demo", "-q"], ["cache", "info"]])
def test_a_closed_stdout_is_exit_code_7(
    args: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Python's sys.stdout when started with descriptor 1 closed (>&-). In process: a child
    # under libfaketime would get descriptor 1 back from the library's own open().
    from _generated.cli import main

    monkeypatch.setenv("GENAI_USAGE_CACHE_DIR", clean_env()["GENAI_USAGE_CACHE_DIR"])
    monkeypatch.setattr(sys, "stdout", None)
    assert main(args) == 7
    _one_error_line(capsys.readouterr().err, "stdout is closed")


def test_a_closed_stderr_does_not_change_the_outcome(
    fake_engine: FakeUsageEngine, tmp_path: Path
) -> None:
    # The second run's note (windows from the cache) meets the closed stderr.
    args = [*WEEK[:-1], "--format", "csv"]
    env, cache = engine_env(fake_engine), str(tmp_path / "cache")
    first = run_cli(*args, env=env, cache_dir=cache)
    result = run_cli(*args, env=env, cache_dir=cache, stderr=None, preexec_fn=_closing_fd(2))
    assert first.returncode == 0 and "from the cache" not in first.stderr
    assert result.returncode == 0
    assert result.stdout == first.stdout and result.stdout.count("\n") > 1


def test_stdout_and_stderr_in_one_pipe_closed_early_is_exit_code_7() -> None:
    # genai-usage ... 2>&1 | head -1: the error line meets the closed pipe too.
    process = _popen(
        [*BIG, "--format", "csv"], {}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    assert process.stdout is not None
    process.stdout.readline()
    process.stdout.close()
    assert process.wait(timeout=WAIT) == 7


def _ascii_engine_records() -> list[UsageRecord]:
    moment = datetime(2026, 11, 2, 12, tzinfo=timezone.utc)
    return [
        UsageRecord(moment, "t-1", "RègleÉ", 10, 5, 1),
        UsageRecord(moment, "t-1", "R", 1, 1, 1),
    ]


@pytest.mark.parametrize(
    ("fmt", "shown"), [("csv", "RègleÉ".encode()), ("table", rb"R\xe8gle\xc9")]
)
def test_data_formats_are_utf8_on_stdout_and_the_table_escapes_what_it_cannot_show(
    fmt: str, shown: bytes
) -> None:
    with FakeUsageEngine(_ascii_engine_records()) as engine:
        result = subprocess.run(
            [sys.executable, "-m", "_generated", *WEEK, "--format", fmt],
            capture_output=True,
            env=clean_env({**engine_env(engine), "PYTHONIOENCODING": "ascii"}),
            cwd=ROOT,
            timeout=WAIT,
            check=False,
        )
    assert result.returncode == 0, result.stderr
    assert shown in result.stdout


# -- signals --------------------------------------------------------------------------------


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGTERM, 143), (signal.SIGHUP, 129)])
def test_sigterm_and_sighup_remove_the_partly_written_output(
    tmp_path: Path, sig: signal.Signals, code: int
) -> None:
    target = tmp_path / "usage.csv"
    target.write_text("old\n")
    with FakeUsageEngine(latency=0.05) as engine:
        args = ["tokens", "--since", "2026-11-01", "--until", "2026-11-08", "--interval", "hour"]
        args += ["--no-cache", "--workers", "1", "-q", "-o", str(target)]
        process = _popen(args, engine_env(engine), stderr=subprocess.PIPE)
        deadline = time.monotonic() + WAIT
        # Streamed CSV: the temporary file exists once the first windows came in.
        while engine.attempts < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert engine.attempts >= 3
        process.send_signal(sig)
        _, err = process.communicate(timeout=WAIT)
    assert process.returncode == code
    _one_error_line(err.decode(), f"terminated by {sig.name}")
    assert sorted(os.listdir(tmp_path)) == ["usage.csv"]
    assert target.read_text() == "old\n"


# -- flags ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("flags", "named"),
    [
        (["--since", ""], "argument --since"),
        (["--until", ""], "argument --until"),
        (["-o", ""], "argument --output"),
        (["--cache-dir", ""], "argument --cache-dir"),
    ],
)
def test_an_empty_value_is_a_usage_error_before_any_request(
    fake_engine: FakeUsageEngine, flags: list[str], named: str
) -> None:
    # A script's unset variable must not fall back to a default range or place.
    result = run_cli("tokens", *flags, env=engine_env(fake_engine))
    assert result.returncode == 2
    _one_error_line(result.stderr, named)
    assert fake_engine.attempts == 0


def test_a_token_in_a_parse_error_is_redacted() -> None:
    secret = "sekrit-token-123456"
    env = {"ARTHUR_API_KEY": "env-secret-98765"}
    for args in (
        ["tokens", "--demo", "--tokn", secret],
        ["tokens", "--demo", f"--tokne={secret}"],
        ["tokens", "--demo", "--bogus", "env-secret-98765"],
    ):
        result = run_cli(*args, env=env)
        assert result.returncode == 2
        assert "unrecognized arguments" in result.stderr
        assert secret not in result.stderr and "env-secret-98765" not in result.stderr
        assert "[redacted]" in result.stderr


def test_quiet_leaves_stderr_empty_even_when_the_cache_cannot_be_used(
    fake_engine: FakeUsageEngine, tmp_path: Path
) -> None:
    not_a_directory = tmp_path / "file"
    not_a_directory.write_text("")
    env = {**engine_env(fake_engine), "GENAI_USAGE_CACHE_DIR": str(not_a_directory)}
    args = ["tokens", "--since", "2026-11-01", "--until", "2026-11-03", "--format", "csv"]
    loud = run_cli(*args, env=env)
    quiet = run_cli(*args, "-q", env=env)
    assert loud.returncode == quiet.returncode == 0
    assert "warning:" in loud.stderr and quiet.stderr == ""
    assert quiet.stdout == loud.stdout
    info = run_cli("cache", "info", env={"GENAI_USAGE_CACHE_DIR": str(not_a_directory)})
    assert info.returncode == 0
    assert "(cannot be created: not a directory)" in info.stdout


def test_no_progress_line_among_rows_streamed_to_the_same_terminal() -> None:
    main, child = pty.openpty()
    args = ["tokens", "--demo", "--since", "3d", "--interval", "hour", "--format", "csv"]
    process = _popen(args, {}, stdout=child, stderr=child)
    os.close(child)
    seen = b""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        ready, _, _ = select.select([main], [], [], 1)
        if not ready:
            if process.poll() is not None:
                break
            continue
        try:
            data = os.read(main, 65536)
        except OSError:  # the child closed its end
            break
        if not data:
            break
        seen += data
    os.close(main)
    assert process.wait(timeout=WAIT) == 0
    assert b"window_start" in seen
    assert re.search(rb"\n\d{4}-\d\d-\d\dT", seen.replace(b"\r\n", b"\n"))  # rows came
    assert b"fetching windows" not in seen
