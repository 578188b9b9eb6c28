"""Helpers of the CLI tests: run ``genai-usage`` in a subprocess with a clean environment."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Optional
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[2]
BERLIN = ZoneInfo("Europe/Berlin")
#: Variables the CLI reads that must not leak in from the developer's environment.
ENV_NAMES = (
    "ARTHUR_BASE_URL",
    "ARTHUR_API_KEY",
    "BEARER_TOKEN",
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "NO_PROXY",
    "no_proxy",
    "ALL_PROXY",
    "all_proxy",
    "GENAI_USAGE_CACHE_DIR",
    "XDG_CACHE_HOME",
)
RANGE = ["--since", "2026-11-01", "--until", "2026-11-08"]
MEASURE_KEYS = ("inference", "eval_prompt", "eval_completion")
HAPPY = [*RANGE, "--interval", "day", "--group-by", "task", "--group-by", "rule_type"]
HAPPY += ["--tz", "Europe/Berlin"]
# One scratch directory for the run; each CLI run gets its own empty cache inside it.
_SCRATCH = tempfile.TemporaryDirectory(prefix="genai-usage-cli-tests-")


def fresh_cache_dir() -> str:
    """An empty cache directory, so no run sees windows cached by another test."""
    return tempfile.mkdtemp(dir=_SCRATCH.name)


def clean_env(
    env: Optional[Mapping[str, str]] = None, cache_dir: Optional[str] = None
) -> dict[str, str]:
    """The environment of a CLI run: no host, token or proxy; its own cache."""
    environment = {k: v for k, v in os.environ.items() if k not in ENV_NAMES}
    environment.update({"COLUMNS": "80", "PYTHONIOENCODING": "utf-8"})
    environment["GENAI_USAGE_CACHE_DIR"] = cache_dir or fresh_cache_dir()
    environment.update(env or {})
    return environment


def run_cli(
    *args: str,
    env: Optional[Mapping[str, str]] = None,
    stderr: Any = subprocess.PIPE,
    stdout: Any = subprocess.PIPE,
    timeout: float = 60,
    cache_dir: Optional[str] = None,
    preexec_fn: Any = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m _generated ARGS`` with a clean environment (no host or token set)."""
    return subprocess.run(
        [sys.executable, "-m", "_generated", *args],
        stdout=stdout,
        stderr=stderr,
        text=True,
        env=clean_env(env, cache_dir),
        cwd=ROOT,
        timeout=timeout,
        check=False,
        preexec_fn=preexec_fn,
    )


def engine_env(engine: Any) -> dict[str, str]:
    return {"ARTHUR_BASE_URL": engine.host, "ARTHUR_API_KEY": engine.token}


def assert_one_line_error(result: subprocess.CompletedProcess[str], *needles: str) -> None:
    """stderr is one ``genai-usage: error:`` line holding every needle; stdout is empty."""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("genai-usage: error: "), lines[0]
    assert "Traceback" not in result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    assert result.stdout == ""
