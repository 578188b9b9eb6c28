"""The values a report hands out: rows, group keys, counts, totals and pivots."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple, Optional

from _generated.reports.columns import MEASURES, Measure, check_measure
from _generated.reports.periods import Window

__all__ = ["Counts", "GroupKey", "Pivot", "Totals", "UsageRow", "group_sort_key"]


class GroupKey(NamedTuple):
    """The group a row belongs to; a field is ``None`` when the report is not grouped by it."""

    rule_type: Optional[str]
    task_id: Optional[str]


def group_sort_key(key: tuple[Optional[str], Optional[str]]) -> tuple[bool, str, bool, str]:
    """The deterministic order of groups: by rule type, then task id; ``None`` last."""
    rule_type, task_id = key
    return (rule_type is None, rule_type or "", task_id is None, task_id or "")


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

    def get(self, measure: Measure) -> int:
        """The value of one of :data:`MEASURES`."""
        return int(getattr(self, check_measure(measure)))

    def to_dict(self) -> dict[str, int]:
        """``{"inference": ..., "eval_prompt": ..., "eval_completion": ..., "total": ...}``."""
        return {measure: self.get(measure) for measure in MEASURES}  # type: ignore[arg-type]


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

    measure: Measure
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
