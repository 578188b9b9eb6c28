"""Shell users' flags: --timeout, --deadline, proxies, --ca-bundle, --width, the format from
-o's extension, --no-clobber, atomic files that keep their permissions, and write failures
(a size limit part way, a full disk, a closed pipe) with exit code 7."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from cli_helpers import RANGE, ROOT, assert_one_line_error, clean_env, engine_env, run_cli

from _generated.testing import FakeUsageEngine, Fault


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_a_hanging_server_is_ended_by_timeout(fake_engine: FakeUsageEngine) -> None:
    fake_engine.inject(Fault.hang(), times=3)
    # Without --timeout this waits 60 s per attempt, three attempts: past the 40 s below.
    result = run_cli("tokens", *RANGE, "--timeout", "0.5", env=engine_env(fake_engine), timeout=40)
    assert result.returncode == 4
    assert_one_line_error(result, "timed out")
    assert fake_engine.attempts == 3


def test_deadline_bounds_the_whole_run(fake_engine: FakeUsageEngine) -> None:
    fake_engine.inject(Fault.hang(), times=20)
    result = run_cli(
        "tokens", *RANGE, "--interval", "day", "--deadline", "1",
        env=engine_env(fake_engine), timeout=40,
    )  # fmt: skip
    assert result.returncode == 4
    assert_one_line_error(result, "--deadline of 1 s passed")


@pytest.mark.parametrize("value", ["0", "-1", "soon", "inf"])
def test_timeout_and_deadline_need_positive_seconds(value: str) -> None:
    for flag in ("--timeout", "--deadline"):
        result = run_cli("tokens", *RANGE, flag, value, env={"ARTHUR_BASE_URL": "http://h"})
        assert result.returncode == 2
        assert_one_line_error(result, flag)


def test_proxy_flag_and_environment_are_used(fake_engine: FakeUsageEngine) -> None:
    dead = f"http://127.0.0.1:{_closed_port()}"
    flagged = run_cli(
        "tokens", *RANGE, "--proxy", dead, "--retries", "0", env=engine_env(fake_engine)
    )
    assert flagged.returncode == 4
    assert_one_line_error(flagged, "proxy")
    from_env = run_cli(
        "tokens", *RANGE, "--retries", "0", env={**engine_env(fake_engine), "HTTP_PROXY": dead}
    )
    assert from_env.returncode == 4
    assert_one_line_error(from_env, "proxy")
    assert fake_engine.attempts == 0
    bypassed = run_cli(
        "tokens", *RANGE, "--retries", "0",
        env={**engine_env(fake_engine), "HTTP_PROXY": dead, "NO_PROXY": "127.0.0.1"},
    )  # fmt: skip
    assert bypassed.returncode == 0, bypassed.stderr
    assert fake_engine.attempts == 1


def test_a_proxy_password_is_never_echoed(fake_engine: FakeUsageEngine) -> None:
    result = run_cli(
        "tokens", *RANGE, "--proxy", "http://me:hunter2@bad host:1", env=engine_env(fake_engine)
    )
    assert result.returncode == 2
    assert_one_line_error(result, "--proxy")
    assert "hunter2" not in result.stderr


def test_ca_bundle_must_be_a_readable_file(fake_engine: FakeUsageEngine, tmp_path: Path) -> None:
    result = run_cli(
        "tokens", *RANGE, "--ca-bundle", str(tmp_path / "none.pem"), env=engine_env(fake_engine)
    )
    assert result.returncode == 2
    assert_one_line_error(result, "--ca-bundle")
    assert fake_engine.attempts == 0


def test_a_ca_bundle_that_does_not_sign_the_server_is_refused(tmp_path: Path) -> None:
    # An https URL to a plain-http fake: the TLS handshake fails, after the bundle was loaded.
    with FakeUsageEngine() as engine:
        pem = tmp_path / "ca.pem"
        pem.write_text("not a certificate\n")
        host = engine.host.replace("http://", "https://")
        result = run_cli(
            "tokens", *RANGE, "--ca-bundle", str(pem), "--retries", "0",
            env={"ARTHUR_BASE_URL": host, "ARTHUR_API_KEY": engine.token},
        )  # fmt: skip
    assert result.returncode == 4
    assert_one_line_error(result)


def test_width_sets_the_table_width(fake_engine: FakeUsageEngine) -> None:
    args = ["tokens", *RANGE, "--group-by", "task", "--group-by", "rule_type"]
    narrow = run_cli(*args, env=engine_env(fake_engine))
    wide = run_cli(*args, "--width", "160", env=engine_env(fake_engine))
    assert narrow.returncode == wide.returncode == 0
    assert max(map(len, narrow.stdout.splitlines())) <= 80
    assert "..." in narrow.stdout and "..." not in wide.stdout
    assert 80 < max(map(len, wide.stdout.splitlines())) <= 160
    too_narrow = run_cli(*args, "--width", "10", env=engine_env(fake_engine))
    assert too_narrow.returncode == 2


@pytest.mark.parametrize(
    ("name", "check"),
    [
        ("out.csv", lambda text: next(csv.reader(io.StringIO(text)))[0] == "window_start"),
        ("out.json", lambda text: "rows" in json.loads(text)),
        ("out.ndjson", lambda text: all(json.loads(line) for line in text.splitlines())),
        ("out.html", lambda text: "<html" in text.lower()),
    ],
)
def test_the_format_follows_the_output_extension(
    fake_engine: FakeUsageEngine, tmp_path: Path, name: str, check: object
) -> None:
    target = tmp_path / name
    result = run_cli("tokens", *RANGE, "-o", str(target), env=engine_env(fake_engine))
    assert result.returncode == 0, result.stderr
    assert check(target.read_text(encoding="utf-8"))  # type: ignore[operator]


def test_a_format_contradicting_the_extension_is_a_usage_error(
    fake_engine: FakeUsageEngine, tmp_path: Path
) -> None:
    target = tmp_path / "out.json"
    result = run_cli(
        "tokens", *RANGE, "--format", "csv", "-o", str(target), env=engine_env(fake_engine)
    )
    assert result.returncode == 2
    assert_one_line_error(result, "--format", "contradicts")
    assert fake_engine.attempts == 0 and not target.exists()


def test_no_clobber_refuses_an_existing_file(fake_engine: FakeUsageEngine, tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    target.write_text("keep me\n")
    result = run_cli(
        "tokens", *RANGE, "--no-clobber", "-o", str(target), env=engine_env(fake_engine)
    )
    assert result.returncode == 2
    assert_one_line_error(result, "--no-clobber")
    assert target.read_text() == "keep me\n" and fake_engine.attempts == 0
    fresh = tmp_path / "new.csv"
    ok = run_cli("tokens", *RANGE, "--no-clobber", "-o", str(fresh), env=engine_env(fake_engine))
    assert ok.returncode == 0 and fresh.read_text().startswith("window_start")


def test_a_replaced_file_keeps_its_permissions(
    fake_engine: FakeUsageEngine, tmp_path: Path
) -> None:
    target = tmp_path / "out.csv"
    target.write_text("old\n")
    target.chmod(0o640)
    result = run_cli("tokens", *RANGE, "-o", str(target), env=engine_env(fake_engine))
    assert result.returncode == 0, result.stderr
    assert target.stat().st_mode & 0o777 == 0o640
    assert target.read_text().startswith("window_start")
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def _limit_file_size(limit: int) -> None:
    import resource

    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # get EFBIG instead of being killed
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


@pytest.mark.skipif(sys.platform == "win32", reason="needs POSIX resource limits")
@pytest.mark.parametrize("fmt", ["csv", "json", "table"])
def test_an_interrupted_write_leaves_the_old_file_intact(
    fake_engine: FakeUsageEngine, tmp_path: Path, fmt: str
) -> None:
    target = tmp_path / "report.out"
    target.write_text("the old report\n")
    result = run_cli(
        "tokens", *RANGE, "--interval", "day", "--group-by", "task", "--format", fmt,
        "--no-cache", "-o", str(target),
        env=engine_env(fake_engine), preexec_fn=lambda: _limit_file_size(2000),
    )  # fmt: skip
    assert result.returncode == 7
    assert_one_line_error(result, "cannot write", "unchanged")
    assert target.read_text() == "the old report\n"
    assert [p.name for p in tmp_path.iterdir()] == ["report.out"]


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_a_full_disk_on_stdout_is_one_line_and_exit_7(fake_engine: FakeUsageEngine) -> None:
    with open("/dev/full", "w") as full:
        result = run_cli("tokens", *RANGE, env=engine_env(fake_engine), stdout=full)
    assert result.returncode == 7
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("genai-usage: error: cannot write to stdout")


@pytest.mark.skipif(sys.platform == "win32", reason="needs POSIX pipes")
@pytest.mark.parametrize("fmt", ["table", "csv"])
def test_a_closed_pipe_is_one_line_and_exit_7(fake_engine: FakeUsageEngine, fmt: str) -> None:
    reader, writer = os.pipe()
    os.close(reader)  # nobody will read: the first write gets EPIPE
    try:
        result = subprocess.run(
            [sys.executable, "-m", "_generated", "tokens", *RANGE, "--format", fmt],
            stdout=writer,
            stderr=subprocess.PIPE,
            text=True,
            env=clean_env(engine_env(fake_engine)),
            cwd=ROOT,
            timeout=60,
            check=False,
        )
    finally:
        os.close(writer)
    assert result.returncode == 7
    lines = result.stderr.splitlines()
    assert lines == ["genai-usage: error: stdout was closed before the output was complete "
                     "(broken pipe)"]  # fmt: skip
