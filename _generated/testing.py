"""Test helpers: a fake GenAI Engine serving ``GET /api/v2/usage/tokens`` on 127.0.0.1.

Use it to test code that calls the SDK without a real engine::

    from _generated.testing import Fault, FakeUsageEngine

    with FakeUsageEngine() as engine:                  # seeded sample data, token "test-token"
        engine.inject(Fault.status(503), times=1)      # the next request fails once
        with engine.api_client() as client:            # an ApiClient pointed at the fake
            ...
        assert engine.attempts == 2

What it offers:

- :class:`FakeUsageEngine` -- a real HTTP/1.1 server (threads, keep-alive) that answers the
  endpoint as the engine does: bearer auth (401 ``{"detail": "Not authenticated"}``),
  ``start_time``/``end_time`` parsed as FastAPI parses ``datetime`` query parameters
  (naive means UTC, 422 in FastAPI's error shape for junk), ``group_by`` validated against
  ``rule_type``/``task``, start inclusive, end exclusive, defaults the current UTC day of
  its clock (``now=``: a fixed datetime or a callable, so tests never depend on the date).
  Every request is recorded (:class:`RecordedRequest`, Authorization redacted).
- :class:`Fault` -- what to do instead of answering normally: an error status, a raw body,
  a delay, a dropped / reset / hung connection, a truncated or slowly sent body.
- :class:`UsageRecord`, :func:`sample_records`, :func:`demo_records` and :func:`aggregate` --
  the data model, deterministic sample data (fixed, or relative to a date for demos), and
  the endpoint's grouping semantics as a plain function.

Only the standard library is imported at import time; pydantic (for FastAPI-exact datetime
parsing) and the SDK pieces are imported when first needed.
"""

from __future__ import annotations

import functools
import hmac
import http
import json
import logging
import random
import select
import socket
import socketserver
import struct
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final, Literal, Optional, Union
from urllib.parse import parse_qsl, urlsplit

if TYPE_CHECKING:
    from pydantic import TypeAdapter

    from _generated.api_client import ApiClient
    from _generated.configuration import Configuration

__all__ = [
    "DEFAULT_SAMPLE_START",
    "DEMO_DAYS",
    "ENDPOINT_PATH",
    "REDACTED",
    "RULE_TYPES",
    "SCOPES",
    "Clock",
    "FakeUsageEngine",
    "Fault",
    "FaultKind",
    "RecordedRequest",
    "UsageRecord",
    "aggregate",
    "demo_records",
    "sample_records",
]

_log = logging.getLogger("_generated.testing")

#: The one path the fake serves.
ENDPOINT_PATH: Final = "/api/v2/usage/tokens"
#: Rule types used by :func:`sample_records` (names of the engine's rule kinds).
RULE_TYPES: Final[tuple[str, ...]] = (
    "PromptInjectionRule",
    "PIIDataRule",
    "ToxicityRule",
    "RegexRule",
    "KeywordRule",
    "SensitiveDataRule",
    "ModelHallucinationRuleV2",
)
#: Valid ``group_by`` values, in the order FastAPI names them in its 422 message.
SCOPES: Final[tuple[str, ...]] = ("rule_type", "task")
#: First instant of the default sample period (November 2026, UTC).
DEFAULT_SAMPLE_START: Final = datetime(2026, 11, 1, tzinfo=timezone.utc)
#: Whole days before today that :func:`demo_records` covers (today comes on top).
DEMO_DAYS: Final = 60
#: What a recorded Authorization header value is replaced with.
REDACTED: Final = "REDACTED"

_SCOPES_EXPECTED: Final = "'rule_type' or 'task'"
# Rules that are plain pattern matching and so incur no LLM evaluation tokens.
_NON_LLM_RULES: Final = frozenset({"RegexRule", "KeywordRule"})
_MAX_REQUEST_BODY: Final = 1 << 20
_WRITE_CHUNK: Final = 256 * 1024
_SINGLE_WRITE_LIMIT: Final = 64 * 1024
_POLL_INTERVAL: Final = 0.02
# Records per day of sample_records()'s defaults (2,000 over 30 days), kept by demo_records().
_RECORDS_PER_DAY: Final = 67

Clock = Callable[[], datetime]
"""A function returning the current time as an aware datetime."""


# -- data ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UsageRecord:
    """Tokens one rule evaluation (or inference) used, at one instant, for one task."""

    timestamp: datetime
    task_id: str
    rule_type: str
    inference: int
    eval_prompt: int
    eval_completion: int

    def __post_init__(self) -> None:
        if not isinstance(self.timestamp, datetime) or self.timestamp.utcoffset() is None:
            raise ValueError(
                f"UsageRecord.timestamp must be a timezone-aware datetime, got {self.timestamp!r}"
            )
        for name in ("inference", "eval_prompt", "eval_completion"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"UsageRecord.{name} must be an int >= 0, got {value!r}")


def sample_records(
    seed: int = 0,
    *,
    start: datetime = DEFAULT_SAMPLE_START,
    days: int = 30,
    tasks: Union[int, Sequence[str]] = 4,
    rule_types: Sequence[str] = RULE_TYPES,
    count: int = 2000,
) -> list[UsageRecord]:
    """Return ``count`` deterministic, plausible usage records, sorted by timestamp.

    The same arguments always give the same records. Timestamps are whole seconds in
    ``[start, start + days)`` (UTC; a naive ``start`` is taken as UTC), busier on weekdays
    and slowly growing. ``tasks`` is either how many uuid-like task ids to make or the ids
    themselves. Pattern rules (``RegexRule``, ``KeywordRule``) use no evaluation tokens.
    """
    if not isinstance(days, int) or days < 1:
        raise ValueError(f"days must be an int >= 1, got {days!r}")
    if not isinstance(count, int) or count < 0:
        raise ValueError(f"count must be an int >= 0, got {count!r}")
    if not rule_types:
        raise ValueError("rule_types must name at least one rule type")
    rng = random.Random(seed)
    if isinstance(tasks, int):
        if tasks < 1:
            raise ValueError(f"tasks must be >= 1 or a sequence of task ids, got {tasks!r}")
        task_ids = [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(tasks)]
    else:
        task_ids = list(tasks)
        if not task_ids:
            raise ValueError("tasks must be >= 1 or a non-empty sequence of task ids")
    origin = _as_utc(start, "start")
    day_weights = [
        (1.0 if (origin + timedelta(days=d)).weekday() < 5 else 0.45) * (1.0 + 0.5 * d / days)
        for d in range(days)
    ]
    task_weights = [rng.uniform(0.5, 3.0) for _ in task_ids]
    rule_weights = [rng.uniform(0.5, 2.0) for _ in rule_types]
    day_of = rng.choices(range(days), weights=day_weights, k=count)
    task_of = rng.choices(task_ids, weights=task_weights, k=count)
    rule_of = rng.choices(list(rule_types), weights=rule_weights, k=count)
    records: list[UsageRecord] = []
    for day, task_id, rule_type in zip(day_of, task_of, rule_of, strict=False):
        offset = day * 86400 + rng.randrange(86400)
        inference = rng.randint(20, 1500)
        if rule_type in _NON_LLM_RULES:
            eval_prompt = eval_completion = 0
        else:
            eval_prompt = inference + rng.randint(80, 600)
            eval_completion = rng.randint(1, 120)
        records.append(
            UsageRecord(
                timestamp=origin + timedelta(seconds=offset),
                task_id=task_id,
                rule_type=rule_type,
                inference=inference,
                eval_prompt=eval_prompt,
                eval_completion=eval_completion,
            )
        )
    records.sort(key=lambda r: (r.timestamp, r.task_id, r.rule_type))
    return records


def demo_records(now: Optional[datetime] = None, *, days: int = DEMO_DAYS) -> list[UsageRecord]:
    """Sample records for the ``days`` days before ``now``'s UTC day and for that day so far.

    Deterministic for a given day: the data is seeded from the date, so every run on the
    same day sees the same past days. Today's records are spread over ``[midnight, now)``,
    so a report of "today" is never empty. ``now`` defaults to the current time (a naive
    value is taken as UTC).
    """
    if not isinstance(days, int) or isinstance(days, bool) or days < 1:
        raise ValueError(f"days must be an int >= 1, got {days!r}")
    moment = _as_utc(datetime.now(timezone.utc) if now is None else now, "now")
    midnight = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    seed = midnight.date().toordinal()
    past = sample_records(
        seed, start=midnight - timedelta(days=days), days=days, count=_RECORDS_PER_DAY * days
    )
    # Today's share, squeezed into the part of the day that has passed (at least a second).
    elapsed = max((moment - midnight).total_seconds(), 1.0) / 86400
    today = [
        UsageRecord(
            timestamp=midnight + (record.timestamp - midnight) * elapsed,
            task_id=record.task_id,
            rule_type=record.rule_type,
            inference=record.inference,
            eval_prompt=record.eval_prompt,
            eval_completion=record.eval_completion,
        )
        for record in sample_records(
            seed, start=midnight, days=1, tasks=_task_ids(past), count=_RECORDS_PER_DAY
        )
    ]
    return past + today


def _task_ids(records: Sequence[UsageRecord]) -> list[str]:
    return sorted({record.task_id for record in records}) or ["demo-task"]


def aggregate(
    records: Iterable[UsageRecord],
    start: datetime,
    end: datetime,
    group_by: Iterable[str] = ("rule_type",),
) -> list[dict[str, Any]]:
    """Sum ``records`` with ``start <= timestamp < end`` per group, as the endpoint does.

    ``group_by`` holds ``"rule_type"`` and/or ``"task"`` (duplicates and order do not
    matter; ``TokenUsageScope`` members work too). Each row is the endpoint's JSON object:
    ``rule_type``/``task_id`` set when grouped by them, else ``None``, and ``count`` with the
    three counters plus their deprecated copies. Rows are sorted by (rule_type, task_id);
    groups without records are absent. An empty ``group_by`` gives one total row (or none).
    Naive ``start``/``end`` are taken as UTC.
    """
    lower = _as_utc(start, "start")
    upper = _as_utc(end, "end")
    scopes = set()
    for scope in group_by:
        value = getattr(scope, "value", scope)
        if value not in SCOPES:
            raise ValueError(f"group_by values must be 'rule_type' or 'task', got {scope!r}")
        scopes.add(value)
    by_rule = "rule_type" in scopes
    by_task = "task" in scopes
    totals: dict[tuple[Optional[str], Optional[str]], list[int]] = {}
    for record in records:
        if lower <= record.timestamp < upper:
            key = (record.rule_type if by_rule else None, record.task_id if by_task else None)
            acc = totals.get(key)
            if acc is None:
                acc = totals[key] = [0, 0, 0]
            acc[0] += record.inference
            acc[1] += record.eval_prompt
            acc[2] += record.eval_completion
    keys = sorted(totals, key=lambda k: (k[0] or "", k[1] or ""))
    return [_row(key[0], key[1], *totals[key]) for key in keys]


def _row(
    rule_type: Optional[str], task_id: Optional[str], inference: int, prompt: int, completion: int
) -> dict[str, Any]:
    return {
        "rule_type": rule_type,
        "task_id": task_id,
        "count": {
            "inference": inference,
            "eval_prompt": prompt,
            "eval_completion": completion,
            "user_input": inference,
            "prompt": prompt,
            "completion": completion,
        },
    }


def _as_utc(value: datetime, name: str) -> datetime:
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime, got {type(value).__name__}")
    if value.utcoffset() is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


# -- recorded requests and faults ------------------------------------------------------------


#: The kinds of :class:`Fault`.
FaultKind = Literal["status", "body", "delay", "drop", "reset", "hang", "truncate", "slow_body"]


@dataclass(frozen=True)
class RecordedRequest:
    """One request the fake received, recorded before it was answered (or faulted).

    ``query`` maps each parameter to all its values in order; ``headers`` keeps the names
    as sent, with the Authorization value replaced by :data:`REDACTED`; ``authorized`` says
    whether it carried ``Bearer <the engine's token>``; ``time`` is ``time.monotonic()``
    when the request head was read (subtract two to measure a client's backoff);
    ``fault`` is the kind of the :class:`Fault` applied, if any; ``client`` is the
    client's ``(address, port)``: one port per connection, so the distinct values count the
    connections a client used.
    """

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    authorized: bool
    time: float
    query_string: str = ""
    fault: Optional[FaultKind] = None
    client: tuple[str, int] = ("", 0)

    def header(self, name: str, default: Optional[str] = None) -> Optional[str]:
        """Value of header ``name`` (case-insensitive), or ``default``."""
        wanted = name.lower()
        for key, value in self.headers.items():
            if key.lower() == wanted:
                return value
        return default


@dataclass(frozen=True, repr=False)
class Fault:
    """What the fake does instead of answering a request normally.

    Build one with the class methods and queue it with :meth:`FakeUsageEngine.inject`.
    A fault applies before authentication and validation, as a proxy or a crashing
    server would. ``code``/``payload`` of ``None`` mean "what the normal answer has".
    """

    kind: FaultKind
    code: Optional[int] = None
    headers: tuple[tuple[str, str], ...] = ()
    payload: Optional[bytes] = None
    content_type: str = "application/json"
    seconds: float = 0.0
    chunk_size: int = 64

    @classmethod
    def status(
        cls,
        code: int,
        *,
        headers: Optional[Mapping[str, str]] = None,
        body: Union[bytes, str, None] = None,
        content_type: str = "application/json",
    ) -> Fault:
        """Answer with HTTP status ``code`` (200-599) instead of the normal answer.

        The body defaults to ``{"detail": "<reason phrase>"}``; ``headers`` are added, e.g.
        ``{"Retry-After": "1"}`` for a 429/503 or ``{"Location": ...}`` for a redirect.
        """
        _check_status(code)
        if body is None:
            phrase = _reason(code)
            payload = json.dumps({"detail": phrase}, separators=(",", ":")).encode()
        else:
            payload = _as_bytes(body)
        return cls("status", code, _header_tuple(headers), payload, content_type)

    @classmethod
    def body(
        cls,
        data: Union[bytes, str],
        content_type: str = "application/json",
        status: int = 200,
        *,
        headers: Optional[Mapping[str, str]] = None,
    ) -> Fault:
        """Answer ``status`` with exactly ``data`` as the body.

        For malformed answers: non-JSON, JSON of the wrong shape, an HTML error page, a
        huge body (sent in chunks straight from ``data``, never copied). A ``str`` is sent
        as UTF-8.
        """
        _check_status(status, "status")
        return cls("body", status, _header_tuple(headers), _as_bytes(data), content_type)

    @classmethod
    def delay(cls, seconds: float) -> Fault:
        """Wait ``seconds``, then answer normally (for read timeouts and deadlines)."""
        return cls("delay", seconds=_check_seconds(seconds, "seconds"))

    @classmethod
    def drop(cls) -> Fault:
        """Close the connection without answering (the client sees the remote end close)."""
        return cls("drop")

    @classmethod
    def reset(cls) -> Fault:
        """Send the head and half the body of the normal answer, then reset (RST) the TCP
        connection."""
        return cls("reset")

    @classmethod
    def hang(cls) -> Fault:
        """Read the request and never answer, until the client leaves or the engine stops."""
        return cls("hang")

    @classmethod
    def truncate(cls) -> Fault:
        """Send the normal answer's head (true Content-Length) and half its body, then close."""
        return cls("truncate")

    @classmethod
    def slow_body(cls, chunk_delay: float, *, chunk_size: int = 64) -> Fault:
        """Answer normally but send the body ``chunk_size`` bytes at a time, waiting
        ``chunk_delay`` seconds before each piece."""
        if not isinstance(chunk_size, int) or chunk_size < 1:
            raise ValueError(f"chunk_size must be an int >= 1, got {chunk_size!r}")
        return cls(
            "slow_body", seconds=_check_seconds(chunk_delay, "chunk_delay"), chunk_size=chunk_size
        )

    def __repr__(self) -> str:
        parts = [repr(self.kind)]
        if self.code is not None:
            parts.append(f"code={self.code}")
        if self.headers:
            parts.append(f"headers={dict(self.headers)!r}")
        if self.payload is not None:
            shown = (
                repr(self.payload) if len(self.payload) <= 60 else f"<{len(self.payload)} bytes>"
            )
            parts.append(f"payload={shown}, content_type={self.content_type!r}")
        if self.kind in ("delay", "slow_body"):
            parts.append(f"seconds={self.seconds}")
        if self.kind == "slow_body":
            parts.append(f"chunk_size={self.chunk_size}")
        return f"Fault({', '.join(parts)})"


def _check_status(code: object, name: str = "code") -> None:
    if not isinstance(code, int) or isinstance(code, bool) or not 200 <= code <= 599:
        raise ValueError(f"{name} must be an HTTP status int in 200..599, got {code!r}")


def _check_seconds(value: object, name: str) -> float:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not value >= 0:
        raise ValueError(f"{name} must be a number of seconds >= 0, got {value!r}")
    return float(value)


def _as_bytes(data: Union[bytes, str]) -> bytes:
    if isinstance(data, str):
        return data.encode("utf-8")
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data) if not isinstance(data, bytes) else data
    raise TypeError(f"body must be bytes or str, got {type(data).__name__}")


def _header_tuple(headers: Optional[Mapping[str, str]]) -> tuple[tuple[str, str], ...]:
    return tuple((str(k), str(v)) for k, v in (headers or {}).items())


def _reason(code: int) -> str:
    try:
        return http.HTTPStatus(code).phrase
    except ValueError:
        return "Unknown"


# -- request handling (FastAPI-compatible semantics) -----------------------------------------


def _json(obj: object) -> bytes:
    # Starlette's JSONResponse rendering: compact, UTF-8 (``str`` for odd error contexts).
    text = json.dumps(obj, ensure_ascii=False, allow_nan=False, separators=(",", ":"), default=str)
    return text.encode("utf-8")


def _is_authorized(header: Optional[str], token: str) -> bool:
    # FastAPI's HTTPBearer: "<scheme> <credentials>", scheme case-insensitive.
    if not header:
        return False
    scheme, _, credentials = header.partition(" ")
    credentials = credentials.strip()
    if not scheme or not credentials or scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(credentials.encode("utf-8"), token.encode("utf-8"))


@functools.lru_cache(maxsize=1)
def _datetime_adapter() -> TypeAdapter[datetime]:
    from pydantic import TypeAdapter

    return TypeAdapter(datetime)


def _parse_datetime(name: str, raw: str) -> tuple[Optional[datetime], list[dict[str, Any]]]:
    """Parse a query value as FastAPI does for a ``datetime`` parameter (pydantic, lax)."""
    from pydantic import ValidationError

    try:
        return _datetime_adapter().validate_python(raw), []
    except ValidationError as exc:
        errors = []
        for error in exc.errors(include_url=False):
            entry: dict[str, Any] = dict(error)
            entry["loc"] = ["query", name, *error["loc"]]
            errors.append(entry)
        return None, errors


def _utc_day_bounds(now: datetime) -> tuple[datetime, datetime]:
    day = now.astimezone(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    return day, day + timedelta(days=1)


def _system_clock() -> datetime:
    return datetime.now(timezone.utc)


def _as_clock(now: Union[datetime, Clock, None]) -> Clock:
    if now is None:
        return _system_clock
    if isinstance(now, datetime):
        fixed = _as_utc(now, "now")
        return lambda: fixed
    if callable(now):
        return now
    raise TypeError(f"now must be a datetime, a callable returning one, or None, got {now!r}")


def _answer(
    records: Sequence[UsageRecord], query: Sequence[tuple[str, str]], now: datetime
) -> tuple[int, bytes]:
    """Status and JSON body for an authorized GET of the endpoint."""
    last: dict[str, str] = {}
    group_by: list[str] = []
    for key, value in query:
        if key == "group_by":
            group_by.append(value)
        else:
            last[key] = value
    errors: list[dict[str, Any]] = []
    bounds: dict[str, Optional[datetime]] = {}
    for name in ("start_time", "end_time"):
        bounds[name] = None
        if name in last:
            bounds[name], bad = _parse_datetime(name, last[name])
            errors.extend(bad)
    for index, value in enumerate(group_by):
        if value not in SCOPES:
            errors.append(
                {
                    "type": "enum",
                    "loc": ["query", "group_by", index],
                    "msg": f"Input should be {_SCOPES_EXPECTED}",
                    "input": value,
                    "ctx": {"expected": _SCOPES_EXPECTED},
                }
            )
    if errors:
        return 422, _json({"detail": errors})
    day_start, day_end = _utc_day_bounds(now)
    start = bounds["start_time"] or day_start
    end = bounds["end_time"] or day_end
    return 200, _json(aggregate(records, start, end, group_by or ["rule_type"]))


class _EngineHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], engine: FakeUsageEngine) -> None:
        self.engine = engine
        self.stopping = threading.Event()
        self._open_lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._reset: set[socket.socket] = set()
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind does a reverse DNS lookup of the host; not needed here.
        socketserver.TCPServer.server_bind(self)
        self.server_name = str(self.server_address[0])
        self.server_port = int(self.server_address[1])

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def mark_for_reset(self, sock: socket.socket) -> None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        with self._open_lock:
            self._reset.add(sock)

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
            abort = request in self._reset
            self._reset.discard(request)
        if abort:
            # Close without a FIN first, so SO_LINGER 0 turns the close into an RST.
            self.close_request(request)
        else:
            super().shutdown_request(request)

    def abort_connections(self) -> None:
        with self._open_lock:
            sockets = list(self._open)
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def handle_error(self, request: Any, client_address: Any) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, (OSError, ValueError)):
            # The client went away (or the engine stopped) mid-answer: normal in tests.
            _log.debug("connection from %s ended: %r", client_address, exc)
        else:
            _log.exception("FakeUsageEngine failed answering %s", client_address)


class _Handler(BaseHTTPRequestHandler):
    server: _EngineHTTPServer
    protocol_version = "HTTP/1.1"
    server_version = "FakeUsageEngine"
    sys_version = ""

    def setup(self) -> None:
        super().setup()
        # Head and body may go in separate writes; don't let Nagle hold the second one.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        _log.debug("%s - %s", self.address_string(), format % args)

    def do_GET(self) -> None:
        self._dispatch()

    do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_GET

    # -- dispatch ----------------------------------------------------------------------------

    def _dispatch(self) -> None:
        engine = self.server.engine
        stopping = self.server.stopping
        if not self._discard_request_body():
            return
        target = urlsplit(self.path)
        query = parse_qsl(target.query, keep_blank_values=True)
        auth_header = self.headers.get("Authorization")
        authorized = _is_authorized(auth_header, engine.token)
        fault = engine._take_fault(target.path)
        headers: dict[str, str] = {}
        for name, value in self.headers.items():
            headers[name] = REDACTED if name.lower() == "authorization" else value
        grouped: dict[str, list[str]] = {}
        for key, value in query:
            grouped.setdefault(key, []).append(value)
        engine._record(
            RecordedRequest(
                method=self.command,
                path=target.path,
                query=grouped,
                headers=headers,
                authorized=authorized,
                time=time.monotonic(),
                query_string=target.query,
                fault=fault.kind if fault else None,
                client=(str(self.client_address[0]), int(self.client_address[1])),
            )
        )
        latency = engine.latency
        if latency > 0 and stopping.wait(latency):
            self.close_connection = True
            return
        if fault is None:
            self._send(*self._normal(target.path, query, authorized))
            return
        kind = fault.kind
        if kind == "drop":
            self.close_connection = True
        elif kind == "hang":
            self._hang()
        elif kind in ("status", "body"):
            ctype = [("Content-Type", fault.content_type)]
            payload = fault.payload if fault.payload is not None else b""
            self._send(fault.code or 200, ctype + list(fault.headers), payload)
        elif kind == "delay":
            if stopping.wait(fault.seconds):
                self.close_connection = True
                return
            self._send(*self._normal(target.path, query, authorized))
        elif kind == "slow_body":
            status, head, body = self._normal(target.path, query, authorized)
            self._send(status, head, body, chunk_size=fault.chunk_size, chunk_delay=fault.seconds)
        elif kind in ("truncate", "reset"):
            status, head, body = self._normal(target.path, query, authorized)
            self._send(status, head, body, send_only=len(body) // 2)
            self.close_connection = True
            if kind == "reset":
                self.server.mark_for_reset(self.connection)

    def _normal(
        self, path: str, query: Sequence[tuple[str, str]], authorized: bool
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        json_type = ("Content-Type", "application/json")
        if path != ENDPOINT_PATH:
            return 404, [json_type], _json({"detail": "Not Found"})
        if self.command != "GET":
            return 405, [json_type, ("Allow", "GET")], _json({"detail": "Method Not Allowed"})
        if not authorized:
            head = [json_type, ("WWW-Authenticate", "Bearer")]
            return 401, head, _json({"detail": "Not authenticated"})
        engine = self.server.engine
        status, body = _answer(engine.records, query, engine.now)
        return status, [json_type], body

    # -- writing -----------------------------------------------------------------------------

    def _send(
        self,
        status: int,
        headers: Sequence[tuple[str, str]],
        body: bytes,
        *,
        send_only: Optional[int] = None,
        chunk_size: Optional[int] = None,
        chunk_delay: float = 0.0,
    ) -> None:
        """Write a whole HTTP/1.1 answer (or its first ``send_only`` body bytes)."""
        no_body = status in (204, 304) or 100 <= status < 200
        lines = [f"HTTP/1.1 {status} {_reason(status)}"]
        lines.append(f"Server: {self.server_version}")
        lines.append(f"Date: {formatdate(usegmt=True)}")
        lines.extend(f"{name}: {value}" for name, value in headers)
        if not no_body:
            lines.append(f"Content-Length: {len(body)}")
        if self.close_connection:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        if no_body or self.command == "HEAD":
            body = b""
        view = memoryview(body)
        if send_only is not None:
            view = view[:send_only]
        sock = self.connection
        if chunk_size is None and len(view) <= _SINGLE_WRITE_LIMIT:
            sock.sendall(head + view.tobytes())
            return
        sock.sendall(head)
        step = chunk_size or _WRITE_CHUNK
        for offset in range(0, len(view), step):
            if chunk_delay and self.server.stopping.wait(chunk_delay):
                self.close_connection = True
                return
            sock.sendall(view[offset : offset + step])

    def _discard_request_body(self) -> bool:
        length = self.headers.get("Content-Length")
        if not length:
            return True
        try:
            size = int(length)
        except ValueError:
            size = -1
        if not 0 <= size <= _MAX_REQUEST_BODY:
            self.send_error(413 if size > 0 else 400)
            self.close_connection = True
            return False
        self.rfile.read(size)
        return True

    def _hang(self) -> None:
        # Hold the connection until the engine stops or the client closes its end.
        sock = self.connection
        self.close_connection = True
        while not self.server.stopping.is_set():
            readable, _, _ = select.select([sock], [], [], _POLL_INTERVAL * 5)
            if not readable:
                continue
            try:
                if not sock.recv(1, socket.MSG_PEEK):
                    return
            except OSError:
                return
            # The client sent more bytes: leave them unread and keep waiting.
            if self.server.stopping.wait(_POLL_INTERVAL * 5):
                return


# -- the engine ------------------------------------------------------------------------------


@dataclass
class _QueuedFault:
    fault: Fault
    remaining: int
    path: Optional[str]


class FakeUsageEngine:
    """A fake GenAI Engine on a real socket, for testing code that uses the SDK.

    ``records`` are the usage data it serves (default: :func:`sample_records()`, November
    2026); ``token`` is the bearer token it accepts; ``port=0`` picks a free port;
    ``latency`` (seconds) delays every answer; ``now`` is its clock (a fixed datetime, a
    callable returning one, or ``None`` for the system clock), which decides what "the
    current day" is for requests without bounds. Start it with ``with`` or :meth:`start`;
    :meth:`stop` returns within a second even with hung connections.
    """

    def __init__(
        self,
        records: Optional[Iterable[UsageRecord]] = None,
        token: str = "test-token",
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        latency: float = 0.0,
        now: Union[datetime, Clock, None] = None,
    ) -> None:
        if not isinstance(token, str) or not token or token != token.strip():
            raise ValueError("token must be a non-empty string without surrounding spaces")
        if not isinstance(port, int) or not 0 <= port <= 65535:
            raise ValueError(f"port must be an int in 0..65535, got {port!r}")
        self.token = token
        self.latency = _check_seconds(latency, "latency")
        self._clock = _as_clock(now)
        self._records: tuple[UsageRecord, ...] = tuple(
            sample_records() if records is None else records
        )
        self._bind_host = host
        self._bind_port = port
        self._lock = threading.Lock()
        self._requests: list[RecordedRequest] = []
        self._faults: list[_QueuedFault] = []
        self._server: Optional[_EngineHTTPServer] = None
        self._thread: Optional[threading.Thread] = None

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> FakeUsageEngine:
        """Bind and start serving in background threads; returns ``self``. Idempotent."""
        if self._server is not None:
            return self
        server = _EngineHTTPServer((self._bind_host, self._bind_port), self)
        thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": _POLL_INTERVAL},
            name=f"FakeUsageEngine:{server.server_port}",
            daemon=True,
        )
        thread.start()
        self._server, self._thread = server, thread
        return self

    def stop(self) -> None:
        """Stop serving and close every connection (hung ones too). Idempotent."""
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        self._server = self._thread = None
        server.stopping.set()
        server.shutdown()
        server.server_close()
        server.abort_connections()
        thread.join(timeout=1.0)

    def __enter__(self) -> FakeUsageEngine:
        return self.start()

    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        """Whether the server is accepting connections."""
        return self._server is not None

    @property
    def port(self) -> int:
        """The TCP port it listens on."""
        return int(self._running_server().server_address[1])

    @property
    def host(self) -> str:
        """Base URL for ``Configuration(host=...)``, e.g. ``http://127.0.0.1:54321``."""
        address = self._bind_host
        if ":" in address:
            address = f"[{address}]"
        return f"http://{address}:{self.port}"

    def url(self, path: str = ENDPOINT_PATH) -> str:
        """Absolute URL of ``path`` (which may include a query string) on this server."""
        return self.host + (path if path.startswith("/") else "/" + path)

    @property
    def auth_headers(self) -> dict[str, str]:
        """``{"Authorization": "Bearer <token>"}`` for raw HTTP requests."""
        return {"Authorization": f"Bearer {self.token}"}

    # -- data --------------------------------------------------------------------------------

    @property
    def now(self) -> datetime:
        """The current time of the engine's clock (UTC); assign a datetime or a callable."""
        return _as_utc(self._clock(), "now()")

    @now.setter
    def now(self, now: Union[datetime, Clock, None]) -> None:
        self._clock = _as_clock(now)

    @property
    def records(self) -> tuple[UsageRecord, ...]:
        """The usage records served; assign an iterable of :class:`UsageRecord` to replace."""
        return self._records

    @records.setter
    def records(self, records: Iterable[UsageRecord]) -> None:
        self._records = tuple(records)

    def expected(
        self, start: datetime, end: datetime, group_by: Iterable[str] = ("rule_type",)
    ) -> list[dict[str, Any]]:
        """What the endpoint answers for this range and grouping (see :func:`aggregate`)."""
        return aggregate(self._records, start, end, group_by)

    # -- SDK helpers -------------------------------------------------------------------------

    def configuration(self, **kwargs: Any) -> Configuration:
        """A ``Configuration`` for this server (``host`` and ``access_token`` set).

        Keyword arguments are passed through and may override those two.
        """
        from _generated.configuration import Configuration

        kwargs.setdefault("host", self.host)
        kwargs.setdefault("access_token", self.token)
        return Configuration(**kwargs)

    def api_client(self, **kwargs: Any) -> ApiClient:
        """An ``ApiClient`` on :meth:`configuration` (``kwargs`` go to it); close it after."""
        from _generated.api_client import ApiClient

        return ApiClient(self.configuration(**kwargs))

    # -- requests and faults -----------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """A snapshot of every request received so far, oldest first (faulted ones too)."""
        with self._lock:
            return list(self._requests)

    @property
    def attempts(self) -> int:
        """How many requests the server has received (each retry counts)."""
        with self._lock:
            return len(self._requests)

    @property
    def pending_faults(self) -> int:
        """How many queued fault applications are still unused."""
        with self._lock:
            return sum(entry.remaining for entry in self._faults)

    def inject(self, fault: Fault, times: int = 1, *, path: Optional[str] = None) -> None:
        """Apply ``fault`` to the next ``times`` requests (to ``path`` only, if given).

        Faults queue in order: ``inject(Fault.status(503)); inject(Fault.drop())`` fails the
        next request with 503 and drops the one after; later requests are answered normally.
        """
        if not isinstance(fault, Fault):
            raise TypeError(f"fault must be a Fault, got {type(fault).__name__}")
        if not isinstance(times, int) or isinstance(times, bool) or times < 1:
            raise ValueError(f"times must be an int >= 1, got {times!r}")
        with self._lock:
            self._faults.append(_QueuedFault(fault, times, path))

    def clear(self) -> None:
        """Forget recorded requests and drop queued faults."""
        with self._lock:
            self._requests.clear()
            self._faults.clear()

    def _take_fault(self, path: str) -> Optional[Fault]:
        with self._lock:
            for index, entry in enumerate(self._faults):
                if entry.path is not None and entry.path != path:
                    continue
                entry.remaining -= 1
                if entry.remaining == 0:
                    del self._faults[index]
                return entry.fault
        return None

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)

    def _running_server(self) -> _EngineHTTPServer:
        if self._server is None:
            raise RuntimeError("FakeUsageEngine is not running; use `with` or call start()")
        return self._server

    def __repr__(self) -> str:
        where = self.host if self._server is not None else "stopped"
        return f"<FakeUsageEngine {where} records={len(self._records)}>"
