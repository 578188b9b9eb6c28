"""What the HTML page shows, taken from the report's own totals plus one pass for the chart."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Optional

from _generated.reports.periods import UTC
from _generated.reports.rows import GroupKey
from _generated.reports.view import ReportView

__all__ = ["Aggregate", "rank_series"]


@dataclass
class Aggregate:
    """Everything the page shows: totals from ``report.totals()``, per-window series here."""

    overall: list[int]  # inference, eval_prompt, eval_completion
    groups: dict[GroupKey, list[int]]  # largest total first, as ``Totals.by_group``
    series_dim: str  # "rule_type" or "task"
    # Per window index: series name -> [inference, eval_prompt, eval_completion].
    per_window: list[dict[Optional[str], list[int]]]
    series_totals: dict[Optional[str], int]
    missing: list[bool]

    @classmethod
    def of(cls, report: ReportView) -> Aggregate:
        totals = report.totals()
        series_dim = "rule_type" if "rule_type" in report.group_by else "task"
        field = 0 if series_dim == "rule_type" else 1
        groups = {
            key: [c.inference, c.eval_prompt, c.eval_completion]
            for key, c in totals.by_group.items()
        }
        series_totals: dict[Optional[str], int] = {}
        for key, counts in totals.by_group.items():
            series_totals[key[field]] = series_totals.get(key[field], 0) + counts.total

        windows = report.windows
        starts = [window.start.astimezone(UTC) for window in windows]
        position = {start: i for i, start in enumerate(starts)}
        per_window: list[dict[Optional[str], list[int]]] = [{} for _ in windows]
        keys = report.groups.keys
        for segment in report.segments:
            start = segment.window.start.astimezone(UTC)
            index = position.get(start)
            if index is None:
                index = bisect_right(starts, start) - 1  # a row off the window grid
                if index < 0:
                    continue
            cells = per_window[index]
            for group, inference, prompt, completion in zip(
                segment.groups,
                segment.inference,
                segment.eval_prompt,
                segment.eval_completion,
                strict=True,
            ):
                series = keys[group][field]
                cell = cells.get(series)
                if cell is None:
                    cells[series] = [inference, prompt, completion]
                else:
                    cell[0] += inference
                    cell[1] += prompt
                    cell[2] += completion
        missing_starts = {window.start.astimezone(UTC) for window in report.missing}
        overall = totals.overall
        return cls(
            overall=[overall.inference, overall.eval_prompt, overall.eval_completion],
            groups=groups,
            series_dim=series_dim,
            per_window=per_window,
            series_totals=series_totals,
            missing=[start in missing_starts for start in starts],
        )

    @property
    def total(self) -> int:
        return sum(self.overall)


def rank_series(totals: Iterable[tuple[Optional[str], int]]) -> list[tuple[Optional[str], int]]:
    """Largest first; ties by name, ``None`` last."""
    return sorted(totals, key=lambda item: (-item[1], item[0] is None, item[0] or ""))
