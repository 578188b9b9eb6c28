"""``UsageReport``: the rows of a report (kept as columns) and what they were fetched for."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from datetime import datetime
from itertools import chain
from typing import Any, Optional

from _generated._constants import DEFAULT_REPORT_WORKERS as DEFAULT_WORKERS
from _generated.exceptions import ApiValueError
from _generated.reports import exports, table
from _generated.reports.columns import Measure, check_measure, check_workers
from _generated.reports.errors import PartialReportError
from _generated.reports.fetching import (
    Fetched,
    FetchPlan,
    ProgressCallback,
    iter_results,
    resolve_api,
)
from _generated.reports.html import render_html
from _generated.reports.periods import UTC, Window, utc_bounds
from _generated.reports.rows import Counts, Pivot, Totals, UsageRow, group_sort_key
from _generated.reports.store import GroupTable, WindowColumns, columns_from_rows, merge_windows

__all__ = ["UsageReport"]

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
        return chain.from_iterable(segment.rows(self._table) for segment in self._segments)

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
        """The report's columns, one :class:`WindowColumns` per window with rows, in order."""
        return list(self._segments)

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

    def _positions(self) -> list[Optional[int]]:
        """For each segment, the index of the fetched window containing it (or None)."""
        windows = self.fetched_windows
        index = {utc_bounds(window)[0]: i for i, window in enumerate(windows)}
        starts = sorted(index)
        result: list[Optional[int]] = []
        for segment in self._segments:
            start = segment.window.start.astimezone(UTC)
            position = index.get(start)
            if position is None:
                from bisect import bisect_right  # only rows off the window grid need it

                before = bisect_right(starts, start) - 1
                position = index[starts[before]] if before >= 0 else None
            result.append(position)
        return result

    def totals(self) -> Totals:
        """Counts overall, per group and per window (see :class:`Totals`)."""
        if self._totals is not None:
            return self._totals
        n_groups = len(self._table)
        inference = [0] * n_groups
        prompt = [0] * n_groups
        completion = [0] * n_groups
        seen = bytearray(n_groups)
        windows = self.fetched_windows
        per_window = [[0, 0, 0] for _ in windows]
        for segment, position in zip(self._segments, self._positions(), strict=True):
            for group, a, b, c in zip(
                segment.groups,
                segment.inference,
                segment.eval_prompt,
                segment.eval_completion,
                strict=True,
            ):
                inference[group] += a
                prompt[group] += b
                completion[group] += c
                seen[group] = 1
            if position is not None:
                sums = segment.sums()
                cell = per_window[position]
                cell[0] += sums[0]
                cell[1] += sums[1]
                cell[2] += sums[2]
        keys = self._table.keys
        present = [g for g in range(n_groups) if seen[g]]
        present.sort(
            key=lambda g: (-(inference[g] + prompt[g] + completion[g]), group_sort_key(keys[g]))
        )
        by_group = {keys[g]: Counts(inference[g], prompt[g], completion[g]) for g in present}
        overall = Counts(sum(inference), sum(prompt), sum(completion))
        self._totals = Totals(
            overall=overall,
            by_group=by_group,
            by_window={w: Counts(*cell) for w, cell in zip(windows, per_window, strict=True)},
        )
        return self._totals

    def pivot(self, measure: Measure = "total") -> Pivot:
        """One measure (see :data:`MEASURES`) as a groups x windows :class:`Pivot`."""
        check_measure(measure)
        windows = self.fetched_windows
        groups = list(self.totals().by_group)
        number = self._table._index
        row_of = [0] * len(self._table)
        for i, key in enumerate(groups):
            row_of[number[key]] = i
        values = [[0] * len(windows) for _ in groups]
        for segment, position in zip(self._segments, self._positions(), strict=True):
            if position is None:
                continue
            if measure == "total":
                column: Iterable[int] = map(
                    sum,
                    zip(
                        segment.inference, segment.eval_prompt, segment.eval_completion, strict=True
                    ),
                )
            else:
                column = getattr(segment, measure)
            for group, value in zip(segment.groups, column, strict=True):
                values[row_of[group]][position] += value
        return Pivot(measure=measure, groups=groups, windows=windows, values=values)

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

    def to_csv(self, path_or_file: Optional[exports.PathOrFile] = None) -> str:
        """CSV with a header of :data:`COLUMNS`; an absent group is an empty field.

        Returns the text, and writes it to ``path_or_file`` (a path, written atomically, or
        a file object) if given.
        """
        return exports.emit(exports.csv_text(self._segments, self._table), path_or_file)

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
        return exports.emit(exports.ndjson_text(self._segments, self._table), path_or_file)

    def to_html(self, path_or_file: Optional[exports.PathOrFile] = None) -> str:
        """A self-contained HTML page of the report (see ``_generated.reports.html``)."""
        return exports.emit(render_html(self), path_or_file)

    def to_table(self, width: int = 80) -> str:
        """A plain-text table for a terminal, at most ``width`` columns wide.

        Thousands separators; a totals row; within each window (in order) the groups with
        the largest total come first.
        """
        return table.render_table(self, width)

    def to_pandas(self) -> Any:
        """The rows as a ``pandas.DataFrame`` with the columns :data:`COLUMNS`.

        Needs pandas, which is not a dependency:
        ``pip install 'genai-engine-usage-client[pandas]'``.
        """
        return exports.data_frame(self._segments, self._table)

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
        for index, outcome in iter_results(
            plan, todo, self.group_by, self._table, progress, into=record
        ):
            if isinstance(outcome, WindowColumns):
                record.segments[index] = outcome
            else:
                record.errors[index] = outcome
        return self.merge_fetched(plan, todo, record)

    def merge_fetched(self, plan: FetchPlan, todo: list[Window], record: Fetched) -> UsageReport:
        """A new report with the windows of ``todo`` that ``record`` fetched; raises
        :class:`PartialReportError` if some are still missing."""
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
