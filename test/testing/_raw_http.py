"""Raw HTTP against the two test servers, and order- and location-free forms of answers.

The tests under ``test/testing`` test the servers, not the SDK, so they talk urllib3 (no
retries, redirects returned as they are) and compare what a client sees.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Optional, Union
from urllib.parse import urlencode

import urllib3

from _generated.testing import DEFAULT_SAMPLE_START, ENDPOINT_PATH, FakeUsageEngine, UsageRecord

if TYPE_CHECKING:
    from conftest import EngineServer

#: The first instant of the sample data (1 November 2026, UTC).
NOV = DEFAULT_SAMPLE_START
#: A query for one day of the sample data.
RANGE = "start_time=2026-11-02T00:00:00Z&end_time=2026-11-03T00:00:00Z"

Server = Union[FakeUsageEngine, "EngineServer"]
#: Raw answer: status, parsed JSON body (None when empty), the urllib3 response.
Raw = tuple[int, Any, urllib3.BaseHTTPResponse]


def fetch(
    pool: urllib3.PoolManager,
    server: Server,
    query: Union[str, Sequence[tuple[str, str]]] = "",
    *,
    auth: Optional[str] = "good",
    path: str = ENDPOINT_PATH,
    method: str = "GET",
) -> Raw:
    """``method path?query`` on ``server``; ``auth``: "good", None, or a raw header value."""
    qs = query if isinstance(query, str) else urlencode(list(query))
    headers = {}
    if auth == "good":
        headers["Authorization"] = f"Bearer {server.token}"
    elif auth is not None:
        headers["Authorization"] = auth
    response = pool.request(method, server.url(path + ("?" + qs if qs else "")), headers=headers)
    body = json.loads(response.data) if response.data else None
    return response.status, body, response


def errors_part(detail: str) -> str:
    """A 400 detail without FastAPI's endpoint location (a source path the fake cannot know)."""
    return detail.split("\n\n", 1)[0]


def canonical(body: Any) -> Any:
    """What must agree between the fake and FastAPI: rows as a multiset, 400 text sans location."""
    if isinstance(body, list):
        return sorted(body, key=lambda row: json.dumps(row, sort_keys=True))
    if isinstance(body, dict) and isinstance(body.get("detail"), str):
        return {**body, "detail": errors_part(body["detail"])}
    return body


def assert_same_answer(fake: Raw, real: Raw) -> None:
    """The fake answered as FastAPI did: status, Content-Type and the canonical body."""
    assert fake[0] == real[0], (fake[1], real[1])
    assert fake[2].headers.get("Content-Type") == real[2].headers.get("Content-Type")
    assert canonical(fake[1]) == canonical(real[1])


def record(when: datetime, task: str = "t1", rule: str = "RegexRule", n: int = 1) -> UsageRecord:
    """A record with counts ``n``, ``10 n``, ``100 n`` (so sums show which records counted)."""
    return UsageRecord(when, task, rule, n, 10 * n, 100 * n)


def chain(exc: BaseException) -> list[BaseException]:
    """``exc`` and every exception it wraps (causes, contexts, exception arguments)."""
    found: list[BaseException] = []
    todo = [exc]
    while todo and len(found) < 20:
        current = todo.pop()
        if any(current is seen for seen in found):
            continue
        found.append(current)
        linked = (current.__cause__, current.__context__, *current.args)
        todo.extend(item for item in linked if isinstance(item, BaseException))
    return found
