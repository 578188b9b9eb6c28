"""A FastAPI implementation of ``GET /api/v2/usage/tokens``: the reference server for tests.

It follows the OpenAPI description the way the real engine is built (FastAPI, ``HTTPBearer``,
``datetime`` and ``list[TokenUsageScope]`` query parameters), so FastAPI itself decides what
is valid and how errors look. The fake in ``_generated.testing`` is compared against it;
only the seeded data comes from there, the grouping below is written independently.

Every request is recorded (:class:`Received`) for assertions: the raw query string, what
FastAPI parsed, the effective UTC range, the headers (Authorization redacted) and the status.
"""

import hmac
import threading
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from enum import Enum
from typing import Annotated, Any, Optional

from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from _generated.testing import REDACTED, UsageRecord

__all__ = ["Received", "Recorder", "TokenUsageScope", "create_app"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class TokenUsageScope(str, Enum):
    """What token counts can be grouped on (the schema's ``TokenUsageScope``)."""

    rule_type = "rule_type"
    task = "task"


@dataclass
class Received:
    """One request as the reference server saw it.

    ``start_time``/``end_time`` are the values FastAPI parsed (``None`` when absent or when
    validation failed); ``start``/``end`` the effective UTC range used for filtering;
    ``group_by`` the parsed scopes in request order (``None`` until the endpoint ran, so it
    stays ``None`` for 401/422 answers); ``status`` the status code answered.
    """

    method: str
    path: str
    raw_query: str
    headers: dict[str, str]
    authorized: bool
    start_time: Optional[datetime] = None
    end_time: Optional[datetime] = None
    start: Optional[datetime] = None
    end: Optional[datetime] = None
    group_by: Optional[list[str]] = None
    status: Optional[int] = None


@dataclass
class Recorder:
    """Thread-safe log of :class:`Received` requests; ``reset()`` empties it."""

    _items: list[Received] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, item: Received) -> None:
        with self._lock:
            self._items.append(item)

    @property
    def received(self) -> list[Received]:
        """A snapshot of the requests received so far, oldest first."""
        with self._lock:
            return list(self._items)

    def reset(self) -> None:
        with self._lock:
            self._items.clear()


def _bearer_matches(header: Optional[str], token: str) -> bool:
    if not header or " " not in header:
        return False
    scheme, credentials = header.split(" ", 1)
    credentials = credentials.strip()
    return (
        scheme.lower() == "bearer"
        and bool(credentials)
        and hmac.compare_digest(credentials.encode(), token.encode())
    )


class _RecordingMiddleware:
    """Pure ASGI middleware: records each HTTP request and the status it got."""

    def __init__(self, app: ASGIApp, recorder: Recorder, token: str) -> None:
        self.app = app
        self.recorder = recorder
        self.token = token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers: dict[str, str] = {}
        auth: Optional[str] = None
        for raw_name, raw_value in scope["headers"]:
            name, value = raw_name.decode("latin-1"), raw_value.decode("latin-1")
            if name.lower() == "authorization":
                auth = value if auth is None else auth
                value = REDACTED
            headers[name] = value
        entry = Received(
            method=scope["method"],
            path=scope["path"],
            raw_query=scope["query_string"].decode("latin-1"),
            headers=headers,
            authorized=_bearer_matches(auth, self.token),
        )
        self.recorder.add(entry)
        scope.setdefault("state", {})["received"] = entry

        async def recording_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                entry.status = int(message["status"])
            await send(message)

        await self.app(scope, receive, recording_send)


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value


def _summarize(
    records: Iterable[UsageRecord], start: datetime, end: datetime, scopes: set[str]
) -> list[dict[str, Any]]:
    # Independent of _generated.testing.aggregate: epoch-second filter, defaultdict sums.
    lo, hi = start.timestamp(), end.timestamp()
    sums: defaultdict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    for rec in records:
        if lo <= rec.timestamp.timestamp() < hi:
            rule = rec.rule_type if "rule_type" in scopes else ""
            task = rec.task_id if "task" in scopes else ""
            totals = sums[(rule, task)]
            totals[0] += rec.inference
            totals[1] += rec.eval_prompt
            totals[2] += rec.eval_completion
    rows = []
    for (rule, task), (inference, prompt, completion) in sorted(sums.items()):
        rows.append(
            {
                "rule_type": rule if "rule_type" in scopes else None,
                "task_id": task if "task" in scopes else None,
                "count": {
                    "inference": inference,
                    "eval_prompt": prompt,
                    "eval_completion": completion,
                    "user_input": inference,
                    "prompt": prompt,
                    "completion": completion,
                },
            }
        )
    return rows


def create_app(
    records: Iterable[UsageRecord],
    token: str,
    now: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
) -> FastAPI:
    """A FastAPI app serving ``records`` behind bearer ``token``.

    ``app.state.recorder`` is the :class:`Recorder` of requests received;
    ``app.state.records`` the served records (a tuple).
    """
    data = tuple(records)
    recorder = Recorder()
    app = FastAPI(title="Arthur GenAI Engine (test reference)", version="2.1.686")
    app.state.recorder = recorder
    app.state.records = data
    bearer = HTTPBearer(scheme_name="API Key", description="Bearer token authentication")

    def authenticate(
        credentials: Annotated[HTTPAuthorizationCredentials, Depends(bearer)],
    ) -> None:
        if not hmac.compare_digest(credentials.credentials.encode(), token.encode()):
            raise HTTPException(
                status_code=401,
                detail="Not authenticated",
                headers={"WWW-Authenticate": "Bearer"},
            )

    @app.get("/api/v2/usage/tokens", tags=["Usage"], dependencies=[Depends(authenticate)])
    def get_token_usage(
        request: Request,
        start_time: Annotated[
            Optional[datetime], Query(description="Inclusive start date in ISO8601 format.")
        ] = None,
        end_time: Annotated[
            Optional[datetime], Query(description="Exclusive end date in ISO8601 format.")
        ] = None,
        group_by: Annotated[
            list[TokenUsageScope], Query(description="Entities to group token counts on.")
        ] = [TokenUsageScope.rule_type],  # noqa: B006 -- FastAPI copies defaults per request
    ) -> list[dict[str, Any]]:
        today = _utc(now()).replace(hour=0, minute=0, second=0, microsecond=0)
        start = _utc(start_time) if start_time is not None else today
        end = _utc(end_time) if end_time is not None else today + timedelta(days=1)
        scopes = [TokenUsageScope(g).value for g in group_by]
        entry: Optional[Received] = getattr(request.state, "received", None)
        if entry is not None:
            entry.start_time, entry.end_time = start_time, end_time
            entry.start, entry.end = start, end
            entry.group_by = scopes
        return _summarize(data, start, end, set(scopes))

    app.add_middleware(_RecordingMiddleware, recorder=recorder, token=token)
    return app
