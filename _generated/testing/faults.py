"""What the fake records of each request, and the faults it can apply instead of answering."""

from __future__ import annotations

import http
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal, Optional, Union, get_args

__all__ = ["REDACTED", "Fault", "FaultKind", "RecordedRequest", "check_seconds", "reason"]

#: What a recorded Authorization header value is replaced with.
REDACTED: Final = "REDACTED"

#: The kinds of :class:`Fault`.
FaultKind = Literal["status", "body", "delay", "drop", "reset", "hang", "truncate", "slow_body"]


@dataclass(frozen=True)
class RecordedRequest:
    """One request the fake received, recorded before it was answered (or faulted).

    ``query`` maps each parameter to all its values in order; ``headers`` keeps the names
    as sent, with the Authorization value replaced by :data:`REDACTED`; ``authorized`` says
    whether it carried ``Bearer <key>`` with a key the engine knows whose role may read
    usage (:attr:`FakeUsageEngine.tokens`); ``time`` is ``time.monotonic()``
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

    def __post_init__(self) -> None:
        if self.kind not in _KINDS:
            raise ValueError(
                f"kind must be one of {', '.join(map(repr, _KINDS))}, got {self.kind!r}"
            )

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
            phrase = reason(code)
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
        return cls("delay", seconds=check_seconds(seconds, "seconds"))

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
            "slow_body", seconds=check_seconds(chunk_delay, "chunk_delay"), chunk_size=chunk_size
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


_KINDS: Final = get_args(FaultKind)


def _check_status(code: object, name: str = "code") -> None:
    if not isinstance(code, int) or isinstance(code, bool) or not 200 <= code <= 599:
        raise ValueError(f"{name} must be an HTTP status int in 200..599, got {code!r}")


def check_seconds(value: object, name: str) -> float:
    """``value`` as float seconds, or a ValueError naming ``name`` if it is not a number >= 0."""
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 <= value < math.inf:
        raise ValueError(f"{name} must be a finite number >= 0 (seconds), got {value!r}")
    return float(value)


def _as_bytes(data: Union[bytes, str]) -> bytes:
    if isinstance(data, str):
        return data.encode("utf-8")
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data) if not isinstance(data, bytes) else data
    raise TypeError(f"body must be bytes or str, got {type(data).__name__}")


def _header_tuple(headers: Optional[Mapping[str, str]]) -> tuple[tuple[str, str], ...]:
    return tuple((str(k), str(v)) for k, v in (headers or {}).items())


def reason(code: int) -> str:
    """The HTTP reason phrase of ``code`` (``"Unknown"`` for codes without one)."""
    try:
        return http.HTTPStatus(code).phrase
    except ValueError:
        return "Unknown"
