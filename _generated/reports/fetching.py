"""Fetching report windows: one request per window, on a bounded pool of daemon threads.

Each window is one request through the client's pipeline, the generated client's steps:
``UsageApi._get_token_usage_api_v2_usage_tokens_get_serialize`` (:func:`window_request`) ->
``ApiClient.call_api`` (retries, timeouts, the deadline; the body read inside each attempt)
-> ``ApiClient.response_deserialize`` (the error tree), which hands a 2xx body back
unparsed; the body is then validated straight into columns (``parse``). A ``UsageApi``
subclass that overrides ``get_token_usage_api_v2_usage_tokens_get``, or a look-alike, is
called through that method instead, so its override is honoured. The async fetcher
(``fetch_async``) takes the same steps, awaiting ``call_api``.

The pool's threads are daemon threads and the caller never waits for a request it no
longer needs: Ctrl-C (or an error in a progress callback) returns at once, requests in
flight are abandoned and cannot delay interpreter exit.
"""

from __future__ import annotations

import inspect
import queue
import threading
from collections.abc import Callable, Generator, Iterator, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Optional, Union

from _generated._constants import CACHE_SETTLE
from _generated._http import credentials_of
from _generated._pipeline import CallOptions, CallScope
from _generated.api.usage_api import UsageApi
from _generated.api_client import ApiClient
from _generated.exceptions import (
    ApiTypeError,
    ApiValueError,
    ForbiddenException,
    UnauthorizedException,
)
from _generated.reports.cache import UsageCache, is_closed
from _generated.reports.parse import parse_window
from _generated.reports.periods import UTC, Window
from _generated.reports.store import GroupTable, WindowColumns, columns_of

__all__ = [
    "FetchPlan",
    "Fetched",
    "ProgressCallback",
    "WindowPlan",
    "check_client_kind",
    "columns_of_body",
    "columns_of_models",
    "fetch_window",
    "host_of",
    "is_async_api",
    "iter_results",
    "iter_windows",
    "resolve_api",
    "window_arguments",
    "window_request",
]

ProgressCallback = Callable[[int, int], None]

_PARSED = "get_token_usage_api_v2_usage_tokens_get"
#: A window's call options: its body read inside each attempt, whatever the caller's context.
READ_IN_ATTEMPT = CallOptions(preload=True)
# The body of a 2xx is handed back unparsed ("bytearray"); other statuses raise as usual.
_RAW_TYPES = {"200": "bytearray", "2XX": "bytearray", "422": "HTTPValidationError"}
# Errors after which the remaining windows are not requested.
_FATAL = (UnauthorizedException, ForbiddenException, ApiValueError)
# Seconds between checks of the result queue (keeps Ctrl-C prompt on every platform).
_POLL = 0.2


def resolve_api(client_or_api: Any) -> Any:
    """A ``UsageApi`` for an ``ApiClient``; a ``UsageApi`` (or look-alike) as is; the async
    client's objects refused, naming the functions that take them."""
    if is_async_api(client_or_api):
        raise ApiTypeError(
            "client_or_api must be a sync ApiClient or UsageApi, got the _generated.aio "
            f"{type(client_or_api).__name__}: use fetch_usage_async / resume_usage_async for "
            "the async client"
        )
    if isinstance(client_or_api, ApiClient):
        return UsageApi(client_or_api)
    if isinstance(client_or_api, UsageApi) or callable(getattr(client_or_api, _PARSED, None)):
        return client_or_api
    raise ApiTypeError(
        f"client_or_api must be a sync ApiClient or UsageApi, got {type(client_or_api).__name__}"
    )


def is_async_api(client_or_api: Any) -> bool:
    """Whether ``client_or_api`` is of the async client (its calls are coroutines)."""
    # Checked by behaviour, not class: the sync reports must not need aiohttp.
    return inspect.iscoroutinefunction(
        getattr(client_or_api, _PARSED, None)
    ) or inspect.iscoroutinefunction(getattr(client_or_api, "call_api", None))


def check_client_kind(plan: FetchPlan, *, asynchronous: bool) -> None:
    """Refuse to resume a report with the fetcher of the other client, before any request."""
    if is_async_api(plan.api) == asynchronous:
        return
    if asynchronous:
        raise ApiTypeError(
            "report_or_error was fetched with the sync client: resume it with "
            "error.resume(), or pass a _generated.aio client_or_api to resume_usage_async"
        )
    raise ApiTypeError(
        "client_or_api is needed: this report was fetched with the _generated.aio client; "
        "resume it with await resume_usage_async(error), or with error.resume(sync_client)"
    )


def host_of(api: Any) -> str:
    """The configured host of the API's client ("" when it has none)."""
    configuration = getattr(getattr(api, "api_client", None), "configuration", None)
    return str(getattr(configuration, "host", ""))


def _lean(api: Any) -> bool:
    return isinstance(api, UsageApi) and getattr(type(api), _PARSED) is getattr(UsageApi, _PARSED)


def fetch_window(
    api: Any,
    window: Window,
    group_by: Sequence[str],
    table: GroupTable,
    parse: Optional[ParseThread] = None,
) -> WindowColumns:
    """Request one window (both bounds always sent, in UTC) and return its rows as columns.

    ``parse``, if given, is the thread the body is validated in (see :class:`ParseThread`);
    otherwise it is validated in the calling thread.
    """
    if not _lean(api):
        rows = getattr(api, _PARSED)(**window_arguments(window, group_by))
        return columns_of_models(window, table, rows)
    # The body read inside each attempt (so a body cut off mid-way is retried, and the
    # deadline bounds it) and handed back unparsed; the async fetcher does the same.
    # Through CALL_OPTIONS, not a keyword: a call_api override with the generated
    # client's signature takes none of the SDK's own.
    with CallScope(READ_IN_ATTEMPT):
        response = api.api_client.call_api(*window_request(api, window, group_by))
    body = api.api_client.response_deserialize(response, _RAW_TYPES).data
    if parse is None:
        return columns_of_body(api, response, body, window, table)
    return parse(lambda: columns_of_body(api, response, body, window, table))


def window_arguments(window: Window, group_by: Sequence[str]) -> dict[str, Any]:
    """The call's arguments for one window: both bounds always sent, in UTC."""
    return {
        "start_time": window.start.astimezone(UTC),
        "end_time": window.end.astimezone(UTC),
        "group_by": list(group_by),
    }


def window_request(api: Any, window: Window, group_by: Sequence[str]) -> Any:
    """The serialized request of one window (sync or async ``UsageApi``: the same step)."""
    arguments = window_arguments(window, group_by)
    return api._get_token_usage_api_v2_usage_tokens_get_serialize(
        start_time=arguments["start_time"],
        end_time=arguments["end_time"],
        group_by=arguments["group_by"],
        _request_auth=None,
        _content_type=None,
        _headers=None,
        _host_index=0,
    )


class ParseThread:
    """One daemon thread that validates the bodies of a fetch's worker threads, one at a time.

    Parsing holds the GIL, so one parser costs no speed while the other workers' downloads
    overlap, and at most one window's intermediate objects exist at a time. The memory a
    parse frees is reused by the next one, where parsing in each worker left it in that
    thread's malloc arena (a month by 4 workers: 150 MiB resident after the fetch, against
    80 MiB with one thread).
    """

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue[Optional[tuple[Callable[[], Any], Future[Any]]]] = (
            queue.SimpleQueue()
        )
        self._lock = threading.Lock()
        self._closed = False
        threading.Thread(target=self._run, name="usage-report-parse", daemon=True).start()

    def __call__(self, work: Callable[[], WindowColumns]) -> WindowColumns:
        """Run ``work`` in the parse thread and return its result (or raise its error);
        after :meth:`close`, in the calling thread."""
        done: Future[WindowColumns] = Future()
        with self._lock:  # a job is queued before close()'s end marker, or not at all
            closed = self._closed
            if not closed:
                self._jobs.put((work, done))
        return work() if closed else done.result()

    def close(self) -> None:
        """Let the thread end once the jobs already given are done."""
        with self._lock:
            self._closed = True
            self._jobs.put(None)

    def _run(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            work, done = job
            try:
                done.set_result(work())
            except BaseException as exc:  # a worker waits on it: never leave it waiting
                done.set_exception(exc)


def columns_of_models(window: Window, table: GroupTable, rows: Sequence[Any]) -> WindowColumns:
    """Columns from ``TokenUsageResponse`` rows (an API whose parsed method is overridden)."""
    return columns_of(
        window,
        table,
        [(row.rule_type, row.task_id) for row in rows],
        [row.count.inference for row in rows],
        [row.count.eval_prompt for row in rows],
        [row.count.eval_completion for row in rows],
    )


def columns_of_body(
    api: Any, response: Any, body: Any, window: Window, table: GroupTable
) -> WindowColumns:
    """Columns from the raw 2xx ``body`` of ``response``; a bad body raises the
    ``ResponseValidationError`` of that response, the credentials sent blanked out."""
    return parse_window(
        bytes(body),
        window,
        table,
        status=response.status,
        reason=response.reason,
        headers=response.getheaders(),
        credentials=credentials_of(api.api_client.configuration),
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
    parse = ParseThread()

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
                    outcome = fetch_window(api, windows[index], group_by, table, parse)
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
        parse.close()


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


class WindowPlan:
    """The I/O-free part of fetching a list of windows: which are closed, which come from
    the cache, what to store afterwards. A fetcher (threads here, asyncio elsewhere) asks
    :attr:`todo` from the server and hands each result to :meth:`finished`.
    """

    def __init__(
        self,
        plan: FetchPlan,
        windows: Sequence[Window],
        group_by: tuple[str, ...],
        table: GroupTable,
        record: Fetched,
        *,
        keep: bool = True,
    ) -> None:
        self.plan = plan
        self.keep = keep  # False for a stream: the record then holds no rows
        self.windows = windows
        self.group_by = group_by
        self.table = table
        self.record = record
        now = plan.clock()
        settle = plan.cache.settle if plan.cache is not None else plan.settle
        self.closed = [is_closed(w, now, settle) for w in windows]
        record.provisional.update(i for i, closed in enumerate(self.closed) if not closed)
        #: The cache, unless the API has no host to key its windows by (a look-alike).
        self.cache = plan.cache if plan.cache is not None and host_of(plan.api) else None
        if plan.cache is not None and self.cache is None:
            plan.cache.unusable("the API object has no api_client.configuration.host")
        self._scope = UsageCache.scope(plan.api, group_by) if self.cache is not None else ""
        #: Windows read from the cache, by index.
        self.cached: dict[int, WindowColumns] = {}
        #: A stream's stored windows, read from the cache only in their turn.
        self.stored: list[int] = []
        #: Indices of the windows to request, in window order.
        self.todo: list[int] = []
        for i, window in enumerate(windows):
            hit = None
            if self.cache is not None and self.closed[i]:
                if not keep and self.cache.contains(self._scope, window):
                    self.stored.append(i)  # a stream holds no more than its reader needs
                    continue
                hit = self.cache.load(self._scope, window, table)
            if hit is None:
                self.todo.append(i)
            else:
                record.cached.add(i)
                self.cached[i] = hit

    def from_cache(self, index: int) -> Outcome:
        """A stream's stored window, read now; fetched if its entry turned out unusable."""
        cache = self.cache
        hit = cache.load(self._scope, self.windows[index], self.table) if cache else None
        if hit is not None:
            self.record.cached.add(index)
            return hit
        outcome: Outcome
        try:
            outcome = fetch_window(self.plan.api, self.windows[index], self.group_by, self.table)
        except Exception as exc:
            outcome = exc
        self.finished(index, outcome)
        return outcome

    def finished(self, index: int, outcome: Outcome) -> None:
        """Record a window's result; a closed window's rows go into the cache."""
        if isinstance(outcome, WindowColumns):
            if self.keep:
                self.record.segments[index] = outcome
            if self.cache is not None and self.closed[index]:
                self.cache.store(self._scope, outcome, self.table)
        else:
            self.record.errors[index] = outcome


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

    Records in ``into`` what each window gave (see :class:`Fetched`). With ``ordered``
    (a stream), yields in window order, holds at most about ``2 * workers`` windows ahead
    and keeps no rows in ``into``.
    """
    check_client_kind(plan, asynchronous=False)
    record = into if into is not None else Fetched()
    windows_plan = WindowPlan(plan, windows, group_by, table, record, keep=not ordered)
    todo = windows_plan.todo
    ready: dict[int, Optional[Outcome]] = dict(windows_plan.cached)
    ready.update(dict.fromkeys(windows_plan.stored))
    if not ordered:
        record.segments.update(windows_plan.cached)
    pending = iter_windows(
        plan.api,
        [windows[i] for i in todo],
        group_by,
        table,
        plan.workers,
        ahead=2 * plan.workers if ordered else None,
    )
    next_index = 0
    try:
        if not ordered:
            yield from windows_plan.cached.items()
            ready.clear()
        for done, (position, outcome) in enumerate(pending, start=1):
            index = todo[position]
            windows_plan.finished(index, outcome)
            if progress is not None:
                progress(done, len(todo))
            if not ordered:
                yield index, outcome
                continue
            ready[index] = outcome
            while next_index in ready:
                yield next_index, _take(windows_plan, next_index, ready.pop(next_index))
                next_index += 1
        if ordered:
            for index in sorted(ready):
                yield index, _take(windows_plan, index, ready.pop(index))
    finally:
        pending.close()


def _take(windows_plan: WindowPlan, index: int, outcome: Optional[Outcome]) -> Outcome:
    """A window's outcome, a stored one (``None``) read from the cache now."""
    return windows_plan.from_cache(index) if outcome is None else outcome
