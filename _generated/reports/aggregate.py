"""Totals and pivots computed on a report's columns (one pass over the rows each)."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from typing import Optional

from _generated.reports.columns import Measure
from _generated.reports.periods import UTC, Window, utc_bounds
from _generated.reports.rows import Counts, GroupKey, Pivot, Totals, group_sort_key
from _generated.reports.store import GroupTable, WindowColumns

__all__ = ["pivot_of", "totals_of", "window_positions"]


def window_positions(
    segments: Sequence[WindowColumns], windows: Sequence[Window]
) -> list[Optional[int]]:
    """For each segment, the index in ``windows`` of the window containing it (or None)."""
    index = {utc_bounds(window)[0]: i for i, window in enumerate(windows)}
    starts = sorted(index)
    result: list[Optional[int]] = []
    for segment in segments:
        start = segment.window.start.astimezone(UTC)
        position = index.get(start)
        if position is None:  # rows off the window grid (a report built by hand)
            before = bisect_right(starts, start) - 1
            position = index[starts[before]] if before >= 0 else None
        result.append(position)
    return result


def totals_of(
    segments: Sequence[WindowColumns], table: GroupTable, windows: Sequence[Window]
) -> Totals:
    """Overall, per group (largest total first, ties by key) and per window."""
    n_groups = len(table)
    inference = [0] * n_groups
    prompt = [0] * n_groups
    completion = [0] * n_groups
    seen = bytearray(n_groups)
    per_window = [[0, 0, 0] for _ in windows]
    for segment, position in zip(segments, window_positions(segments, windows), strict=True):
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
    keys = table.keys
    present = [g for g in range(n_groups) if seen[g]]
    present.sort(
        key=lambda g: (-(inference[g] + prompt[g] + completion[g]), group_sort_key(keys[g]))
    )
    return Totals(
        overall=Counts(sum(inference), sum(prompt), sum(completion)),
        by_group={keys[g]: Counts(inference[g], prompt[g], completion[g]) for g in present},
        by_window={w: Counts(*cell) for w, cell in zip(windows, per_window, strict=True)},
    )


def pivot_of(
    segments: Sequence[WindowColumns],
    table: GroupTable,
    windows: Sequence[Window],
    groups: list[GroupKey],
    measure: Measure,
) -> Pivot:
    """``measure`` per group (in the order of ``groups``) and window."""
    row_of = [0] * len(table)
    for i, key in enumerate(groups):
        row_of[table.number(key)] = i  # type: ignore[index]
    # One column per window, filled by row number, then turned into rows in C.
    columns = [[0] * len(groups) for _ in windows]
    for segment, position in zip(segments, window_positions(segments, windows), strict=True):
        if position is None:
            continue
        column = columns[position]
        values: Iterable[int] = (
            segment.totals() if measure == "total" else getattr(segment, measure)
        )
        for row, value in zip(map(row_of.__getitem__, segment.groups), values, strict=True):
            column[row] += value
    matrix = [list(row) for row in zip(*columns, strict=True)] if windows else [[] for _ in groups]
    return Pivot(measure=measure, groups=groups, windows=list(windows), values=matrix)
