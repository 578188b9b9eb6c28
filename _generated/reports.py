"""Token-usage reports: many time windows fetched concurrently, then totalled and exported.

::

    from _generated.reports import fetch_usage

    report = fetch_usage(api, "2026-11-01", "2026-12-01", interval="day", tz="Europe/Berlin")
    report.totals().overall.total        # all tokens in November (Berlin time)
    report.to_csv("november.csv")

:func:`fetch_usage` splits ``[start, end)`` into windows aligned in a time zone (local
midnight, the hour, Monday, the 1st of the month; a DST day lasts 23 or 25 hours), asks
the endpoint once per window over the client's shared connection pool, and returns a
:class:`UsageReport` whose rows keep window order. A window that still fails after the
client's retries raises :class:`PartialReportError`, which carries everything that was
fetched; ``resume()`` fetches only the windows still missing.

Internally every instant is handled in UTC: Python compares and subtracts two datetimes
that share a ``ZoneInfo`` by wall-clock time, which is wrong across a DST change.
"""

from __future__ import annotations

import bisect
import csv
import io
import json
import os
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone, tzinfo
from typing import IO, TYPE_CHECKING, Any, NamedTuple, Optional, Union
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from _generated.exceptions import (
    ApiArgumentError,
    ApiConnectionError,
    ApiException,
    ApiTypeError,
    ApiValueError,
    ForbiddenException,
    ResponseValidationError,
    UnauthorizedException,
)

if TYPE_CHECKING:
    from _generated.api.usage_api import UsageApi
    from _generated.api_client import ApiClient

__all__ = [
    "COLUMNS",
    "GROUPS",
    "INTERVALS",
    "MAX_WINDOWS",
    "MEASURES",
    "Counts",
    "GroupKey",
    "PartialReportError",
    "Pivot",
    "Totals",
    "UsageReport",
    "UsageRow",
    "Window",
    "fetch_usage",
    "split_windows",
]

#: Window sizes ``fetch_usage`` accepts (``None``: one window for the whole range).
INTERVALS: tuple[str, ...] = ("hour", "day", "week", "month")
#: Values of ``group_by`` the endpoint accepts.
GROUPS: tuple[str, ...] = ("rule_type", "task")
#: The count fields of a row, and their sum.
MEASURES: tuple[str, ...] = ("inference", "eval_prompt", "eval_completion", "total")
#: Columns of CSV, NDJSON and ``to_records()``, in order.
COLUMNS: tuple[str, ...] = ("window_start", "window_end", "rule_type", "task_id", *MEASURES)
#: A report is refused beyond this many windows (one request each): pick a larger interval.
MAX_WINDOWS = 10_000
#: Concurrent requests when ``workers`` is not given.
DEFAULT_WORKERS = 4

_UTC = timezone.utc
_HOUR = timedelta(hours=1)

DateLike = Union[datetime, date, str]
PathOrFile = Union[str, "os.PathLike[str]", IO[str], IO[bytes]]
ProgressCallback = Callable[[int, int], None]


class Window(NamedTuple):
    """One time window of a report: ``[start, end)``, aware datetimes in the report's zone."""

    start: datetime
    end: datetime


class GroupKey(NamedTuple):
    """The group a row belongs to; a field is ``None`` when the report is not grouped by it."""

    rule_type: Optional[str]
    task_id: Optional[str]


@dataclass(frozen=True)
class Counts:
    """Token counts: inference, evaluation prompt and evaluation completion, and their sum."""

    inference: int = 0
    eval_prompt: int = 0
    eval_completion: int = 0

    @property
    def total(self) -> int:
        """All tokens: ``inference + eval_prompt + eval_completion``."""
        return self.inference + self.eval_prompt + self.eval_completion

    def __add__(self, other: Counts) -> Counts:
        return Counts(
            self.inference + other.inference,
            self.eval_prompt + other.eval_prompt,
            self.eval_completion + other.eval_completion,
        )

    def get(self, measure: str) -> int:
        """The value of one of :data:`MEASURES`."""
        return int(getattr(self, _check_measure(measure)))

    def to_dict(self) -> dict[str, int]:
        """``{"inference": ..., "eval_prompt": ..., "eval_completion": ..., "total": ...}``."""
        return {measure: self.get(measure) for measure in MEASURES}


@dataclass(frozen=True)
class UsageRow:
    """Token usage of one group in one window."""

    window_start: datetime
    window_end: datetime
    rule_type: Optional[str]
    task_id: Optional[str]
    inference: int
    eval_prompt: int
    eval_completion: int

    @property
    def total(self) -> int:
        """All tokens of the row: ``inference + eval_prompt + eval_completion``."""
        return self.inference + self.eval_prompt + self.eval_completion

    @property
    def counts(self) -> Counts:
        """The row's counts as a :class:`Counts`."""
        return Counts(self.inference, self.eval_prompt, self.eval_completion)

    @property
    def group(self) -> GroupKey:
        """The row's group as a :class:`GroupKey`."""
        return GroupKey(self.rule_type, self.task_id)

    def to_record(self) -> dict[str, Any]:
        """The row as a dict keyed by :data:`COLUMNS`; datetimes stay datetimes."""
        return {
            "window_start": self.window_start,
            "window_end": self.window_end,
            "rule_type": self.rule_type,
            "task_id": self.task_id,
            "inference": self.inference,
            "eval_prompt": self.eval_prompt,
            "eval_completion": self.eval_completion,
            "total": self.total,
        }

    def to_dict(self) -> dict[str, Any]:
        """The row as a JSON-ready dict keyed by :data:`COLUMNS` (ISO 8601 with offsets)."""
        record = self.to_record()
        record["window_start"] = self.window_start.isoformat()
        record["window_end"] = self.window_end.isoformat()
        return record


@dataclass(frozen=True)
class Totals:
    """What :meth:`UsageReport.totals` returns.

    ``overall`` sums every row. ``by_group`` maps each :class:`GroupKey` to its counts,
    largest total first (ties in key order). ``by_window`` maps every fetched
    :class:`Window` to its counts, in window order, zero when the window had no usage.
    """

    overall: Counts
    by_group: dict[GroupKey, Counts]
    by_window: dict[Window, Counts]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``{"overall": {...}, "by_group": [...], "by_window": [...]}``."""
        return {
            "overall": self.overall.to_dict(),
            "by_group": [
                {"rule_type": key.rule_type, "task_id": key.task_id, **counts.to_dict()}
                for key, counts in self.by_group.items()
            ],
            "by_window": [
                {
                    "window_start": window.start.isoformat(),
                    "window_end": window.end.isoformat(),
                    **counts.to_dict(),
                }
                for window, counts in self.by_window.items()
            ],
        }


@dataclass(frozen=True)
class Pivot:
    """A groups x windows table of one measure: ``values[i][j]`` is group ``i`` in window ``j``.

    Groups are ordered by their total over all windows, largest first; a group with no
    usage in a window has 0 there.
    """

    measure: str
    groups: list[GroupKey]
    windows: list[Window]
    values: list[list[int]]

    def row(self, group: GroupKey) -> list[int]:
        """The values of one group, in window order."""
        return self.values[self.groups.index(group)]

    def to_records(self) -> list[dict[str, Any]]:
        """One dict per group: ``rule_type``, ``task_id``, then one key per window start (ISO)."""
        records = []
        for key, values in zip(self.groups, self.values, strict=True):
            record: dict[str, Any] = {"rule_type": key.rule_type, "task_id": key.task_id}
            for window, value in zip(self.windows, values, strict=True):
                record[window.start.isoformat()] = value
            records.append(record)
        return records


class UsageReport:
    """The rows of a token-usage report and what they were fetched for.

    ``rows`` are in window order (within a window, in the server's order). ``windows`` are
    every window of ``[start, end)``; ``missing`` those not fetched (empty unless the report
    is the ``.partial`` of a :class:`PartialReportError`). ``host`` is the server the rows
    came from; a report never holds a credential.
    """

    rows: list[UsageRow]
    start: datetime
    end: datetime
    interval: Optional[str]
    tz: str
    group_by: tuple[str, ...]
    host: str
    generated_at: datetime
    windows: list[Window]
    missing: list[Window]

    def __init__(
        self,
        rows: Iterable[UsageRow],
        *,
        start: datetime,
        end: datetime,
        interval: Optional[str],
        tz: str,
        group_by: Sequence[str],
        host: str,
        generated_at: datetime,
        windows: Sequence[tuple[datetime, datetime]],
        missing: Sequence[tuple[datetime, datetime]] = (),
    ) -> None:
        self.rows = list(rows)
        self.start = start
        self.end = end
        self.interval = interval
        self.tz = tz
        self.group_by = tuple(group_by)
        self.host = host
        self.generated_at = generated_at
        self.windows = [Window(*window) for window in windows]
        self.missing = [Window(*window) for window in missing]
        # Set by fetch_usage so that resume() can reach the server again.
        self._api: Any = None
        self._workers = DEFAULT_WORKERS

    # -- container protocol -------------------------------------------------------------

    def __iter__(self) -> Iterator[UsageRow]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def __repr__(self) -> str:
        missing = f", missing={len(self.missing)}" if self.missing else ""
        return (
            f"UsageReport(host={self.host!r}, start={self.start.isoformat()!r}, "
            f"end={self.end.isoformat()!r}, interval={self.interval!r}, tz={self.tz!r}, "
            f"group_by={self.group_by!r}, windows={len(self.windows)}, "
            f"rows={len(self.rows)}{missing})"
        )

    @property
    def complete(self) -> bool:
        """True when every window was fetched."""
        return not self.missing

    @property
    def fetched_windows(self) -> list[Window]:
        """The windows whose rows are in the report, in order."""
        missing = {_utc_key(window) for window in self.missing}
        return [window for window in self.windows if _utc_key(window) not in missing]

    # -- aggregation --------------------------------------------------------------------

    def totals(self) -> Totals:
        """Counts overall, per group and per window (see :class:`Totals`)."""
        overall = Counts()
        by_group: dict[GroupKey, Counts] = {}
        windows = self.fetched_windows
        per_window = [Counts() for _ in windows]
        starts = [_utc(window.start) for window in windows]
        for row in self.rows:
            counts = row.counts
            overall += counts
            by_group[row.group] = by_group.get(row.group, Counts()) + counts
            index = _window_index(starts, row.window_start)
            if index is not None:
                per_window[index] += counts
        ordered = sorted(by_group.items(), key=lambda item: (-item[1].total, _sort_key(item[0])))
        return Totals(
            overall=overall,
            by_group=dict(ordered),
            by_window=dict(zip(windows, per_window, strict=True)),
        )

    def pivot(self, measure: str = "total") -> Pivot:
        """One measure (see :data:`MEASURES`) as a groups x windows :class:`Pivot`."""
        _check_measure(measure)
        windows = self.fetched_windows
        starts = [_utc(window.start) for window in windows]
        groups = list(self.totals().by_group)
        position = {key: i for i, key in enumerate(groups)}
        values = [[0] * len(windows) for _ in groups]
        for row in self.rows:
            index = _window_index(starts, row.window_start)
            if index is not None:
                values[position[row.group]][index] += row.counts.get(measure)
        return Pivot(measure=measure, groups=groups, windows=windows, values=values)

    # -- exports ------------------------------------------------------------------------

    def to_records(self) -> list[dict[str, Any]]:
        """One dict per row keyed by :data:`COLUMNS`, datetimes as aware datetimes."""
        return [row.to_record() for row in self.rows]

    def metadata(self) -> dict[str, Any]:
        """JSON-ready description of the report: range, interval, zone, groups, host, time."""
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "interval": self.interval,
            "tz": self.tz,
            "group_by": list(self.group_by),
            "host": self.host,
            "generated_at": self.generated_at.isoformat(),
            "windows": [[w.start.isoformat(), w.end.isoformat()] for w in self.windows],
        }

    def to_csv(self, path_or_file: Optional[PathOrFile] = None) -> str:
        """CSV with a header of :data:`COLUMNS`; an absent group is an empty field.

        Returns the text, and writes it to ``path_or_file`` (a path or a file object) if given.
        """
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(COLUMNS)
        for row in self.rows:
            record = row.to_dict()
            writer.writerow(["" if record[c] is None else record[c] for c in COLUMNS])
        return _emit(buffer.getvalue(), path_or_file)

    def to_json(self, path_or_file: Optional[PathOrFile] = None, *, indent: int = 2) -> str:
        """One JSON object: the :meth:`metadata`, ``"rows"`` and ``"totals"``."""
        document = {
            **self.metadata(),
            "rows": [row.to_dict() for row in self.rows],
            "totals": self.totals().to_dict(),
        }
        return _emit(json.dumps(document, indent=indent) + "\n", path_or_file)

    def to_ndjson(self, path_or_file: Optional[PathOrFile] = None) -> str:
        """One JSON object per row and line, keyed by :data:`COLUMNS`."""
        text = "".join(json.dumps(row.to_dict()) + "\n" for row in self.rows)
        return _emit(text, path_or_file)

    def to_html(self, path_or_file: Optional[PathOrFile] = None) -> str:
        """A self-contained HTML page of the report (see ``_generated.html_report``)."""
        from _generated.html_report import render_html

        return _emit(render_html(self), path_or_file)

    def to_table(self, width: int = 80) -> str:
        """A plain-text table for a terminal, at most ``width`` columns wide.

        Thousands separators; a totals row; within each window (in order) the groups with
        the largest total come first.
        """
        return _render_table(self, width)

    def to_pandas(self) -> Any:
        """The rows as a ``pandas.DataFrame`` with the columns :data:`COLUMNS`.

        Needs pandas, which is not a dependency:
        ``pip install 'genai-engine-usage-client[pandas]'``.
        """
        try:
            import pandas as pd
        except ImportError as exc:
            raise ImportError(
                "UsageReport.to_pandas() needs pandas, which is not installed: "
                "pip install 'genai-engine-usage-client[pandas]'"
            ) from exc
        return pd.DataFrame.from_records(self.to_records(), columns=list(COLUMNS))

    # -- resuming -----------------------------------------------------------------------

    def resume(
        self,
        client_or_api: Union[ApiClient, UsageApi, None] = None,
        *,
        workers: Optional[int] = None,
        progress: Optional[ProgressCallback] = None,
    ) -> UsageReport:
        """Fetch the missing windows and return the completed report.

        Uses the client the report was fetched with unless ``client_or_api`` is given.
        Returns a new report (``self`` is left as it is); a complete report returns itself.
        Raises :class:`PartialReportError` again, with everything fetched so far, if some
        windows still fail.
        """
        if self.complete:
            return self
        api = _resolve_api(client_or_api) if client_or_api is not None else self._api
        if api is None:
            raise ApiValueError(
                "this report was not made by fetch_usage(): pass client_or_api to resume()"
            )
        n_workers = _check_workers(self._workers if workers is None else workers)
        return _fetch_into(self, api, n_workers, progress)


class PartialReportError(ApiException):
    """Raised when some windows of a report still failed after the client's retries.

    ``partial`` is a :class:`UsageReport` holding every window that was fetched;
    ``completed`` and ``failed`` list the windows of each kind (``failed`` includes windows
    skipped after an authentication failure); ``errors`` maps each window that raised to
    its exception. ``resume()`` fetches only the failed windows.

    It is an :class:`ApiException` (``status``/``reason``/``headers`` are those of the
    first failure), so code that catches ``ApiException`` around a report keeps working.
    """

    def __init__(self, partial: UsageReport, errors: dict[Window, Exception]) -> None:
        first = next(iter(errors.values()), None)
        if isinstance(first, ApiException):
            super().__init__(status=first.status, reason=first.reason)
            self.headers = first.headers
        else:
            super().__init__(status=None, reason=type(first).__name__ if first else None)
        self.partial = partial
        self.errors = errors
        self.failed: list[Window] = list(partial.missing)
        self.completed: list[Window] = partial.fetched_windows

    def resume(
        self,
        client_or_api: Union[ApiClient, UsageApi, None] = None,
        *,
        workers: Optional[int] = None,
        progress: Optional[ProgressCallback] = None,
    ) -> UsageReport:
        """Fetch the failed windows; the same as ``self.partial.resume(...)``."""
        return self.partial.resume(client_or_api, workers=workers, progress=progress)

    def __str__(self) -> str:
        total = len(self.partial.windows)
        shown = ", ".join(_window_label(window) for window in self.failed[:3])
        more = f" and {len(self.failed) - 3} more" if len(self.failed) > 3 else ""
        first = next(iter(self.errors.values()), None)
        cause = f"; first error: {describe_error(first)}" if first is not None else ""
        return (
            f"{len(self.failed)} of {total} report windows failed ({shown}{more}){cause}; "
            f"{len(self.completed)} windows were fetched: call .resume() to fetch the rest"
        )

    def __repr__(self) -> str:
        return (
            f"PartialReportError(failed={len(self.failed)}, completed={len(self.completed)}, "
            f"status={self.status!r})"
        )


def describe_error(exc: BaseException) -> str:
    """One line saying what went wrong with a request (never a credential)."""
    if isinstance(exc, PartialReportError):
        return str(exc)
    if isinstance(exc, ResponseValidationError):
        return f"invalid response (HTTP {exc.status}): {exc.detail}"
    if isinstance(exc, ApiConnectionError):
        return str(exc) or "connection error"
    if isinstance(exc, ApiException):
        detail = _server_detail(exc.body)
        reason = f" {exc.reason}" if exc.reason else ""
        if not detail or detail == exc.reason:
            return f"HTTP {exc.status}{reason}"
        return f"HTTP {exc.status}{reason}: {detail}"
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


# -- fetching ---------------------------------------------------------------------------


def fetch_usage(
    client_or_api: Union[ApiClient, UsageApi],
    start: DateLike,
    end: DateLike,
    group_by: Union[str, Sequence[str]] = ("rule_type",),
    interval: Optional[str] = None,
    tz: Union[str, ZoneInfo] = "UTC",
    workers: int = DEFAULT_WORKERS,
    *,
    progress: Optional[ProgressCallback] = None,
) -> UsageReport:
    """Fetch token usage for ``[start, end)``, one request per window, and return the report.

    ``start``/``end``: aware datetimes, naive datetimes (read in ``tz``), dates (midnight in
    ``tz``) or ISO 8601 strings. ``group_by``: ``"rule_type"`` and/or ``"task"`` (or
    ``TokenUsageScope`` members). ``interval``: ``None`` (one window), ``"hour"``,
    ``"day"``, ``"week"`` (from Monday) or ``"month"``, aligned in ``tz`` (an IANA name).
    ``workers`` requests run at once over the client's connection pool. ``progress``, if
    given, is called as ``progress(done, total)`` after each window.

    Raises :class:`~_generated.exceptions.ApiValueError` (naming the argument) for bad
    arguments before any request. If no window could be fetched, the first window's error is
    raised as is; if some could, :class:`PartialReportError` with the rest.
    """
    zone = _zone(tz)
    start_utc = _to_utc(start, zone, "start")
    end_utc = _to_utc(end, zone, "end")
    if end_utc <= start_utc:
        raise ApiArgumentError.for_argument(
            "end", end, f"a time after start ({start_utc.astimezone(zone).isoformat()})"
        )
    checked_interval = _check_interval(interval)
    groups = _check_group_by(group_by)
    n_workers = _check_workers(workers)
    api = _resolve_api(client_or_api)
    windows = _split(start_utc, end_utc, checked_interval, zone)
    report = UsageReport(
        [],
        start=start_utc.astimezone(zone),
        end=end_utc.astimezone(zone),
        interval=checked_interval,
        tz=zone.key or str(zone),
        group_by=groups,
        host=_host_of(api),
        generated_at=datetime.now(zone),
        windows=windows,
        missing=windows,
    )
    report._api = api
    report._workers = n_workers
    return _fetch_into(report, api, n_workers, progress)


def split_windows(
    start: DateLike,
    end: DateLike,
    interval: Optional[str] = None,
    tz: Union[str, ZoneInfo] = "UTC",
) -> list[Window]:
    """The windows :func:`fetch_usage` would request, with the same argument rules."""
    zone = _zone(tz)
    start_utc = _to_utc(start, zone, "start")
    end_utc = _to_utc(end, zone, "end")
    if end_utc <= start_utc:
        raise ApiArgumentError.for_argument("end", end, "a time after start")
    return _split(start_utc, end_utc, _check_interval(interval), zone)


# Errors after which the remaining windows are not requested.
_FATAL = (UnauthorizedException, ForbiddenException, ApiValueError)


class _Skipped(Exception):
    """A window not requested: an earlier one failed in a way every window would (see _FATAL)."""


def _fetch_into(
    report: UsageReport, api: Any, workers: int, progress: Optional[ProgressCallback]
) -> UsageReport:
    """Fetch ``report.missing`` and return a new report with the old and new rows merged."""
    todo = list(report.missing)
    fetched, errors = _fetch_windows(api, todo, report.group_by, workers, progress)
    still_missing = [window for i, window in enumerate(todo) if i not in fetched]
    new_rows = [row for i in sorted(fetched) for row in fetched[i]]
    starts = [_utc(window.start) for window in report.windows]
    merged = sorted(
        [*report.rows, *new_rows],
        key=lambda row: _window_index(starts, row.window_start) or 0,
    )
    result = UsageReport(
        merged,
        start=report.start,
        end=report.end,
        interval=report.interval,
        tz=report.tz,
        group_by=report.group_by,
        host=report.host,
        generated_at=report.generated_at,
        windows=report.windows,
        missing=still_missing,
    )
    result._api = api
    result._workers = workers
    if not still_missing:
        return result
    window_errors = {todo[i]: exc for i, exc in sorted(errors.items())}
    first = next(iter(window_errors.values()), None)
    if result.fetched_windows or first is None:
        raise PartialReportError(result, window_errors) from first
    # Nothing was fetched at all: the error is exactly what the single request raised.
    raise first


def _fetch_windows(
    api: Any,
    windows: list[Window],
    group_by: tuple[str, ...],
    workers: int,
    progress: Optional[ProgressCallback],
) -> tuple[dict[int, list[UsageRow]], dict[int, Exception]]:
    """Request every window on a bounded pool; rows by window index, and errors by index."""
    fetched: dict[int, list[UsageRow]] = {}
    errors: dict[int, Exception] = {}
    if not windows:
        return fetched, errors
    stop = threading.Event()

    def fetch(window: Window) -> list[UsageRow]:
        if stop.is_set():
            raise _Skipped
        try:
            return _fetch_window(api, window, group_by)
        except _FATAL:
            # The same credentials and arguments will not work for the other windows either.
            stop.set()
            raise

    pool = ThreadPoolExecutor(
        max_workers=min(workers, len(windows)), thread_name_prefix="usage-report"
    )
    try:
        futures: dict[Future[list[UsageRow]], int] = {
            pool.submit(fetch, window): i for i, window in enumerate(windows)
        }
        for done, future in enumerate(as_completed(futures), start=1):
            index = futures[future]
            try:
                fetched[index] = future.result()
            except _Skipped:
                pass
            except Exception as exc:
                errors[index] = exc
            if progress is not None:
                progress(done, len(windows))
    except BaseException:
        # Ctrl-C (or a failing progress callback): drop queued windows, don't wait for
        # the requests in flight.
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    return fetched, errors


def _fetch_window(api: Any, window: Window, group_by: tuple[str, ...]) -> list[UsageRow]:
    responses = api.get_token_usage_api_v2_usage_tokens_get(
        start_time=window.start.astimezone(_UTC),
        end_time=window.end.astimezone(_UTC),
        group_by=list(group_by),
    )
    return [
        UsageRow(
            window_start=window.start,
            window_end=window.end,
            rule_type=response.rule_type,
            task_id=response.task_id,
            inference=response.count.inference,
            eval_prompt=response.count.eval_prompt,
            eval_completion=response.count.eval_completion,
        )
        for response in responses
    ]


def _resolve_api(client_or_api: Any) -> Any:
    """A ``UsageApi`` for an ``ApiClient``; a ``UsageApi`` (or look-alike) as is."""
    from _generated.api.usage_api import UsageApi
    from _generated.api_client import ApiClient

    if isinstance(client_or_api, ApiClient):
        return UsageApi(client_or_api)
    if isinstance(client_or_api, UsageApi) or callable(
        getattr(client_or_api, "get_token_usage_api_v2_usage_tokens_get", None)
    ):
        return client_or_api
    raise ApiTypeError(
        f"client_or_api must be an ApiClient or a UsageApi, got {type(client_or_api).__name__}"
    )


def _host_of(api: Any) -> str:
    configuration = getattr(getattr(api, "api_client", None), "configuration", None)
    return str(getattr(configuration, "host", ""))


# -- arguments --------------------------------------------------------------------------


def _zone(tz: Union[str, ZoneInfo]) -> ZoneInfo:
    if isinstance(tz, ZoneInfo):
        return tz
    expected = "an IANA time zone name such as 'UTC' or 'Europe/Berlin'"
    if not isinstance(tz, str) or not tz.strip():
        raise ApiArgumentError.for_argument("tz", tz, expected)
    try:
        return ZoneInfo(tz.strip())
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ApiArgumentError.for_argument("tz", tz, expected) from exc


def _to_utc(value: DateLike, zone: tzinfo, argument: str) -> datetime:
    """An aware UTC datetime for ``value``; naive values and dates are read in ``zone``."""
    parsed: datetime
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        from dateutil.parser import isoparse

        try:
            parsed = isoparse(value.strip())
        except (ValueError, OverflowError) as exc:
            raise ApiArgumentError.for_argument(
                argument,
                value,
                "an ISO 8601 date or datetime such as '2026-11-01' or '2026-11-01T08:00:00+01:00'",
            ) from exc
    else:
        raise ApiArgumentError.for_argument(
            argument, value, "a datetime, a date or an ISO 8601 string"
        )
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        parsed = parsed.replace(tzinfo=zone)
    return parsed.astimezone(_UTC)


def _check_interval(interval: Optional[str]) -> Optional[str]:
    if interval is None:
        return None
    if isinstance(interval, str) and interval.strip().lower() in INTERVALS:
        return interval.strip().lower()
    raise ApiArgumentError.for_argument(
        "interval", interval, "None or one of " + ", ".join(repr(i) for i in INTERVALS)
    )


def _check_group_by(group_by: Union[str, Sequence[str]]) -> tuple[str, ...]:
    expected = "one or more of " + ", ".join(repr(g) for g in GROUPS)
    items = [group_by] if isinstance(group_by, str) else group_by
    if not isinstance(items, Iterable):
        raise ApiArgumentError.for_argument("group_by", group_by, expected)
    groups: list[str] = []
    for item in items:
        name = str(getattr(item, "value", item))
        if name not in GROUPS:
            raise ApiArgumentError.for_argument("group_by", group_by, expected)
        if name not in groups:
            groups.append(name)
    if not groups:
        raise ApiArgumentError.for_argument("group_by", group_by, expected)
    return tuple(groups)


def _check_workers(workers: int) -> int:
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ApiArgumentError.for_argument("workers", workers, "an integer of at least 1")
    return workers


def _check_measure(measure: str) -> str:
    if measure not in MEASURES:
        raise ApiArgumentError.for_argument(
            "measure", measure, "one of " + ", ".join(repr(m) for m in MEASURES)
        )
    return measure


# -- windows ----------------------------------------------------------------------------


def _split(start: datetime, end: datetime, interval: Optional[str], zone: ZoneInfo) -> list[Window]:
    """Windows of ``[start, end)`` (UTC) aligned to ``interval`` in ``zone``, clipped."""
    if interval is None:
        return [Window(start.astimezone(zone), end.astimezone(zone))]
    windows: list[Window] = []
    boundary = _floor(start, interval, zone)
    while boundary < end:
        following = _step(boundary, interval, zone)
        windows.append(
            Window(max(boundary, start).astimezone(zone), min(following, end).astimezone(zone))
        )
        if len(windows) > MAX_WINDOWS:
            raise ApiArgumentError.for_argument(
                "interval",
                interval,
                f"an interval giving at most {MAX_WINDOWS} windows for this range",
            )
        boundary = following
    return windows


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    # fold=0 in a gap gives the pre-transition offset, i.e. the day's first real instant.
    return datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(_UTC)


def _floor(instant: datetime, interval: str, zone: ZoneInfo) -> datetime:
    """The start (UTC) of the ``interval`` in ``zone`` that contains ``instant``."""
    local = instant.astimezone(zone)
    if interval == "hour":
        return local.replace(minute=0, second=0, microsecond=0).astimezone(_UTC)
    day = local.date()
    if interval == "week":
        day -= timedelta(days=day.weekday())
    elif interval == "month":
        day = day.replace(day=1)
    return _local_midnight(day, zone)


def _step(boundary: datetime, interval: str, zone: ZoneInfo) -> datetime:
    """The next ``interval`` boundary (UTC) after ``boundary``."""
    if interval == "hour":
        following = _floor(boundary + _HOUR, "hour", zone)
        return following if following > boundary else boundary + _HOUR
    day = boundary.astimezone(zone).date()
    if interval == "day":
        day += timedelta(days=1)
    elif interval == "week":
        day += timedelta(days=7)
    else:
        day = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return _local_midnight(day, zone)


# -- helpers ----------------------------------------------------------------------------


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(_UTC)


def _utc_key(window: Window) -> tuple[datetime, datetime]:
    return (_utc(window.start), _utc(window.end))


def _window_index(starts: list[datetime], moment: datetime) -> Optional[int]:
    """Index of the window (by sorted UTC ``starts``) that contains ``moment``."""
    index = bisect.bisect_right(starts, _utc(moment)) - 1
    return index if index >= 0 else None


def _sort_key(key: GroupKey) -> tuple[str, str]:
    return (key.rule_type or "", key.task_id or "")


def _window_label(window: Window) -> str:
    return f"{window.start.isoformat()}/{window.end.isoformat()}"


def _server_detail(body: Optional[str]) -> str:
    """The ``detail`` of a JSON error body, or a short excerpt of the body."""
    if not body:
        return ""
    try:
        detail = json.loads(body).get("detail")
    except (ValueError, AttributeError):
        detail = None
    if isinstance(detail, list):
        detail = "; ".join(
            str(item.get("msg", item)) if isinstance(item, dict) else str(item) for item in detail
        )
    text = " ".join(str(detail if detail is not None else body).split())
    return text if len(text) <= 200 else text[:197] + "..."


def _emit(text: str, path_or_file: Optional[PathOrFile]) -> str:
    """Write ``text`` to a path or file object (if given) and return it."""
    if path_or_file is None:
        return text
    if isinstance(path_or_file, (str, os.PathLike)):
        with open(path_or_file, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        return text
    write = getattr(path_or_file, "write", None)
    if not callable(write):
        raise ApiTypeError(
            "path_or_file must be a path or a file object with write(), "
            f"got {type(path_or_file).__name__}"
        )
    if isinstance(path_or_file, (io.RawIOBase, io.BufferedIOBase)) or "b" in getattr(
        path_or_file, "mode", ""
    ):
        write(text.encode("utf-8"))
    else:
        write(text)
    return text


# -- table ------------------------------------------------------------------------------

# (measure, first header line, second header line)
_NUMBER_COLUMNS = (
    ("inference", "", "inference"),
    ("eval_prompt", "eval", "prompt"),
    ("eval_completion", "eval", "completion"),
    ("total", "", "total"),
)
# When the line is too wide, text columns give up width in this order, down to these floors:
# task ids first (a uuid prefix still identifies), then rule types, then anything.
_SHRINK_STAGES = (("task", 11), ("rule type", 12), ("task", 6), ("rule type", 6), ("window", 6))
_GAP = "  "


def _fmt_moment(moment: datetime) -> str:
    if (moment.hour, moment.minute, moment.second, moment.microsecond) == (0, 0, 0, 0):
        return moment.strftime("%Y-%m-%d")
    return moment.strftime("%Y-%m-%d %H:%M")


def _window_cell(window: Window, interval: Optional[str]) -> str:
    start = window.start
    if interval == "month":
        return start.strftime("%Y-%m")
    if interval == "hour":
        # tzname tells the two 02:00 hours of a DST fall-back apart (CEST, then CET).
        return f"{start.strftime('%Y-%m-%d %H:%M')} {start.tzname()}"
    return start.strftime("%Y-%m-%d")


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(width - 3, 1)] + "..."


def _render_table(report: UsageReport, width: int) -> str:
    import textwrap

    text_headers: list[str] = []
    if report.interval is not None:
        text_headers.append("window")
    if "rule_type" in report.group_by:
        text_headers.append("rule type")
    if "task" in report.group_by:
        text_headers.append("task")

    # Windows in order; within a window, the largest total first.
    starts = [_utc(window.start) for window in report.windows]
    ordered = sorted(
        report.rows,
        key=lambda row: (_window_index(starts, row.window_start) or 0, -row.total),
    )
    body: list[tuple[list[str], list[str]]] = []
    for row in ordered:
        cells = []
        if report.interval is not None:
            cells.append(_window_cell(Window(row.window_start, row.window_end), report.interval))
        if "rule_type" in report.group_by:
            cells.append(row.rule_type if row.rule_type is not None else "(none)")
        if "task" in report.group_by:
            cells.append(row.task_id if row.task_id is not None else "(none)")
        body.append((cells, [f"{row.counts.get(m):,}" for m, _, _ in _NUMBER_COLUMNS]))
    overall = report.totals().overall
    total_line = (
        ["TOTAL"] + [""] * (len(text_headers) - 1),
        [f"{overall.get(m):,}" for m, _, _ in _NUMBER_COLUMNS],
    )
    every = [*body, total_line]
    number_widths = [
        max(len(top), len(bottom), *(len(numbers[i]) for _, numbers in every))
        for i, (_, top, bottom) in enumerate(_NUMBER_COLUMNS)
    ]
    text_widths = [
        max(len(header), *(len(texts[i]) for texts, _ in every))
        for i, header in enumerate(text_headers)
    ]
    gaps = len(_GAP) * (len(number_widths) + len(text_widths) - 1)
    excess = sum(number_widths) + sum(text_widths) + gaps - width
    for name, floor in _SHRINK_STAGES:
        if name in text_headers and excess > 0:
            column = text_headers.index(name)
            cut = min(excess, max(text_widths[column] - floor, 0))
            text_widths[column] -= cut
            excess -= cut

    def line(texts: list[str], numbers: list[str]) -> str:
        cells = [_fit(t, w).ljust(w) for t, w in zip(texts, text_widths, strict=True)]
        cells += [n.rjust(w) for n, w in zip(numbers, number_widths, strict=True)]
        return _GAP.join(cells).rstrip()

    rule = _GAP.join("-" * w for w in [*text_widths, *number_widths])
    title = (
        f"Token usage from {_fmt_moment(report.start)} to {_fmt_moment(report.end)} "
        f"({report.tz}, end exclusive)"
    )
    if report.interval is not None:
        title += f", per {report.interval}"
    title += ", by " + " and ".join(report.group_by)
    lines = textwrap.wrap(title, width=width)
    lines.append(line([""] * len(text_headers), [top for _, top, _ in _NUMBER_COLUMNS]))
    lines.append(line(text_headers, [bottom for _, _, bottom in _NUMBER_COLUMNS]))
    lines.append(rule)
    lines.extend(line(texts, numbers) for texts, numbers in body)
    if not body:
        lines.append("(no token usage in this range)")
    lines.append(rule)
    lines.append(line(*total_line))
    return "\n".join(lines) + "\n"
