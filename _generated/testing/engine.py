"""``FakeUsageEngine``: the fake GenAI Engine, its options, data, recorded requests and faults."""

from __future__ import annotations

import random
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from types import TracebackType
from typing import TYPE_CHECKING, Any, Optional, Union

from _generated.testing.data import (
    Clock,
    UsageRecord,
    aggregate,
    as_utc,
    engine_order,
    sample_records,
)
from _generated.testing.endpoint import (
    DEFAULT_ROLE,
    DEFAULT_SCOPE,
    ENDPOINT_PATH,
    READ_ROLES,
    EndpointState,
)
from _generated.testing.faults import Fault, RecordedRequest, check_seconds
from _generated.testing.server import POLL_INTERVAL, EngineHTTPServer

if TYPE_CHECKING:
    from _generated.api_client import ApiClient
    from _generated.configuration import Configuration

__all__ = ["DEFAULT_TOKEN", "FakeUsageEngine"]

#: The key a ``FakeUsageEngine()`` accepts when given neither ``token`` nor ``tokens``.
DEFAULT_TOKEN = "test-token"


@dataclass
class _QueuedFault:
    fault: Fault
    remaining: int
    path: Optional[str]


class FakeUsageEngine:
    """A fake GenAI Engine on a real socket, for testing code that uses the SDK.

    By default it answers as the real engine does (docs/testing.md lists how that differs
    from the spec); ``spec_mode=True`` answers as the OpenAPI description says instead.

    ``records`` are the usage data it serves (default: :func:`sample_records()`, November
    2026). ``tokens`` maps each API key it knows to its role (``ORG-ADMIN``,
    ``ORG-AUDITOR`` and ``TENANT-USER`` may read usage, any other role gets 403);
    ``token`` is one more key, with a reading role unless ``tokens`` says otherwise, and
    the one :meth:`configuration` uses (default ``"test-token"``, or the first key of
    ``tokens`` that may read, or its first key if none may). ``seed`` fixes the arbitrary
    order of result rows (default: a new order per instance, like a new engine process).
    ``port=0`` picks a free port;
    ``latency`` (seconds) delays every answer; ``now`` is its clock (a fixed datetime, a
    callable returning one, or ``None`` for the system clock), which decides what "the
    current day" is for requests without bounds in spec mode. Start it with ``with`` or
    :meth:`start`; :meth:`stop` returns within a second even with hung connections.
    """

    def __init__(
        self,
        records: Optional[Iterable[UsageRecord]] = None,
        token: Optional[str] = None,
        *,
        tokens: Optional[Mapping[str, str]] = None,
        spec_mode: bool = False,
        seed: Optional[int] = None,
        host: str = "127.0.0.1",
        port: int = 0,
        latency: float = 0.0,
        now: Union[datetime, Clock, None] = None,
    ) -> None:
        if not isinstance(port, int) or isinstance(port, bool) or not 0 <= port <= 65535:
            raise ValueError(f"port must be an int in 0..65535, got {port!r}")
        if not isinstance(spec_mode, bool):
            raise TypeError(f"spec_mode must be a bool, got {spec_mode!r}")
        if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool)):
            raise TypeError(f"seed must be an int or None, got {seed!r}")
        self._tokens = _check_tokens(tokens)
        if token is None:
            readers = [key for key, role in self._tokens.items() if role in READ_ROLES]
            token = readers[0] if readers else (next(iter(self._tokens), DEFAULT_TOKEN))
        _check_key(token, "token")
        self._tokens.setdefault(token, DEFAULT_ROLE)
        self._token = token
        self.spec_mode = spec_mode
        # One engine process orders groups one way; a new instance is a new process.
        self._order_salt = random.Random(seed).getrandbits(64)
        self.latency = latency
        self._clock = _as_clock(now)
        self._records = _check_records(sample_records() if records is None else records)
        self._bind_host = host
        self._bind_port = port
        self._lock = threading.Lock()
        self._requests: list[RecordedRequest] = []
        self._faults: list[_QueuedFault] = []
        self._server: Optional[EngineHTTPServer] = None
        self._thread: Optional[threading.Thread] = None
        self._entered = 0

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> FakeUsageEngine:
        """Bind and start serving in background threads; returns ``self``. Idempotent."""
        if self._server is not None:
            return self
        server = EngineHTTPServer((self._bind_host, self._bind_port), self)
        thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": POLL_INTERVAL},
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
        self._entered += 1
        return self.start()

    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        # Nested ``with engine:`` blocks (a fixture's and a test's) stop it at the outer end.
        self._entered = max(self._entered - 1, 0)
        if self._entered == 0:
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

    @property
    def token(self) -> str:
        """The key :meth:`configuration` and :attr:`auth_headers` use (one that may read)."""
        return self._token

    @property
    def tokens(self) -> dict[str, str]:
        """A copy of the keys the engine knows, each with its role."""
        return dict(self._tokens)

    # -- data --------------------------------------------------------------------------------

    @property
    def now(self) -> datetime:
        """The current time of the engine's clock (UTC); assign a datetime or a callable."""
        return as_utc(self._clock(), "now()")

    @now.setter
    def now(self, now: Union[datetime, Clock, None]) -> None:
        self._clock = _as_clock(now)

    @property
    def records(self) -> tuple[UsageRecord, ...]:
        """The usage records served; assign an iterable of :class:`UsageRecord` to replace."""
        return self._records

    @records.setter
    def records(self, records: Iterable[UsageRecord]) -> None:
        self._records = _check_records(records)

    @property
    def latency(self) -> float:
        """Seconds every answer waits (faults included); assign a number >= 0 to change."""
        return self._latency

    @latency.setter
    def latency(self, seconds: float) -> None:
        self._latency = check_seconds(seconds, "latency")

    def expected(
        self,
        start: Optional[datetime] = None,
        end: Optional[datetime] = None,
        group_by: Iterable[str] = ("rule_type",),
    ) -> list[dict[str, Any]]:
        """What the endpoint answers for this range and grouping, in this engine's order.

        ``None`` for a bound means what an omitted bound means in the engine's mode: no bound,
        or (spec mode) the current UTC day of its clock. See :func:`aggregate`.
        """
        if isinstance(group_by, str):
            raise TypeError(f"group_by must be a list of scopes such as ['task'], got {group_by!r}")
        if self.spec_mode and (start is None or end is None):
            day = self.now.replace(hour=0, minute=0, second=0, microsecond=0)
            start = day if start is None else start
            end = day + timedelta(days=1) if end is None else end
        # As the endpoint: a request naming no scope is grouped by the default one.
        rows = aggregate(self._records, start, end, list(group_by) or [DEFAULT_SCOPE])
        return engine_order(rows, self._order_salt)

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
        if path is not None and (
            not isinstance(path, str) or not path.startswith("/") or "?" in path or "#" in path
        ):
            raise ValueError(
                f"path must be a URL path such as {ENDPOINT_PATH!r} (no host or query), "
                f"got {path!r}"
            )
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

    def _endpoint_state(self) -> EndpointState:
        return EndpointState(
            records=self._records,
            # Only spec mode reads the clock (for omitted bounds): the engine has no use for it.
            now=self.now if self.spec_mode else None,
            tokens=self._tokens,
            spec_mode=self.spec_mode,
            order_salt=self._order_salt,
        )

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)

    def _running_server(self) -> EngineHTTPServer:
        if self._server is None:
            raise RuntimeError("FakeUsageEngine is not running; use `with` or call start()")
        return self._server

    def __repr__(self) -> str:
        where = self.host if self._server is not None else "stopped"
        mode = " spec_mode" if self.spec_mode else ""
        return f"<FakeUsageEngine {where} records={len(self._records)}{mode}>"


def _check_key(key: object, name: str) -> None:
    if not isinstance(key, str) or not key or key != key.strip() or " " in key:
        kind = type(key).__name__
        raise ValueError(f"{name} must be a non-empty string without spaces, got a {kind}")


def _check_tokens(tokens: Optional[Mapping[str, str]]) -> dict[str, str]:
    if tokens is None:
        return {}
    if not isinstance(tokens, Mapping):
        raise TypeError(f"tokens must map each key to a role, got {type(tokens).__name__}")
    checked: dict[str, str] = {}
    for key, role in tokens.items():
        _check_key(key, "each key of tokens")
        if not isinstance(role, str) or not role.strip():
            raise ValueError(f"tokens roles must be non-empty strings such as {DEFAULT_ROLE!r}")
        checked[key] = role.strip().upper()
    return checked


def _check_records(records: Iterable[UsageRecord]) -> tuple[UsageRecord, ...]:
    if isinstance(records, (str, bytes)) or not isinstance(records, Iterable):
        raise TypeError(f"records must be an iterable of UsageRecord, got {type(records).__name__}")
    checked = tuple(records)
    for record in checked:
        if not isinstance(record, UsageRecord):
            raise TypeError(f"records must hold UsageRecord objects, got a {type(record).__name__}")
    return checked


def _system_clock() -> datetime:
    return datetime.now(timezone.utc)


def _as_clock(now: Union[datetime, Clock, None]) -> Clock:
    if now is None:
        return _system_clock
    if isinstance(now, datetime):
        fixed = as_utc(now, "now")
        return lambda: fixed
    if callable(now):
        return now
    raise TypeError(f"now must be a datetime, a callable returning one, or None, got {now!r}")
