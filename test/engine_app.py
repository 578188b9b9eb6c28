"""A FastAPI implementation of ``GET /api/v2/usage/tokens``: the reference server for tests.

It is built the way the real engine is (FastAPI, ``datetime`` and ``list[TokenUsageScope]``
query parameters), so FastAPI itself decides what is valid and how errors look. Two modes:

- engine mode (the default) does what the engine does (shared/reference/ENGINE_BEHAVIOUR.md):
  a route class turns FastAPI's validation error into 400 ``{"detail": str(error)}`` as the
  engine's ``GenaiEngineRoute`` does, before the key is checked (in the endpoint body);
  omitted bounds are no bound; 401 bodies per cause; keys with roles (403); rows in an order
  fixed per app by a salted hash, as the engine orders groups per process;
- spec mode (``spec_mode=True``) answers as the OpenAPI description says: ``HTTPBearer``
  (401 ``Not authenticated``), 422 ``HTTPValidationError``, omitted bounds the current UTC day.

The fake in ``_generated.testing`` is compared against it; only the seeded data comes from
there, the grouping, ordering and auth below are written independently.

Every request is recorded (:class:`Received`) for assertions: the raw query string, what
FastAPI parsed, the effective UTC range, the headers (Authorization redacted) and the status.
"""

import hashlib
import hmac
import random
import threading
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from enum import Enum
from typing import Annotated, Any, Optional

from fastapi import Depends, FastAPI, HTTPException, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from _generated.testing import REDACTED, UsageRecord

__all__ = ["READ_ROLES", "Received", "Recorder", "TokenUsageScope", "create_app"]

#: Roles that carry the engine's usage-read permission.
READ_ROLES = frozenset({"ORG-ADMIN", "ORG-AUDITOR", "TENANT-USER"})

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
    validation failed); ``start``/``end`` the effective UTC range used for filtering
    (``None``: no bound, engine mode); ``group_by`` the parsed scopes in request order
    (``None`` until the endpoint ran, so it stays ``None`` for 400/401/403/422 answers);
    ``status`` the status code answered.
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


def _key_of(header: Optional[str]) -> Optional[str]:
    """The key of a well-formed ``Bearer <key>`` header (scheme in any case), else None."""
    if not header or " " not in header.strip():
        return None
    scheme, credentials = header.strip().split(" ", 1)
    credentials = credentials.strip()
    return credentials if scheme.lower() == "bearer" and credentials else None


def _role_of(key: Optional[str], tokens: dict[str, str]) -> Optional[str]:
    if key is None:
        return None
    found = None
    for known, role in tokens.items():
        if hmac.compare_digest(known.encode(), key.encode()):
            found = role
    return found


class _RecordingMiddleware:
    """Pure ASGI middleware: records each HTTP request and the status it got."""

    def __init__(self, app: ASGIApp, recorder: Recorder, tokens: dict[str, str]) -> None:
        self.app = app
        self.recorder = recorder
        self.tokens = tokens

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
            authorized=_role_of(_key_of(auth), self.tokens) in READ_ROLES,
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
    records: Iterable[UsageRecord],
    start: Optional[datetime],
    end: Optional[datetime],
    scopes: set[str],
    salt: str,
) -> list[dict[str, Any]]:
    # Independent of _generated.testing.aggregate: epoch-second filter, defaultdict sums.
    lo = float("-inf") if start is None else start.timestamp()
    hi = float("inf") if end is None else end.timestamp()
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
    # The engine's order: fixed per process by a string hash, arbitrary to a client.
    ordered = sorted(
        sums.items(), key=lambda item: hashlib.sha256(f"{salt}|{item[0]}".encode()).digest()
    )
    for (rule, task), (inference, prompt, completion) in ordered:
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


class _EngineRoute(APIRoute):
    """The engine's route class: a request validation error becomes 400 with its text."""

    def get_route_handler(self) -> Callable[[Request], Awaitable[Response]]:
        handler = super().get_route_handler()

        async def route_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as exc:
                raise HTTPException(status_code=400, detail=str(exc)) from exc

        return route_handler


def create_app(
    records: Iterable[UsageRecord],
    token: str,
    now: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
    *,
    spec_mode: bool = False,
    tokens: Optional[dict[str, str]] = None,
    seed: Optional[int] = None,
) -> FastAPI:
    """A FastAPI app serving ``records``; engine mode unless ``spec_mode``.

    ``token`` is a key with role ORG-ADMIN; ``tokens`` more keys with their roles; ``seed``
    fixes the order of rows (default: a new order per app). ``app.state.recorder`` is the
    :class:`Recorder` of requests received; ``app.state.records`` the served records.
    """
    data = tuple(records)
    keys = {**(tokens or {}), token: (tokens or {}).get(token, "ORG-ADMIN")}
    salt = str(random.Random(seed).random())
    recorder = Recorder()
    app = FastAPI(title="Arthur GenAI Engine (test reference)", version="2.1.686")
    app.state.recorder = recorder
    app.state.records = data
    if not spec_mode:
        app.router.route_class = _EngineRoute
    bearer = HTTPBearer(scheme_name="API Key", description="Bearer token authentication")

    def spec_authenticate(
        credentials: Annotated[HTTPAuthorizationCredentials, Depends(bearer)],
    ) -> None:
        role = _role_of(credentials.credentials, keys)
        if role is None:
            raise HTTPException(
                status_code=401,
                detail="Not authenticated",
                headers={"WWW-Authenticate": "Bearer"},
            )
        if role not in READ_ROLES:
            raise HTTPException(status_code=403, detail="Forbidden")

    def engine_authenticate(request: Request) -> None:
        header = request.headers.get("authorization")
        if header is None or not header.strip():
            raise HTTPException(status_code=401, detail="Requires authentication")
        key = _key_of(header)
        if key is None:
            raise HTTPException(status_code=401, detail="Bad credentials")
        role = _role_of(key, keys)
        if role is None:
            raise HTTPException(status_code=401, detail="Unauthorized")
        if role not in READ_ROLES:
            raise HTTPException(status_code=403, detail="Forbidden")

    @app.get(
        "/api/v2/usage/tokens",
        tags=["Usage"],
        dependencies=[Depends(spec_authenticate)] if spec_mode else [],
    )
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
        if not spec_mode:
            # In the engine the key is checked after the parameters were validated.
            engine_authenticate(request)
        start = _utc(start_time) if start_time is not None else None
        end = _utc(end_time) if end_time is not None else None
        if spec_mode:
            today = _utc(now()).replace(hour=0, minute=0, second=0, microsecond=0)
            start = today if start is None else start
            end = today + timedelta(days=1) if end is None else end
        scopes = [TokenUsageScope(g).value for g in group_by]
        entry: Optional[Received] = getattr(request.state, "received", None)
        if entry is not None:
            entry.start_time, entry.end_time = start_time, end_time
            entry.start, entry.end = start, end
            entry.group_by = scopes
        return _summarize(data, start, end, set(scopes), salt)

    app.add_middleware(_RecordingMiddleware, recorder=recorder, tokens=keys)
    return app
