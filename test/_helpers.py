"""Helpers shared by the core SDK's test modules (not fixtures: plain functions).

- :func:`reference_file`: a file of the shared contract (``shared/reference``), or its copy
  under ``test/data`` when the contract directory is not beside the repository.
- :func:`expected_rows`: the endpoint's aggregation, written again here so the tests do not
  trust the servers' own code for what the answer should be.
- :func:`call_tagged`: call the API with a unique header and return what the FastAPI server
  recorded for exactly that request.
- :func:`query_pairs` / :func:`assert_rfc3339`: read back what the server received.
- :data:`NOV1` ... :data:`END`, :class:`Sleeps`, :func:`fetch`: the ranges, the injected
  sleep and the call most tests share.
- :func:`start_interruptible` / :func:`interrupt_when_in_flight`: Ctrl-C a child process
  while its requests hang.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional
from urllib.parse import parse_qsl

if TYPE_CHECKING:
    from conftest import EngineServer
    from engine_app import Received

    from _generated.testing import UsageRecord

TEST_DIR = Path(__file__).resolve().parent
DATA_DIR = TEST_DIR / "data"
#: Header used to find one request among everything the session server recorded.
TAG_HEADER = "X-Test-Case"
#: RFC 3339 date-time with an explicit numeric offset written with a colon.
RFC3339_WITH_OFFSET = re.compile(
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?[+-]\d{2}:\d{2}$"
)
UTC = timezone.utc
#: Days of the sample data (November 2026, UTC) that tests ask for.
NOV1 = datetime(2026, 11, 1, tzinfo=UTC)
NOV2 = datetime(2026, 11, 2, tzinfo=UTC)
NOV3 = datetime(2026, 11, 3, tzinfo=UTC)
#: The range :func:`fetch` asks for: two days with data.
START = NOV2
END = datetime(2026, 11, 4, tzinfo=UTC)


class Sleeps:
    """An injected ``sleep`` that records the delays asked for and returns at once."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


def fetch(api: Any, **kwargs: Any) -> list[Any]:
    """``api.get_token_usage_api_v2_usage_tokens_get`` for ``[START, END)``."""
    rows: list[Any] = api.get_token_usage_api_v2_usage_tokens_get(
        start_time=START, end_time=END, **kwargs
    )
    return rows


def reference_dir() -> Optional[Path]:
    """``shared/reference`` beside the repository (dev: /work/shared, CI: a copy), if any."""
    for parent in TEST_DIR.parents:
        candidate = parent / "shared" / "reference"
        if (candidate / "UsageApi.md").is_file():
            return candidate
    return None


def reference_file(name: str) -> Path:
    """The contract file ``name``: from ``shared/reference`` or, failing that, ``test/data``."""
    directory = reference_dir()
    if directory is not None and (directory / name).is_file():
        return directory / name
    return DATA_DIR / name


def tz(minutes: int = 0, seconds: int = 0) -> timezone:
    """A fixed UTC offset."""
    return timezone(timedelta(minutes=minutes, seconds=seconds))


def as_instant(value: datetime) -> datetime:
    """``value`` in UTC; a naive datetime is taken as UTC (the SDK's documented rule)."""
    if value.utcoffset() is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def expected_rows(
    records: Iterable[UsageRecord], start: datetime, end: datetime, scopes: Iterable[str]
) -> list[tuple[Optional[str], Optional[str], int, int, int]]:
    """What the endpoint should answer, as sorted ``(rule_type, task_id, i, p, c)`` tuples.

    Start inclusive, end exclusive; rows per group present in the range; an empty
    ``scopes`` means the server's default (``rule_type``).
    """
    wanted = set(scopes) or {"rule_type"}
    lower, upper = as_instant(start), as_instant(end)
    sums: dict[tuple[Optional[str], Optional[str]], list[int]] = {}
    for rec in records:
        if lower <= rec.timestamp < upper:
            key = (
                rec.rule_type if "rule_type" in wanted else None,
                rec.task_id if "task" in wanted else None,
            )
            acc = sums.setdefault(key, [0, 0, 0])
            acc[0] += rec.inference
            acc[1] += rec.eval_prompt
            acc[2] += rec.eval_completion
    return sorted(
        ((rule, task, *counts) for (rule, task), counts in sums.items()),  # type: ignore[misc]
        key=_row_key,
    )


def rows_of(models: Sequence[Any]) -> list[tuple[Optional[str], Optional[str], int, int, int]]:
    """``TokenUsageResponse`` models as sorted tuples comparable with :func:`expected_rows`."""
    return sorted(
        (
            (
                m.rule_type,
                m.task_id,
                m.count.inference,
                m.count.eval_prompt,
                m.count.eval_completion,
            )
            for m in models
        ),
        key=_row_key,
    )


def _row_key(row: tuple[Any, ...]) -> tuple[str, str]:
    return (row[0] or "", row[1] or "")


def call_tagged(
    server: EngineServer, method: Callable[..., Any], **kwargs: Any
) -> tuple[Any, Received]:
    """Call ``method(**kwargs)`` with a unique :data:`TAG_HEADER`; return (result, received).

    ``kwargs["_headers"]`` is extended, not replaced. The session server is shared by every
    test, so the tag (not the position in the log) identifies the request.
    """
    tag = uuid.uuid4().hex
    headers = dict(kwargs.pop("_headers", None) or {})
    headers[TAG_HEADER] = tag
    result = method(_headers=headers, **kwargs)
    return result, received_with_tag(server, tag)


def call_tagged_raises(
    server: EngineServer, error: type[BaseException], method: Callable[..., Any], **kwargs: Any
) -> tuple[Any, Received]:
    """Like :func:`call_tagged` for a call that must raise ``error``; returns (error, received)."""
    tag = uuid.uuid4().hex
    headers = dict(kwargs.pop("_headers", None) or {})
    headers[TAG_HEADER] = tag
    try:
        method(_headers=headers, **kwargs)
    except error as exc:
        return exc, received_with_tag(server, tag)
    raise AssertionError(f"{error.__name__} was not raised")


def received_with_tag(server: EngineServer, tag: str) -> Received:
    """The one request the server recorded with ``TAG_HEADER: tag``."""
    found = [r for r in server.received if r.headers.get(TAG_HEADER.lower()) == tag]
    assert len(found) == 1, f"expected exactly one request tagged {tag}, got {len(found)}"
    return found[0]


def query_pairs(received: Received) -> list[tuple[str, str]]:
    """The query string the server received, decoded, in order."""
    return parse_qsl(received.raw_query, keep_blank_values=True)


def query_values(received: Received, name: str) -> list[str]:
    """Every value of query parameter ``name`` the server received, in order."""
    return [value for key, value in query_pairs(received) if key == name]


def assert_rfc3339(text: str) -> datetime:
    """Assert ``text`` is RFC 3339 with an explicit ``+HH:MM`` offset; return it parsed."""
    assert RFC3339_WITH_OFFSET.match(text), f"not RFC 3339 with a colon offset: {text!r}"
    parsed = datetime.fromisoformat(text)
    assert parsed.utcoffset() is not None
    return parsed


def start_interruptible(argv: Sequence[str], **popen: Any) -> subprocess.Popen[str]:
    """Start ``argv`` with text pipes and the default SIGINT disposition (a shell runs
    background jobs with SIGINT ignored, and children inherit that)."""
    return subprocess.Popen(
        list(argv),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        **popen,
    )


def interrupt_when_in_flight(
    process: subprocess.Popen[str], count: Callable[[], int], in_flight: int
) -> tuple[str, str, float]:
    """Send SIGINT once ``count()`` (requests received) reaches ``in_flight``; return the
    output and the seconds from the signal to the exit. A process that outlives it is killed."""
    try:
        deadline = time.monotonic() + 30
        while count() < in_flight and time.monotonic() < deadline:
            time.sleep(0.02)
        assert count() == in_flight, f"{count()} requests in flight, expected {in_flight}"
        interrupted = time.monotonic()
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=20)
        return out, err, time.monotonic() - interrupted
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


def python_path(*first: Path) -> str:
    """``PYTHONPATH`` for a child Python: ``first``, then the inherited entries (so that
    ``make test-calendar``'s ``sitecustomize`` still loads in the child)."""
    inherited = os.environ.get("PYTHONPATH")
    return os.pathsep.join([*map(str, first), *([inherited] if inherited else [])])
