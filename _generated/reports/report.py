"""``UsageReport``: the rows of a report (kept as columns) and what they were fetched for."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from datetime import datetime
from itertools import chain
from typing import Any, Optional

from _generated._constants import DEFAULT_REPORT_WORKERS as DEFAULT_WORKERS
from _generated._constants import MIN_TABLE_WIDTH
from _generated.exceptions import ApiArgumentError, ApiException, ApiValueError
from _generated.reports import exports, table
from _generated.reports.aggregate import pivot_of, totals_of
from _generated.reports.columns import Measure, check_measure, check_workers
from _generated.reports.errors import ReportError, describe_error
from _generated.reports.fetching import (
    Fetched,
    FetchPlan,
    ProgressCallback,
    is_async_api,
    iter_results,
    resolve_api,
)
from _generated.reports.html import render_html
from _generated.reports.labels import window_label
from _generated.reports.periods import Window, utc_bounds
from _generated.reports.rows import Pivot, Totals, UsageRow
from _generated.reports.store import GroupTable, WindowColumns, columns_from_rows, merge_windows

__all__ = ["PartialReportError", "UsageReport"]

#: Where a window's rows came from (``UsageReport.window_sources``).
SOURCE_SERVER = "server"
SOURCE_CACHE = "cache"


class UsageReport:
    """The rows of a token-usage report and what they were fetched for.

    ``rows`` are in window order; within a window, sorted by rule type then task id
    (``None`` last). ``windows`` are every window of ``[start, end)``; ``missing`` those not
    fetched (empty unless the report is the ``.partial`` of a :class:`PartialReportError`).
    ``host`` is the server the rows came from; a report never holds a credential.

    Rows are stored as columns (see ``_generated.reports.store``): ``rows`` and iteration
    make ``UsageRow`` objects on access; ``totals()``, ``pivot()`` and the exports read the
    columns. ``cached`` lists the windows that came from a cache, ``provisional`` the
    windows still open when fetched (their counts may still grow).
    """

    start: datetime
    end: datetime
    interval: Optional[str]
    tz: str
    group_by: tuple[str, ...]
    host: str
    generated_at: datetime
    windows: list[Window]
    missing: list[Window]
    cached: list[Window]
    provisional: list[Window]

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
        cached: Sequence[tuple[datetime, datetime]] = (),
        provisional: Sequence[tuple[datetime, datetime]] = (),
    ) -> None:
        self.start = start
        self.end = end
        self.interval = interval
        self.tz = tz
        self.group_by = tuple(group_by)
        self.host = host
        self.generated_at = generated_at
        self.windows = [Window(*window) for window in windows]
        self.missing = [Window(*window) for window in missing]
        self.cached = [Window(*window) for window in cached]
        self.provisional = [Window(*window) for window in provisional]
        self._table = GroupTable()
        self._segments = merge_windows(self.windows, columns_from_rows(rows, self._table))
        self._totals: Optional[Totals] = None
        # Set by fetch_usage so that resume() can reach the server (and cache) again.
        self._plan: Optional[FetchPlan] = None

    @classmethod
    def from_columns(
        cls, table: GroupTable, segments: Iterable[WindowColumns], **metadata: Any
    ) -> UsageReport:
        """A report over columns already built (what the fetchers use; no copy is made)."""
        report = cls((), **metadata)
        report._table = table
        report._segments = merge_windows(report.windows, segments)
        return report

    # -- container protocol -------------------------------------------------------------

    @property
    def rows(self) -> list[UsageRow]:
        """Every row as a ``UsageRow``, made on access (a new list each time)."""
        return list(self)

    def __iter__(self) -> Iterator[UsageRow]:
        return chain.from_iterable(segment.rows(self._table) for segment in self.segments)

    def __len__(self) -> int:
        return sum(len(segment) for segment in self._segments)

    def __repr__(self) -> str:
        missing = f", missing={len(self.missing)}" if self.missing else ""
        return (
            f"UsageReport(host={self.host!r}, start={self.start.isoformat()!r}, "
            f"end={self.end.isoformat()!r}, interval={self.interval!r}, tz={self.tz!r}, "
            f"group_by={self.group_by!r}, windows={len(self.windows)}, "
            f"rows={len(self)}{missing})"
        )

    @property
    def complete(self) -> bool:
        """True when every window was fetched."""
        return not self.missing

    @property
    def fetched_windows(self) -> list[Window]:
        """The windows whose rows are in the report, in order."""
        missing = {utc_bounds(window) for window in self.missing}
        return [window for window in self.windows if utc_bounds(window) not in missing]

    @property
    def segments(self) -> list[WindowColumns]:
        """The report's columns, one :class:`WindowColumns` per window with rows, in window
        order, each window's rows sorted by group key."""
        return [segment.put_in_order(self._table) for segment in self._segments]

    @property
    def groups(self) -> GroupTable:
        """The interned group keys the segments' group numbers refer to."""
        return self._table

    def window_sources(self) -> list[tuple[Window, str, bool]]:
        """Per window: ``(window, source, provisional)``; source ``server``, ``cache`` or
        ``missing``; provisional when the window was still open when fetched."""
        missing = {utc_bounds(window) for window in self.missing}
        cached = {utc_bounds(window) for window in self.cached}
        provisional = {utc_bounds(window) for window in self.provisional}
        result = []
        for window in self.windows:
            key = utc_bounds(window)
            source = (
                "missing" if key in missing else SOURCE_CACHE if key in cached else SOURCE_SERVER
            )
            result.append((window, source, key in provisional))
        return result

    # -- aggregation --------------------------------------------------------------------

    def totals(self) -> Totals:
        """Counts overall, per group and per window (see :class:`Totals`)."""
        if self._totals is None:
            self._totals = totals_of(self._segments, self._table, self.fetched_windows)
        return self._totals

    def pivot(self, measure: Measure = "total") -> Pivot:
        """One measure (see :data:`MEASURES`) as a groups x windows :class:`Pivot`."""
        check_measure(measure)
        groups = list(self.totals().by_group)
        return pivot_of(self._segments, self._table, self.fetched_windows, groups, measure)

    # -- exports ------------------------------------------------------------------------

    def to_records(self) -> list[dict[str, Any]]:
        """One dict per row keyed by :data:`COLUMNS`, datetimes as aware datetimes."""
        return [row.to_record() for row in self]

    def metadata(self) -> dict[str, Any]:
        """JSON-ready description: range, interval, zone, groups, host, time, windows, and
        per window where its rows came from (``window_status``) with counts of each."""
        status = [
            {
                "start": window.start.isoformat(),
                "end": window.end.isoformat(),
                "source": source,
                "provisional": provisional,
            }
            for window, source, provisional in self.window_sources()
        ]
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "interval": self.interval,
            "tz": self.tz,
            "group_by": list(self.group_by),
            "host": self.host,
            "generated_at": self.generated_at.isoformat(),
            "windows": [[w.start.isoformat(), w.end.isoformat()] for w in self.windows],
            "window_status": status,
            "windows_from_server": sum(s["source"] == SOURCE_SERVER for s in status),
            "windows_from_cache": sum(s["source"] == SOURCE_CACHE for s in status),
            "windows_missing": len(self.missing),
            "windows_provisional": sum(bool(s["provisional"]) for s in status),
        }

    def to_csv(
        self, path_or_file: Optional[exports.PathOrFile] = None, *, formula_guard: bool = False
    ) -> str:
        """CSV with a header of :data:`COLUMNS`; an absent group is an empty field.

        Returns the text, and writes it to ``path_or_file`` (a path, written atomically, or
        a file object) if given. With ``formula_guard``, a name that a spreadsheet would
        run as a formula (starting with ``=``, ``+``, ``-``, ``@``, tab or CR) is written
        with a leading apostrophe.
        """
        text = exports.csv_text(self.segments, self._table, formula_guard=formula_guard)
        return exports.emit(text, path_or_file)

    def write_csv(self, path_or_file: exports.PathOrFile, *, formula_guard: bool = False) -> None:
        """Write the CSV of :meth:`to_csv` window by window, never holding all of its text
        (a path is written atomically)."""
        chunks = exports.csv_chunks(self.segments, self._table, formula_guard=formula_guard)
        exports.write_chunks(chunks, path_or_file)

    def write_ndjson(self, path_or_file: exports.PathOrFile) -> None:
        """Write the NDJSON of :meth:`to_ndjson` window by window (a path atomically)."""
        exports.write_chunks(exports.ndjson_chunks(self.segments, self._table), path_or_file)

    def to_json(self, path_or_file: Optional[exports.PathOrFile] = None, *, indent: int = 2) -> str:
        """One JSON object: the :meth:`metadata`, ``"rows"`` and ``"totals"``."""
        document = {
            **self.metadata(),
            "rows": [row.to_dict() for row in self],
            "totals": self.totals().to_dict(),
        }
        return exports.emit(exports.json_text(document, indent), path_or_file)

    def to_ndjson(self, path_or_file: Optional[exports.PathOrFile] = None) -> str:
        """One JSON object per row and line, keyed by :data:`COLUMNS`."""
        return exports.emit(exports.ndjson_text(self.segments, self._table), path_or_file)

    def to_html(self, path_or_file: Optional[exports.PathOrFile] = None) -> str:
        """A self-contained HTML page of the report (see ``_generated.reports.html``)."""
        return exports.emit(render_html(self), path_or_file)

    def to_table(self, width: int = 80) -> str:
        """A plain-text table for a terminal, at most ``width`` columns wide.

        Thousands separators; a totals row; within each window (in order) the groups with
        the largest total come first.
        """
        if not isinstance(width, int) or isinstance(width, bool) or width < MIN_TABLE_WIDTH:
            raise ApiArgumentError.for_argument(
                "width", width, f"an int of at least {MIN_TABLE_WIDTH} (columns)"
            )
        return table.render_table(self, width)

    def to_pandas(self) -> Any:
        """The rows as a ``pandas.DataFrame`` with the columns :data:`COLUMNS`.

        Needs pandas, which is not a dependency:
        ``pip install 'genai-engine-usage-client[pandas]'``.
        """
        return exports.data_frame(self.segments, self._table)

    # -- resuming -----------------------------------------------------------------------

    def resume(
        self,
        client_or_api: Any = None,
        *,
        workers: Optional[int] = None,
        progress: Optional[ProgressCallback] = None,
    ) -> UsageReport:
        """Fetch the missing windows and return the completed report.

        Uses the client (and cache) the report was fetched with unless ``client_or_api`` is
        given. Returns a new report (``self`` is left as it is); a complete report returns
        itself. Raises :class:`PartialReportError` again, with everything fetched so far,
        if some windows still fail.
        """
        if self.complete:
            return self
        plan = self._plan
        if client_or_api is not None:
            api = resolve_api(client_or_api)
            plan = replace(plan, api=api) if plan is not None else FetchPlan(api, DEFAULT_WORKERS)
        if plan is None:
            raise ApiValueError(
                "this report was not made by fetch_usage(): pass client_or_api to resume()"
            )
        if workers is not None:
            plan = replace(plan, workers=check_workers(workers))
        return self.fetch_missing(plan, progress)

    def fetch_missing(
        self, plan: FetchPlan, progress: Optional[ProgressCallback] = None
    ) -> UsageReport:
        """Fetch ``missing`` as ``plan`` says; a new report, or :class:`PartialReportError`."""
        todo = list(self.missing)
        record = Fetched()
        for _ in iter_results(plan, todo, self.group_by, self._table, progress, into=record):
            pass  # the record collects every window's outcome
        return self.merge_fetched(plan, todo, record)

    def merge_fetched(self, plan: FetchPlan, todo: list[Window], record: Fetched) -> UsageReport:
        """A new report: this one plus the windows ``record`` holds for ``todo`` (indices
        into it); raises :class:`PartialReportError` if some of ``todo`` are still missing.

        Shared by every fetcher (threads or asyncio): only how ``record`` is filled differs.
        """
        fetched = sorted(record.segments)
        still_missing = [window for i, window in enumerate(todo) if i not in record.segments]
        result = UsageReport.from_columns(
            self._table,
            [*self._segments, *(record.segments[i] for i in fetched)],
            start=self.start,
            end=self.end,
            interval=self.interval,
            tz=self.tz,
            group_by=self.group_by,
            host=self.host,
            generated_at=self.generated_at,
            windows=self.windows,
            missing=still_missing,
            cached=[*self.cached, *(todo[i] for i in fetched if i in record.cached)],
            provisional=[
                *self.provisional,
                *(todo[i] for i in fetched if i in record.provisional),
            ],
        )
        result._plan = plan
        if not still_missing:
            return result
        errors = {todo[i]: exc for i, exc in sorted(record.errors.items())}
        first = next(iter(errors.values()), None)
        if result.fetched_windows or first is None:
            raise PartialReportError(result, errors) from first
        # Nothing was fetched at all: the error is exactly what the single request raised.
        raise first


class PartialReportError(ReportError):
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
        client_or_api: Any = None,
        *,
        workers: Optional[int] = None,
        progress: Optional[ProgressCallback] = None,
    ) -> UsageReport:
        """Fetch the failed windows; the same as ``self.partial.resume(...)``."""
        return self.partial.resume(client_or_api, workers=workers, progress=progress)

    def __str__(self) -> str:
        total = len(self.partial.windows)
        shown = ", ".join(window_label(window) for window in self.failed[:3])
        more = f" and {len(self.failed) - 3} more" if len(self.failed) > 3 else ""
        first = next(iter(self.errors.values()), None)
        cause = f"; first error: {describe_error(first)}" if first is not None else ""
        return (
            f"{len(self.failed)} of {total} report windows failed ({shown}{more}){cause}; "
            f"{len(self.completed)} windows were fetched: {self._how_to_resume()} to fetch "
            "the rest"
        )

    def _how_to_resume(self) -> str:
        plan = self.partial._plan
        if plan is not None and is_async_api(plan.api):
            return "await resume_usage_async(error)"
        return "call .resume()"

    def __repr__(self) -> str:
        return (
            f"PartialReportError(failed={len(self.failed)}, completed={len(self.completed)}, "
            f"status={self.status!r})"
        )
