"""What a report is made of: its groups, intervals, measures and columns, and their checks.

Each of these facts is defined here once; the fetcher, the exports, the table, the HTML
page and the CLI read them from this module.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Literal, Optional, Union

from _generated.exceptions import ApiArgumentError
from _generated.models.token_usage_scope import SCOPES, ScopeName, TokenUsageScope

__all__ = [
    "COLUMNS",
    "COUNT_FIELDS",
    "GROUPS",
    "GROUP_LABELS",
    "INTERVALS",
    "MEASURES",
    "MEASURE_LABELS",
    "GroupName",
    "Interval",
    "Measure",
    "check_group_by",
    "check_interval",
    "check_measure",
    "check_workers",
]

#: A value of ``group_by``: one of :data:`GROUPS` (the scopes of ``TokenUsageScope``).
GroupName = ScopeName
#: A window size: one of :data:`INTERVALS`.
Interval = Literal["hour", "day", "week", "month"]
#: A count of a row, or their sum: one of :data:`MEASURES`.
Measure = Literal["inference", "eval_prompt", "eval_completion", "total"]

#: Window sizes ``fetch_usage`` accepts (``None``: one window for the whole range).
INTERVALS: tuple[str, ...] = ("hour", "day", "week", "month")
#: Values of ``group_by`` the endpoint accepts (the members of ``TokenUsageScope``).
GROUPS: tuple[str, ...] = SCOPES
#: The counts the endpoint sends per row (its deprecated copies are not part of reports).
COUNT_FIELDS: tuple[str, ...] = ("inference", "eval_prompt", "eval_completion")
#: The count fields of a row, and their sum.
MEASURES: tuple[str, ...] = (*COUNT_FIELDS, "total")
#: Columns of CSV, NDJSON and ``to_records()``, in order.
COLUMNS: tuple[str, ...] = ("window_start", "window_end", "rule_type", "task_id", *MEASURES)
#: How the table and the HTML page name each group (a value of :data:`GROUPS`).
GROUP_LABELS: dict[str, str] = {"rule_type": "rule type", "task": "task"}
#: How the table and the HTML page name each measure, and what it counts.
MEASURE_LABELS: dict[str, tuple[str, str]] = {
    "inference": ("Inference", "tokens of the guarded model calls"),
    "eval_prompt": ("Eval prompt", "prompt tokens of rule evaluations"),
    "eval_completion": ("Eval completion", "completion tokens of rule evaluations"),
    "total": ("Total", "all tokens"),
}


def check_interval(interval: Optional[str]) -> Optional[Interval]:
    """``interval`` normalised (lower case), or ``ApiArgumentError`` naming it."""
    if interval is None:
        return None
    if isinstance(interval, str) and interval.strip().lower() in INTERVALS:
        return interval.strip().lower()  # type: ignore[return-value]
    raise ApiArgumentError.for_argument(
        "interval", interval, "None or one of " + ", ".join(repr(i) for i in INTERVALS)
    )


def check_group_by(
    group_by: Union[str, TokenUsageScope, Sequence[Union[str, TokenUsageScope]]],
) -> tuple[GroupName, ...]:
    """The distinct groups of ``group_by`` in order, or ``ApiArgumentError`` naming it."""
    expected = "one or more of " + ", ".join(repr(g) for g in GROUPS)
    items = [group_by] if isinstance(group_by, str) else group_by
    if not isinstance(items, Iterable):
        raise ApiArgumentError.for_argument("group_by", group_by, expected)
    groups: list[GroupName] = []
    for item in items:
        name = str(getattr(item, "value", item))
        if name not in GROUPS:
            raise ApiArgumentError.for_argument("group_by", group_by, expected)
        if name not in groups:
            groups.append(name)  # type: ignore[arg-type]
    if not groups:
        raise ApiArgumentError.for_argument("group_by", group_by, expected)
    return tuple(groups)


def check_workers(workers: int) -> int:
    """``workers`` if it is an int of at least 1, else ``ApiArgumentError`` naming it."""
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ApiArgumentError.for_argument("workers", workers, "an integer of at least 1")
    return workers


def check_measure(measure: str) -> Measure:
    """``measure`` if it is one of :data:`MEASURES`, else ``ApiArgumentError`` naming it."""
    if measure not in MEASURES:
        raise ApiArgumentError.for_argument(
            "measure", measure, "one of " + ", ".join(repr(m) for m in MEASURES)
        )
    return measure  # type: ignore[return-value]
