"""The report API's entry points: :func:`fetch_usage` (a whole report) and
:func:`stream_usage` (window by window, for exports that need not hold the report)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import Any, Optional, Union

from _generated._constants import DEFAULT_REPORT_WORKERS
from _generated.api.usage_api import UsageApi
from _generated.api_client import ApiClient
from _generated.exceptions import ApiArgumentError
from _generated.models.token_usage_scope import TokenUsageScope
from _generated.reports import exports
from _generated.reports.cache import UsageCache
from _generated.reports.columns import (
    GroupName,
    Interval,
    check_group_by,
    check_interval,
    check_workers,
)
from _generated.reports.fetching import (
    Fetched,
    FetchPlan,
    ProgressCallback,
    host_of,
    iter_results,
    resolve_api,
)
from _generated.reports.periods import (
    DateLike,
    Window,
    ZoneLike,
    check_range,
    resolve_zone,
    split,
    utc_bounds,
    zone_name,
)
from _generated.reports.report import UsageReport
from _generated.reports.rows import Counts, GroupKey, Totals, UsageRow, group_sort_key
from _generated.reports.store import GroupTable, WindowColumns

__all__ = ["UsageStream", "fetch_usage", "stream_usage"]

GroupByArg = Union[GroupName, TokenUsageScope, Sequence[Union[GroupName, TokenUsageScope]]]


def fetch_usage(
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
    """Fetch token usage for ``[start, end)``, one request per window, and return the report.

    ``start``/``end``: aware datetimes; **naive datetimes are read in** ``tz`` (unlike
    ``UsageApi``, which reads them as UTC); dates are midnight in ``tz``; ISO 8601 strings
    follow the same rules. ``group_by``: ``"rule_type"`` and/or ``"task"`` (or
    ``TokenUsageScope`` members). ``interval``: ``None`` (one window), ``"hour"``,
    ``"day"``, ``"week"`` (from Monday) or ``"month"``, aligned in ``tz`` (an IANA name or
    any ``tzinfo``, e.g. ``datetime.timezone.utc``). ``workers`` requests run at once over
    the client's connection pool. ``progress``, if given, is called as
    ``progress(done, total)`` after each window requested.

    Every request sends both bounds (the engine reads an omitted bound as "no bound").
    ``cache``: a :class:`UsageCache`; closed windows are read from it instead of the server
    and stored after they are fetched (off unless given). ``now``: the instant that decides
    which windows are closed (default: the clock); windows still open are listed in
    ``report.provisional``.

    Raises :class:`~_generated.exceptions.ApiValueError` (naming the argument) for bad
    arguments before any request. If no window could be fetched, the first window's error is
    raised as is; if some could, :class:`PartialReportError` with the rest. Ctrl-C returns
    at once: requests in flight are abandoned, without delaying the interpreter's exit.
    """
    plan, windows, metadata = _prepare(
        client_or_api, start, end, group_by, interval, tz, workers, cache, now, progress=progress
    )
    report = UsageReport((), **metadata, windows=windows, missing=windows)
    return report.fetch_missing(plan, progress)


def stream_usage(
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
) -> UsageStream:
    """Like :func:`fetch_usage`, but the rows arrive window by window, in window order.

    Returns a :class:`UsageStream` (checked arguments, nothing fetched yet). Iterating it,
    or ``to_csv``/``to_ndjson``, fetches with ``workers`` requests at once and holds only
    about ``2 * workers`` windows, so memory does not grow with the number of windows.
    A window that fails after the client's retries raises its error there.
    """
    plan, windows, metadata = _prepare(
        client_or_api, start, end, group_by, interval, tz, workers, cache, now, progress=progress
    )
    return UsageStream(plan, windows, metadata, progress)


def _prepare(
    client_or_api: Any,
    start: DateLike,
    end: DateLike,
    group_by: Any,
    interval: Optional[str],
    tz: ZoneLike,
    workers: int,
    cache: Optional[UsageCache],
    now: Optional[datetime],
    resolve: Callable[[Any], Any] = resolve_api,
    *,
    progress: Any = None,
) -> tuple[FetchPlan, list[Window], dict[str, Any]]:
    """Check every argument (before any request) and plan the fetch; ``resolve`` turns
    ``client_or_api`` into the API of the client kind the caller fetches with."""
    zone = resolve_zone(tz)
    start_utc, end_utc = check_range(start, end, zone)
    checked_interval = check_interval(interval)
    groups = check_group_by(group_by)
    n_workers = check_workers(workers)
    if cache is not None and not isinstance(cache, UsageCache):
        raise ApiArgumentError.for_argument("cache", cache, "None or a UsageCache")
    if now is not None and (not isinstance(now, datetime) or now.utcoffset() is None):
        raise ApiArgumentError.for_argument("now", now, "None or an aware datetime")
    if progress is not None and not callable(progress):
        raise ApiArgumentError.for_argument(
            "progress", progress, "None or a callable progress(done, total)"
        )
    api = resolve(client_or_api)
    windows = split(start_utc, end_utc, checked_interval, zone)
    plan = FetchPlan(api, n_workers, cache=cache, now=now)
    metadata = {
        "start": start_utc.astimezone(zone),
        "end": end_utc.astimezone(zone),
        "interval": checked_interval,
        "tz": zone_name(zone),
        "group_by": groups,
        "host": host_of(api),
        "generated_at": plan.clock().astimezone(zone),
    }
    return plan, windows, metadata


class UsageStream:
    """A report fetched window by window in window order; made by :func:`stream_usage`.

    Single use: iterate it (rows), or call :meth:`segments`, :meth:`to_csv` or
    :meth:`to_ndjson` once. Afterwards :meth:`totals` and :meth:`metadata` describe what
    went by (totals overall, per window and per group; windows from the server, the
    cache, still open).
    """

    def __init__(
        self,
        plan: FetchPlan,
        windows: list[Window],
        metadata: dict[str, Any],
        progress: Optional[ProgressCallback],
    ) -> None:
        self._plan = plan
        self.windows = windows
        self._metadata = metadata
        self._progress = progress
        self._table = GroupTable()
        self._record = Fetched()
        self._started = False
        self._by_window: dict[Window, Counts] = {}
        self._by_group: dict[int, list[int]] = {}
        self.group_by: tuple[str, ...] = metadata["group_by"]

    def __repr__(self) -> str:
        return (
            f"UsageStream(host={self._metadata['host']!r}, windows={len(self.windows)}, "
            f"group_by={self.group_by!r})"
        )

    def segments(self) -> Iterator[WindowColumns]:
        """Each window's columns, in window order (windows without rows are skipped)."""
        if self._started:
            raise RuntimeError("a UsageStream can be consumed once; call stream_usage() again")
        self._started = True
        by_group = self._by_group
        for index, outcome in iter_results(
            self._plan,
            self.windows,
            self.group_by,
            self._table,
            self._progress,
            ordered=True,
            into=self._record,
        ):
            if not isinstance(outcome, WindowColumns):
                raise outcome
            self._by_window[self.windows[index]] = Counts(*outcome.sums())
            for group, a, b, c in zip(
                outcome.groups,
                outcome.inference,
                outcome.eval_prompt,
                outcome.eval_completion,
                strict=True,
            ):
                cell = by_group.get(group)
                if cell is None:
                    by_group[group] = [a, b, c]
                else:
                    cell[0] += a
                    cell[1] += b
                    cell[2] += c
            if len(outcome):
                yield outcome.put_in_order(self._table)

    def __iter__(self) -> Iterator[UsageRow]:
        for segment in self.segments():
            yield from segment.rows(self._table)

    def to_csv(self, path_or_file: exports.PathOrFile, *, formula_guard: bool = False) -> None:
        """Write CSV (as ``UsageReport.to_csv``) window by window; a path atomically."""
        chunks = exports.csv_chunks(self.segments(), self._table, formula_guard=formula_guard)
        exports.write_chunks(chunks, path_or_file)

    def to_ndjson(self, path_or_file: exports.PathOrFile) -> None:
        """Write NDJSON (as ``UsageReport.to_ndjson``) window by window; a path atomically."""
        exports.write_chunks(exports.ndjson_chunks(self.segments(), self._table), path_or_file)

    def totals(self) -> Totals:
        """The totals of the windows streamed so far (as ``UsageReport.totals``)."""
        keys = self._table.keys
        ordered = sorted(
            self._by_group.items(),
            key=lambda item: (-sum(item[1]), group_sort_key(keys[item[0]])),
        )
        by_group: dict[GroupKey, Counts] = {keys[g]: Counts(*cell) for g, cell in ordered}
        by_window = {
            w: self._by_window.get(w, Counts()) for w in self.windows if w in self._by_window
        }
        overall = Counts(
            sum(c.inference for c in by_window.values()),
            sum(c.eval_prompt for c in by_window.values()),
            sum(c.eval_completion for c in by_window.values()),
        )
        return Totals(overall=overall, by_group=by_group, by_window=by_window)

    def metadata(self) -> dict[str, Any]:
        """As ``UsageReport.metadata()``, for the windows streamed so far."""
        done = {utc_bounds(w) for w in self._by_window}
        record = self._record
        missing = [w for w in self.windows if utc_bounds(w) not in done]
        report = UsageReport(
            (),
            **self._metadata,
            windows=self.windows,
            missing=missing,
            cached=[self.windows[i] for i in sorted(record.cached)],
            provisional=[self.windows[i] for i in sorted(record.provisional)],
        )
        return report.metadata()
