"""A cache the user may read but not write: ``cache info`` counts it, ``cache clear`` fails
loudly, and a report reads the windows stored without writing anything.

Root ignores file permissions, so as root the CLI runs without the capabilities that let it
(``CAP_DAC_OVERRIDE``, ``CAP_DAC_READ_SEARCH``): a 0400 file and a 0500 directory are then
as read-only for it as for any other user.
"""

from __future__ import annotations

import ctypes
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_helpers import engine_env, run_cli

from _generated.testing import FakeUsageEngine

MONTH = ["--since", "2026-11-01", "--until", "2026-12-01", "--interval", "day"]
DAYS_IN_MONTH = 30
FILE_NAME = "windows-v1.sqlite3"
_PR_CAPBSET_DROP = 24
# The capabilities that let root write read-only files and enter read-only directories.
_CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH = 1, 2
# Loaded before any fork: the child only calls it.
_LIBC = ctypes.CDLL(None, use_errno=True)


def as_ordinary_user() -> None:
    """preexec_fn: as root, give up (for the program run) what ignores file permissions."""
    if os.geteuid() != 0:
        return
    for capability in (_CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH):
        if _LIBC.prctl(_PR_CAPBSET_DROP, capability, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


@pytest.fixture(scope="module")
def permissions_bind(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Skip unless a program run with ``as_ordinary_user`` cannot write a 0400 file."""
    probe = tmp_path_factory.mktemp("probe") / "read-only"
    probe.write_text("x")
    probe.chmod(0o400)
    try:
        result = subprocess.run(
            [sys.executable, "-c", f"open({str(probe)!r}, 'a')"],
            capture_output=True,
            preexec_fn=as_ordinary_user,
            check=False,
        )
    except subprocess.SubprocessError:
        pytest.skip("root cannot give up CAP_DAC_OVERRIDE here (no CAP_SETPCAP)")
    if result.returncode == 0:
        pytest.skip("this user writes read-only files: no read-only cache can be made")


@pytest.fixture
def filled(tmp_path: Path, permissions_bind: None) -> Iterator[tuple[Path, FakeUsageEngine]]:
    """A cache holding the 30 closed days of November 2026, and the engine that served them."""
    directory = tmp_path / "cache"
    with FakeUsageEngine() as engine:
        first = run_cli("tokens", "-q", *MONTH, env=engine_env(engine), cache_dir=str(directory))
        assert first.returncode == 0, first.stderr
        engine.clear()
        yield directory, engine
    for path in (directory, *directory.iterdir()):  # so that tmp_path can be removed
        path.chmod(0o700)


def read_only(directory: Path, *, file_too: bool = True, dir_too: bool = True) -> bytes:
    """Make the cache read-only; returns the file's bytes, to check nothing was written."""
    database = directory / FILE_NAME
    if file_too:
        database.chmod(0o400)
    if dir_too:
        directory.chmod(0o500)
    return database.read_bytes()


def run_read_only(
    directory: Path, *args: str, **kwargs: object
) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, cache_dir=str(directory), preexec_fn=as_ordinary_user, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("file_too", "dir_too"),
    [(True, True), (False, True), (True, False)],
    ids=["file-and-directory", "directory", "file"],
)
def test_cache_info_counts_the_windows_of_a_read_only_cache(
    filled: tuple[Path, FakeUsageEngine], file_too: bool, dir_too: bool
) -> None:
    directory, _ = filled
    before = read_only(directory, file_too=file_too, dir_too=dir_too)
    info = run_read_only(directory, "cache", "info")
    assert info.returncode == 0, info.stderr
    assert f"windows:   {DAYS_IN_MONTH}\n" in info.stdout
    (warning,) = info.stderr.splitlines()
    assert warning.startswith("genai-usage: warning: report cache")
    assert "reading those stored" in warning
    assert (directory / FILE_NAME).read_bytes() == before
    assert sorted(p.name for p in directory.iterdir()) == [FILE_NAME]  # no -wal or -shm left


@pytest.mark.parametrize(("file_too", "dir_too"), [(True, True), (True, False)])
def test_cache_clear_that_cannot_clear_fails_naming_the_file(
    filled: tuple[Path, FakeUsageEngine], file_too: bool, dir_too: bool
) -> None:
    directory, _ = filled
    before = read_only(directory, file_too=file_too, dir_too=dir_too)
    cleared = run_read_only(directory, "cache", "clear")
    assert cleared.returncode == 7, (cleared.stdout, cleared.stderr)
    assert cleared.stdout == ""
    (error,) = [line for line in cleared.stderr.splitlines() if "error" in line]
    assert error.startswith("genai-usage: error: cannot clear the report cache")
    assert str(directory / FILE_NAME) in error and "cannot write" in error
    assert (directory / FILE_NAME).read_bytes() == before
    assert f"windows:   {DAYS_IN_MONTH}\n" in run_read_only(directory, "cache", "info").stdout


def test_a_report_reads_a_read_only_cache_and_writes_nothing(
    filled: tuple[Path, FakeUsageEngine],
) -> None:
    directory, engine = filled
    expected = run_cli("tokens", *MONTH, "--no-cache", env=engine_env(engine)).stdout
    engine.clear()
    before = read_only(directory)
    again = run_read_only(directory, "tokens", *MONTH, env=engine_env(engine))
    assert again.returncode == 0, again.stderr
    assert again.stdout == expected
    assert engine.attempts == 0  # every day came from the cache
    assert f"{DAYS_IN_MONTH} of {DAYS_IN_MONTH} windows from the cache" in again.stderr
    assert (directory / FILE_NAME).read_bytes() == before


def test_a_cache_made_writable_again_is_written_as_before(
    filled: tuple[Path, FakeUsageEngine],
) -> None:
    directory, _ = filled
    read_only(directory, dir_too=False)
    assert run_read_only(directory, "cache", "info").returncode == 0
    (directory / FILE_NAME).chmod(0o600)
    cleared = run_read_only(directory, "cache", "clear")
    assert cleared.returncode == 0 and cleared.stderr == ""
    assert f"removed {DAYS_IN_MONTH} window(s)" in cleared.stdout
