"""Totals and pivots computed on a report's columns, with C-level loops over the rows."""

from __future__ import annotations

from array import array
from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence
from operator import add, itemgetter
from typing import Any, Optional

from _generated.reports.columns import Measure
from _generated.reports.periods import UTC, Window, utc_bounds
from _generated.reports.rows import Counts, GroupKey, Pivot, Totals
from _generated.reports.store import GroupTable, WindowColumns

__all__ = ["pivot_of", "totals_of", "window_positions"]

_INT = "q"


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


def _layouts(segments: Iterable[WindowColumns]) -> dict[bytes, list[WindowColumns]]:
    """The segments grouped by their sequence of group numbers (one server answers every
    window with the same groups in the same order, so a report has few layouts)."""
    layouts: dict[bytes, list[WindowColumns]] = {}
    for segment in segments:
        layouts.setdefault(segment.groups.tobytes(), []).append(segment)
    return layouts


def _column_sums(columns: Sequence[array[int]]) -> list[int]:
    """Element-wise sums of equally long columns, in C (``map(sum, zip(...))``)."""
    return list(map(sum, zip(*columns, strict=True)))


def totals_of(
    segments: Sequence[WindowColumns], table: GroupTable, windows: Sequence[Window]
) -> Totals:
    """Overall, per group (largest total first, ties by key) and per window.

    Each measure is summed element-wise over the windows sharing a layout (C-level
    ``map(sum, zip(...))``), then once per layout into the groups: Python work per group and
    layout, not per row.
    """
    n_groups = len(table)
    inference = [0] * n_groups
    prompt = [0] * n_groups
    completion = [0] * n_groups
    seen = bytearray(n_groups)
    for same in _layouts(segments).values():
        sums = zip(
            same[0].groups,
            _column_sums([s.inference for s in same]),
            _column_sums([s.eval_prompt for s in same]),
            _column_sums([s.eval_completion for s in same]),
            strict=True,
        )
        for group, a, b, c in sums:
            inference[group] += a
            prompt[group] += b
            completion[group] += c
            seen[group] = 1
    per_window = [[0, 0, 0] for _ in windows]
    for segment, position in zip(segments, window_positions(segments, windows), strict=True):
        if position is not None:
            cell = per_window[position]
            cell[:] = map(add, cell, segment.sums())
    keys = table.keys
    ranks = table.ranks()
    totals = list(map(add, map(add, inference, prompt), completion))
    present = [g for g in range(n_groups) if seen[g]]
    present.sort(key=lambda g: (-totals[g], ranks[g]))
    return Totals(
        overall=Counts(sum(inference), sum(prompt), sum(completion)),
        by_group={keys[g]: Counts(inference[g], prompt[g], completion[g]) for g in present},
        by_window={w: Counts(*cell) for w, cell in zip(windows, per_window, strict=True)},
    )


def _gather(rows: Sequence[int], groups: array[int]) -> Optional[Callable[[list[int]], Any]]:
    """A function taking a segment's values (in the order of ``groups``, plus a final 0) to
    the pivot's rows (group number ``rows[i]`` is row ``i``; a group the segment lacks gets
    the final 0), or ``None`` when a group repeats within the segment."""
    where = {group: i for i, group in enumerate(groups)}
    if len(where) != len(groups):
        return None
    absent = len(groups)
    picks = [where.get(group, absent) for group in rows]
    if len(picks) == 1:
        only = picks[0]
        return lambda values: (values[only],)
    if not picks:
        return lambda values: ()
    return itemgetter(*picks)


def pivot_of(
    segments: Sequence[WindowColumns],
    table: GroupTable,
    windows: Sequence[Window],
    groups: list[GroupKey],
    measure: Measure,
) -> Pivot:
    """``measure`` per group (in the order of ``groups``) and window.

    Each window's values are put in pivot row order by one C-level gather (``itemgetter``,
    planned once per layout) and copied, strided, into one row-major ``array('q')`` whose
    slices become the rows: no Python work per value, and each row's ints are made together.
    Values beyond 64 bits, or a group repeated within a window, take the plain path.
    """
    numbers = [table.number(key) for key in groups]
    positions = window_positions(segments, windows)
    width, size = len(windows), len(windows) * len(groups)
    flat = array(_INT, bytes(8 * size))
    filled = bytearray(width)
    gathers: dict[bytes, Optional[Callable[[list[int]], Any]]] = {}
    try:
        for segment, position in zip(segments, positions, strict=True):
            if position is None:
                continue
            layout = segment.groups.tobytes()
            if layout not in gathers:
                gathers[layout] = _gather(numbers, segment.groups)  # type: ignore[arg-type]
            gather = gathers[layout]
            if gather is None:
                raise _Plain
            values = segment.totals() if measure == "total" else getattr(segment, measure).tolist()
            values.append(0)
            column = array(_INT, gather(values))
            del values
            if filled[position]:
                column = array(_INT, map(add, flat[position::width], column))
            flat[position::width] = column
            filled[position] = 1
    except (_Plain, OverflowError):
        del flat
        matrix = _plain_pivot(segments, positions, numbers, width, measure)
    else:
        cuts = map(slice, range(0, size, width), range(width, size + width, width))
        matrix = list(map(array.tolist, map(flat.__getitem__, cuts)))
        if not width:
            matrix = [[] for _ in groups]
    return Pivot(measure=measure, groups=groups, windows=list(windows), values=matrix)


class _Plain(Exception):
    """The pivot needs the plain path (see :func:`pivot_of`)."""


def _plain_pivot(
    segments: Sequence[WindowColumns],
    positions: Sequence[Optional[int]],
    numbers: Sequence[Optional[int]],
    width: int,
    measure: Measure,
) -> list[list[int]]:
    """The pivot's rows with a Python loop over every value: any size, repeats added."""
    row_of = {number: i for i, number in enumerate(numbers)}
    matrix = [[0] * width for _ in numbers]
    for segment, position in zip(segments, positions, strict=True):
        if position is None:
            continue
        values: Iterable[int] = (
            segment.totals() if measure == "total" else getattr(segment, measure)
        )
        for group, value in zip(segment.groups, values, strict=True):
            matrix[row_of[group]][position] += value
    return matrix
