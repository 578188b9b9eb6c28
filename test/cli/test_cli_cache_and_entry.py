"""The cache in the CLI (on by default, --no-cache, --cache-dir, ``cache info``/``clear``),
and the entry points: ``main()`` returns codes and cleans up, ``--help`` lists exit codes."""

from __future__ import annotations

import contextlib
import io
import logging
import os
import re
import sys
from pathlib import Path

import pytest
from _helpers import interrupt_when_in_flight, start_interruptible
from cli_helpers import RANGE, ROOT, clean_env, engine_env, fresh_cache_dir, run_cli

from _generated.cli import EXIT_CODES, main
from _generated.testing import FakeUsageEngine, Fault

DAYS = [*RANGE, "--interval", "day", "--format", "csv"]


def test_closed_windows_come_from_the_cache_the_second_time(fake_engine: FakeUsageEngine) -> None:
    cache = fresh_cache_dir()
    first = run_cli("tokens", *DAYS, env=engine_env(fake_engine), cache_dir=cache)
    assert first.returncode == 0 and first.stderr == ""
    assert fake_engine.attempts == 7
    second = run_cli("tokens", *DAYS, env=engine_env(fake_engine), cache_dir=cache)
    assert second.returncode == 0
    assert second.stderr == "genai-usage: 7 of 7 windows from the cache\n"
    assert second.stdout == first.stdout
    assert fake_engine.attempts == 7  # nothing fetched again
    quiet = run_cli("tokens", *DAYS, "-q", env=engine_env(fake_engine), cache_dir=cache)
    assert quiet.stderr == "" and quiet.stdout == first.stdout


def test_the_cache_note_says_how_many_windows_are_still_open(
    fake_engine: FakeUsageEngine,
) -> None:
    cache = fresh_cache_dir()
    # Relative to the clock: the full hours are closed and cached, the last two still open.
    hours = ["tokens", "--since", "5h", "--until", "now", "--interval", "hour", "--format", "csv"]
    assert run_cli(*hours, env=engine_env(fake_engine), cache_dir=cache).returncode == 0
    second = run_cli(*hours, env=engine_env(fake_engine), cache_dir=cache)
    assert second.returncode == 0
    assert re.fullmatch(
        r"genai-usage: [1-9]\d* of \d+ windows from the cache, [1-9]\d* still open "
        r"\(provisional: their counts may still grow\)\n",
        second.stderr,
    ), second.stderr


def test_no_cache_fetches_everything_and_stores_nothing(fake_engine: FakeUsageEngine) -> None:
    cache = fresh_cache_dir()
    for _ in range(2):
        result = run_cli(
            "tokens", *DAYS, "--no-cache", env=engine_env(fake_engine), cache_dir=cache
        )
        assert result.returncode == 0 and result.stderr == ""
    assert fake_engine.attempts == 14
    assert os.listdir(cache) == []


def test_cache_dir_and_the_cache_command(fake_engine: FakeUsageEngine, tmp_path: Path) -> None:
    directory = tmp_path / "my-cache"
    flag = ["--cache-dir", str(directory)]
    assert run_cli("tokens", *DAYS, *flag, env=engine_env(fake_engine)).returncode == 0
    assert (directory / "windows-v1.sqlite3").exists()
    assert directory.stat().st_mode & 0o777 == 0o700
    info = run_cli("cache", "info", *flag)
    assert info.returncode == 0
    assert f"directory: {directory}" in info.stdout and "windows:   7" in info.stdout
    assert fake_engine.token not in (directory / "windows-v1.sqlite3").read_bytes().decode(
        "latin-1"
    )
    cleared = run_cli("cache", "clear", *flag)
    assert cleared.returncode == 0 and "removed 7 window(s)" in cleared.stdout
    assert "windows:   0" in run_cli("cache", "info", *flag).stdout
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("x")
    bad = run_cli("cache", "info", "--cache-dir", str(not_a_dir))
    assert bad.returncode == 2 and "--cache-dir" in bad.stderr


def test_a_corrupt_cache_is_a_warning_and_a_refetch(fake_engine: FakeUsageEngine) -> None:
    cache = fresh_cache_dir()
    Path(cache, "windows-v1.sqlite3").write_bytes(b"this is not a database" * 100)
    result = run_cli("tokens", *DAYS, env=engine_env(fake_engine), cache_dir=cache)
    assert result.returncode == 0
    assert result.stderr.startswith("genai-usage: warning: report cache")
    assert fake_engine.attempts == 7


@pytest.mark.parametrize("action", ["info", "clear"])
def test_the_cache_command_on_a_corrupt_cache_warns_in_one_line(action: str) -> None:
    cache = fresh_cache_dir()
    Path(cache, "windows-v1.sqlite3").write_bytes(b"this is not a database" * 100)
    result = run_cli("cache", action, cache_dir=cache)
    assert result.returncode == 0
    (line,) = result.stderr.splitlines()
    assert line.startswith("genai-usage: warning: report cache") and "unreadable" in line


# -- entry points --------------------------------------------------------------------------


def test_help_lists_every_exit_code() -> None:
    for args in ([], ["tokens"]):
        helped = run_cli(*args, "--help")
        assert helped.returncode == 0
        text = " ".join(helped.stdout.split())
        for code, meaning in EXIT_CODES.items():
            assert f"{code} {' '.join(meaning.split())}" in text


def test_main_returns_codes_and_removes_its_log_handler() -> None:
    logger = logging.getLogger("_generated")
    before = (list(logger.handlers), logger.level)
    out, err = io.StringIO(), io.StringIO()
    args = ["tokens", "--demo", "--verbose", "--since", "2d", "--format", "csv", "--no-cache"]
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        assert main(args) == 0
        assert main(["tokens", "--demo", "--fail-above", "0", "--since", "2d"]) == 6
        assert main(["tokens", "--bogus"]) == 2
    assert (list(logger.handlers), logger.level) == before
    assert "genai-usage: _generated:" in err.getvalue()  # the request log was on meanwhile


@pytest.mark.skipif(sys.platform == "win32", reason="needs POSIX signals")
def test_ctrl_c_in_main_returns_130_without_ending_the_process(
    fake_engine: FakeUsageEngine,
) -> None:
    fake_engine.inject(Fault.hang(), times=7)
    script = (
        "import sys\nfrom _generated.cli import main\n"
        "code = main(sys.argv[1:])\nprint('main returned', code, flush=True)\n"
    )
    process = start_interruptible(
        [sys.executable, "-c", script, "tokens", *RANGE, "--interval", "day", "--no-cache"],
        env=clean_env(engine_env(fake_engine)),
        cwd=ROOT,
    )
    stdout, stderr, _ = interrupt_when_in_flight(process, lambda: fake_engine.attempts, 4)
    assert "main returned 130" in stdout
    assert stderr.strip().splitlines()[-1] == "genai-usage: error: interrupted"


def test_the_console_script_is_the_wrapper() -> None:
    text = (ROOT / "pyproject.toml").read_text()
    assert 'genai-usage = "_generated.cli:console_main"' in text
