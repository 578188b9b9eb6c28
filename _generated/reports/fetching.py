"""Fetching report windows: one request per window, on a bounded pool of daemon threads.

Each window is one call of the client's ``UsageApi`` (so it passes the client's pipeline:
``call_api``, retries, timeouts, ``response_deserialize`` and the error tree). A plain
``UsageApi`` is called through ``get_token_usage_api_v2_usage_tokens_get_without_preload_content``
and its body validated straight into columns (``parse``); a ``UsageApi`` subclass that
overrides ``get_token_usage_api_v2_usage_tokens_get``, or a look-alike, is called through
that method, so its override is honoured.

The pool's threads are daemon threads and the caller never waits for a request it no
longer needs: Ctrl-C (or an error in a progress callback) returns at once, requests in
flight are abandoned and cannot delay interpreter exit.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Optional, Union

from _generated._constants import CACHE_SETTLE
from _generated.api.usage_api import UsageApi
from _generated.api_client import ApiClient
from _generated.exceptions import (
    ApiTypeError,
    ApiValueError,
    ForbiddenException,
    UnauthorizedException,
)
from _generated.reports.cache import UsageCache
from _generated.reports.parse import parse_window
from _generated.reports.periods import UTC, Window
from _generated.reports.store import GroupTable, WindowColumns, sorted_columns
from _generated.rest import RESTResponse

__all__ = [
    "ProgressCallback",
    "cached_windows",
    "fetch_window",
    "host_of",
    "iter_windows",
    "keep_fetched",
    "resolve_api",
]

ProgressCallback = Callable[[int, int], None]

_PARSED = "get_token_usage_api_v2_usage_tokens_get"
# The body of a 2xx is handed back unparsed ("bytearray"); other statuses raise as usual.
_RAW_TYPES = {"200": "bytearray", "2XX": "bytearray", "422": "HTTPValidationError"}
# Errors after which the remaining windows are not requested.
_FATAL = (UnauthorizedException, ForbiddenException, ApiValueError)
# Seconds between checks of the result queue (keeps Ctrl-C prompt on every platform).
_POLL = 0.2


def resolve_api(client_or_api: Any) -> Any:
    """A ``UsageApi`` for an ``ApiClient``; a ``UsageApi`` (or look-alike) as is."""
    if isinstance(client_or_api, ApiClient):
        return UsageApi(client_or_api)
    if isinstance(client_or_api, UsageApi) or callable(getattr(client_or_api, _PARSED, None)):
        return client_or_api
    raise ApiTypeError(
        f"client_or_api must be an ApiClient or a UsageApi, got {type(client_or_api).__name__}"
    )


def host_of(api: Any) -> str:
    """The configured host of the API's client ("" when it has none)."""
    configuration = getattr(getattr(api, "api_client", None), "configuration", None)
    return str(getattr(configuration, "host", ""))


def _lean(api: Any) -> bool:
    return isinstance(api, UsageApi) and getattr(type(api), _PARSED) is getattr(UsageApi, _PARSED)


def fetch_window(
    api: Any, window: Window, group_by: Sequence[str], table: GroupTable
) -> WindowColumns:
    """Request one window (both bounds always sent, in UTC) and return its rows as columns."""
    arguments = {
        "start_time": window.start.astimezone(UTC),
        "end_time": window.end.astimezone(UTC),
        "group_by": list(group_by),
    }
    if not _lean(api):
        rows = getattr(api, _PARSED)(**arguments)
        return sorted_columns(
            window,
            table,
            [(row.rule_type, row.task_id) for row in rows],
            [row.count.inference for row in rows],
            [row.count.eval_prompt for row in rows],
            [row.count.eval_completion for row in rows],
        )
    raw = api.get_token_usage_api_v2_usage_tokens_get_without_preload_content(**arguments)
    response = RESTResponse(raw)
    try:
        body = api.api_client.response_deserialize(response, _RAW_TYPES).data
    except BaseException:
        raw.close()  # never pool a half-read connection
        raise
    finally:
        raw.release_conn()
    return parse_window(
        bytes(body),
        window,
        table,
        status=response.status,
        reason=response.reason,
        headers=response.getheaders(),
    )


class _Skipped(Exception):
    """A window not requested: an earlier one failed in a way every window would (_FATAL)."""


Outcome = Union[WindowColumns, Exception]


def iter_windows(
    api: Any,
    windows: Sequence[Window],
    group_by: Sequence[str],
    table: GroupTable,
    workers: int,
    *,
    ahead: Optional[int] = None,
) -> Generator[tuple[int, Outcome], None, None]:
    """Fetch ``windows`` with ``workers`` daemon threads; yield ``(index, columns or error)``.

    Results come in completion order. With ``ahead``, at most that many windows are
    requested beyond the lowest one not yet yielded, so a caller that consumes in window
    order holds a bounded number of windows. A window skipped after an authentication or
    argument error is not yielded. Closing the generator (or an exception in the caller)
    stops new requests at once without waiting for those in flight.
    """
    if not windows:
        return
    tasks: queue.SimpleQueue[Optional[int]] = queue.SimpleQueue()
    results: queue.SimpleQueue[tuple[int, Any]] = queue.SimpleQueue()
    stop = threading.Event()

    def work() -> None:
        while True:
            index = tasks.get()
            if index is None:
                return
            outcome: Any
            if stop.is_set():
                outcome = _Skipped()
            else:
                try:
                    outcome = fetch_window(api, windows[index], group_by, table)
                except _FATAL as exc:
                    # The same credentials and arguments will not work for the other windows.
                    stop.set()
                    outcome = exc
                except Exception as exc:
                    outcome = exc
            results.put((index, outcome))

    n_threads = min(workers, len(windows))
    for n in range(n_threads):
        threading.Thread(target=work, name=f"usage-report-{n}", daemon=True).start()
    limit = len(windows) if ahead is None else max(ahead, n_threads)
    submitted = 0
    received: set[int] = set()
    lowest = 0  # the lowest index not yet received
    try:
        while True:
            if not stop.is_set():
                while submitted < len(windows) and submitted < lowest + limit:
                    tasks.put(submitted)
                    submitted += 1
            if len(received) == submitted and (stop.is_set() or submitted == len(windows)):
                return
            try:
                index, outcome = results.get(timeout=_POLL)
            except queue.Empty:
                continue
            received.add(index)
            while lowest in received:
                lowest += 1
            if not isinstance(outcome, _Skipped):
                yield index, outcome
    finally:
        stop.set()
        for _ in range(n_threads):
            tasks.put(None)


@dataclass
class FetchPlan:
    """How a report's windows are fetched, kept by the report so ``resume()`` can reuse it.

    ``now`` fixes the clock for the closed/open decision (tests inject it); ``None`` reads
    the clock at each fetch.
    """

    api: Any
    workers: int
    cache: Optional[UsageCache] = None
    now: Optional[datetime] = None
    settle: timedelta = timedelta(seconds=CACHE_SETTLE)

    def clock(self) -> datetime:
        """The instant the closed/open decision is made at."""
        return datetime.now(UTC) if self.now is None else self.now.astimezone(UTC)


@dataclass
class Fetched:
    """What one pass over windows produced, by window index."""

    segments: dict[int, WindowColumns] = field(default_factory=dict)
    errors: dict[int, Exception] = field(default_factory=dict)
    cached: set[int] = field(default_factory=set)
    provisional: set[int] = field(default_factory=set)


def cached_windows(
    plan: FetchPlan,
    windows: Sequence[Window],
    group_by: tuple[str, ...],
    table: GroupTable,
    record: Fetched,
) -> tuple[dict[int, Outcome], list[int], list[bool], str]:
    """``(ready, todo, closed, scope)``: the windows the cache holds (closed and stored), the
    indexes still to request, which windows are closed, and the cache scope. Records the
    cached and provisional (still open) windows in ``record``."""
    now = plan.clock()
    settle = plan.cache.settle if plan.cache is not None else plan.settle
    closed = [w.end.astimezone(UTC) <= now - settle for w in windows]
    record.provisional.update(i for i, is_closed in enumerate(closed) if not is_closed)
    scope = UsageCache.scope(plan.api, group_by) if plan.cache is not None else ""
    ready: dict[int, Outcome] = {}
    todo: list[int] = []
    for i, window in enumerate(windows):
        hit = plan.cache.load(scope, window, table) if plan.cache and closed[i] else None
        if hit is None:
            todo.append(i)
        else:
            record.cached.add(i)
            ready[i] = hit
    return ready, todo, closed, scope


def keep_fetched(
    plan: FetchPlan, scope: str, closed: bool, outcome: Outcome, table: GroupTable
) -> None:
    """Store a freshly fetched window in the plan's cache if it is closed."""
    if plan.cache is not None and closed and isinstance(outcome, WindowColumns):
        plan.cache.store(scope, outcome, table)


def iter_results(
    plan: FetchPlan,
    windows: Sequence[Window],
    group_by: tuple[str, ...],
    table: GroupTable,
    progress: Optional[ProgressCallback] = None,
    *,
    ordered: bool = False,
    into: Optional[Fetched] = None,
) -> Iterator[tuple[int, Outcome]]:
    """Every window's columns (from the cache when closed and stored) or its error.

    Records in ``into`` which windows came from the cache and which are provisional (still
    open); stores freshly fetched closed windows. With ``ordered``, yields in window order
    and holds at most about ``2 * workers`` windows ahead.
    """
    record = into if into is not None else Fetched()
    ready, todo, closed, scope = cached_windows(plan, windows, group_by, table, record)
    pending = iter_windows(
        plan.api,
        [windows[i] for i in todo],
        group_by,
        table,
        plan.workers,
        ahead=2 * plan.workers if ordered else None,
    )
    done = 0
    next_index = 0
    try:
        if not ordered:
            yield from ready.items()
            ready.clear()
        for position, outcome in pending:
            index = todo[position]
            done += 1
            keep_fetched(plan, scope, closed[index], outcome, table)
            if progress is not None:
                progress(done, len(todo))
            if not ordered:
                yield index, outcome
                continue
            ready[index] = outcome
            while next_index in ready:
                yield next_index, ready.pop(next_index)
                next_index += 1
        if ordered:
            for index in sorted(ready):
                yield index, ready.pop(index)
    finally:
        pending.close()
