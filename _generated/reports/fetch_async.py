"""Reports on the async client: :func:`fetch_usage_async` and :func:`resume_usage_async`.

The same report as :func:`~_generated.reports.fetch_usage` (the same argument checks,
windows, cache decisions, merging, :class:`PartialReportError`), with the windows
requested by ``workers`` tasks on the running event loop instead of threads, each through
the async client's pipeline (``call_api``, retries, timeouts, the error tree).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, Optional, Union

from _generated._constants import DEFAULT_REPORT_WORKERS
from _generated._pipeline import CallScope
from _generated.exceptions import ApiTypeError, ApiValueError
from _generated.reports.cache import UsageCache
from _generated.reports.columns import Interval, check_workers
from _generated.reports.fetch import GroupByArg, _prepare
from _generated.reports.fetching import (
    _FATAL,
    _PARSED,
    _RAW_TYPES,
    READ_IN_ATTEMPT,
    Fetched,
    FetchPlan,
    Outcome,
    ProgressCallback,
    WindowPlan,
    check_client_kind,
    columns_of_body,
    columns_of_models,
    is_async_api,
    window_arguments,
    window_request,
)
from _generated.reports.periods import DateLike, Window, ZoneLike
from _generated.reports.report import PartialReportError, UsageReport
from _generated.reports.store import GroupTable, WindowColumns

if TYPE_CHECKING:
    from _generated.aio.api.usage_api import UsageApi
    from _generated.aio.api_client import ApiClient

__all__ = ["fetch_usage_async", "resume_usage_async"]


async def fetch_usage_async(
    client_or_api: Union[ApiClient, UsageApi],
    start: DateLike,
    end: DateLike,
    group_by: GroupByArg = ("rule_type",),
    interval: Optional[Interval] = None,
    tz: ZoneLike = "UTC",
    workers: int = DEFAULT_REPORT_WORKERS,
    *,
    progress: Optional[ProgressCallback] = None,
    cache: Optional[UsageCache] = None,
    now: Optional[datetime] = None,
) -> UsageReport:
    """:func:`~_generated.reports.fetch_usage` on the async client (``_generated.aio``).

    The same arguments, checks and result; ``workers`` is the number of requests in flight
    at once (tasks on the running loop, sharing the client's connection pool, itself at
    most ``connection_pool_maxsize`` connections). A window that still fails after the
    client's retries raises :class:`PartialReportError` as ``fetch_usage`` does; resume it
    with ``await resume_usage_async(error)``. Cancelling the call cancels the requests in
    flight.
    """
    plan, windows, metadata = _prepare(
        client_or_api,
        start,
        end,
        group_by,
        interval,
        tz,
        workers,
        cache,
        now,
        _resolve,
        progress=progress,
    )
    report = UsageReport((), **metadata, windows=windows, missing=windows)
    return await _fetch_missing(report, plan, progress)


async def resume_usage_async(
    report_or_error: Union[UsageReport, PartialReportError],
    client_or_api: Union[ApiClient, UsageApi, None] = None,
    *,
    workers: Optional[int] = None,
    progress: Optional[ProgressCallback] = None,
) -> UsageReport:
    """``resume()`` for a report of :func:`fetch_usage_async`: fetch only the missing windows
    (with the client and cache it was fetched with unless ``client_or_api`` is given)."""
    report = (
        report_or_error.partial
        if isinstance(report_or_error, PartialReportError)
        else report_or_error
    )
    if report.complete:
        return report
    plan: Optional[FetchPlan] = report._plan
    if client_or_api is not None:
        api = _resolve(client_or_api)
        plan = (
            replace(plan, api=api) if plan is not None else FetchPlan(api, DEFAULT_REPORT_WORKERS)
        )
    if plan is None:
        raise ApiValueError(
            "this report was not made by fetch_usage_async(): pass client_or_api to resume"
        )
    if workers is not None:
        plan = replace(plan, workers=check_workers(workers))
    return await _fetch_missing(report, plan, progress)


def _resolve(client_or_api: Any) -> Any:
    """An async ``UsageApi`` for an async ``ApiClient``; an async ``UsageApi`` as is."""
    from _generated import aio  # only async reports need aiohttp

    if isinstance(client_or_api, aio.ApiClient):
        return aio.UsageApi(client_or_api)
    if isinstance(client_or_api, aio.UsageApi) or is_async_api(client_or_api):
        return client_or_api
    raise ApiTypeError(
        "client_or_api must be a _generated.aio ApiClient or UsageApi (use fetch_usage, or "
        f"error.resume(sync_client), for the sync client), got {type(client_or_api).__name__}"
    )


async def _fetch_missing(
    report: UsageReport, plan: FetchPlan, progress: Optional[ProgressCallback]
) -> UsageReport:
    """``report.fetch_missing(plan)`` with the requests awaited by ``plan.workers`` tasks."""
    check_client_kind(plan, asynchronous=True)
    todo = list(report.missing)
    record = Fetched()
    table = report._table
    windows_plan = WindowPlan(plan, todo, report.group_by, table, record)
    record.segments.update(windows_plan.cached)
    pending = windows_plan.todo
    queue = iter(pending)
    stop = asyncio.Event()
    done = 0

    async def work() -> None:
        nonlocal done
        for index in queue:  # shared: each index goes to one worker
            if stop.is_set():
                return  # skipped windows stay missing
            outcome: Outcome
            try:
                outcome = await fetch_window_async(plan.api, todo[index], report.group_by, table)
            except _FATAL as exc:
                stop.set()  # the same credentials and arguments fail for every window
                outcome = exc
            except Exception as exc:
                outcome = exc
            windows_plan.finished(index, outcome)
            done += 1
            if progress is not None:
                progress(done, len(pending))

    tasks = [asyncio.ensure_future(work()) for _ in range(min(plan.workers, len(pending)))]
    try:
        await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()  # an error in a progress callback, or the caller cancelled
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
    return report.merge_fetched(plan, todo, record)


async def fetch_window_async(
    api: Any, window: Window, group_by: Sequence[str], table: GroupTable
) -> WindowColumns:
    """``fetching.fetch_window`` on the async client: one request, the rows as columns."""
    from _generated import aio  # only async reports need aiohttp

    lean = isinstance(api, aio.UsageApi) and getattr(type(api), _PARSED) is getattr(
        aio.UsageApi, _PARSED
    )
    if not lean:
        # A subclass or look-alike overriding the parsed method: honour the override.
        rows = await getattr(api, _PARSED)(**window_arguments(window, group_by))
        return columns_of_models(window, table, rows)
    # As the sync fetcher: the body read inside each attempt (so a body cut off mid-way or
    # stalled is retried, and the deadline bounds it) and handed back unparsed.
    request = window_request(api, window, group_by)
    with CallScope(READ_IN_ATTEMPT):
        response = await api.api_client.call_api(*request)
    body = api.api_client.response_deserialize(response, _RAW_TYPES).data
    return columns_of_body(api, response, body, window, table)
