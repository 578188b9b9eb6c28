"""The columnar core of a report: per-window columns of counts and interned group keys.

A month of 35,000 groups a day is a million rows; kept as a million objects it costs
hundreds of MiB and seconds of allocation. Here each window holds four ``array('q')``
columns (group number, inference, eval prompt, eval completion) and each distinct group
key is stored once in a :class:`GroupTable`. ``UsageRow`` objects are made only when a
caller asks for rows; totals, pivots and exports read the columns.

Nothing here does I/O: the thread-pool fetcher, the cache and an async fetcher all feed
:class:`WindowColumns` made by :func:`columns_from_rows` or the parser.
"""

from __future__ import annotations

import threading
from array import array
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Sequence
from typing import Optional

from _generated.reports.periods import UTC, Window
from _generated.reports.rows import GroupKey, UsageRow, group_sort_key

__all__ = ["GroupTable", "WindowColumns", "columns_from_rows", "merge_windows"]

# Signed 64-bit: token counts fit with room to spare; a larger value is a bad response.
_INT = "q"


class GroupTable:
    """Each distinct group key of a report stored once, numbered in order of arrival.

    Thread-safe: the windows of a report are parsed in several threads into one table.
    """

    __slots__ = ("_index", "_lock", "keys")

    def __init__(self) -> None:
        self.keys: list[GroupKey] = []
        self._index: dict[tuple[Optional[str], Optional[str]], int] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.keys)

    def numbers(self, keys: Sequence[tuple[Optional[str], Optional[str]]]) -> array[int]:
        """The number of each key, adding the keys not seen before."""
        index = self._index
        numbers = array(_INT)
        with self._lock:
            for key in keys:
                number = index.get(key)
                if number is None:
                    number = index[key] = len(self.keys)
                    self.keys.append(GroupKey(*key))
                numbers.append(number)
        return numbers


class WindowColumns:
    """The rows of one window as columns of equal length, rows sorted by group key."""

    __slots__ = ("eval_completion", "eval_prompt", "groups", "inference", "window")

    def __init__(
        self,
        window: Window,
        groups: array[int],
        inference: array[int],
        eval_prompt: array[int],
        eval_completion: array[int],
    ) -> None:
        self.window = window
        self.groups = groups
        self.inference = inference
        self.eval_prompt = eval_prompt
        self.eval_completion = eval_completion

    def __len__(self) -> int:
        return len(self.groups)

    def sums(self) -> tuple[int, int, int]:
        """Inference, eval prompt and eval completion summed over the window's rows."""
        return (sum(self.inference), sum(self.eval_prompt), sum(self.eval_completion))

    def rows(self, table: GroupTable) -> Iterator[UsageRow]:
        """The window's rows as ``UsageRow`` objects, made one by one."""
        start, end = self.window
        keys = table.keys
        for group, inference, prompt, completion in zip(
            self.groups, self.inference, self.eval_prompt, self.eval_completion, strict=True
        ):
            key = keys[group]
            yield UsageRow(start, end, key[0], key[1], inference, prompt, completion)


def sorted_columns(
    window: Window,
    table: GroupTable,
    keys: list[tuple[Optional[str], Optional[str]]],
    inference: Sequence[int],
    eval_prompt: Sequence[int],
    eval_completion: Sequence[int],
) -> WindowColumns:
    """Columns for one window's rows, put in the deterministic group order.

    The engine answers in an arbitrary order that changes between server processes.
    """
    order = sorted(range(len(keys)), key=lambda i: group_sort_key(keys[i]))
    if order != list(range(len(keys))):
        keys = [keys[i] for i in order]
        inference = [inference[i] for i in order]
        eval_prompt = [eval_prompt[i] for i in order]
        eval_completion = [eval_completion[i] for i in order]
    return WindowColumns(
        window,
        table.numbers(keys),
        array(_INT, inference),
        array(_INT, eval_prompt),
        array(_INT, eval_completion),
    )


def columns_from_rows(rows: Iterable[UsageRow], table: GroupTable) -> list[WindowColumns]:
    """``UsageRow`` objects as columns: one per run of rows of the same window, order kept."""
    segments: list[WindowColumns] = []
    current: Optional[Window] = None
    keys: list[tuple[Optional[str], Optional[str]]] = []
    counts: tuple[list[int], list[int], list[int]] = ([], [], [])

    def flush() -> None:
        if current is not None and keys:
            segments.append(
                WindowColumns(
                    current,
                    table.numbers(keys),
                    array(_INT, counts[0]),
                    array(_INT, counts[1]),
                    array(_INT, counts[2]),
                )
            )

    for row in rows:
        window = Window(row.window_start, row.window_end)
        if window != current:
            flush()
            current, keys, counts = window, [], ([], [], [])
        keys.append((row.rule_type, row.task_id))
        counts[0].append(row.inference)
        counts[1].append(row.eval_prompt)
        counts[2].append(row.eval_completion)
    flush()
    return segments


def merge_windows(order: Sequence[Window], *parts: Iterable[WindowColumns]) -> list[WindowColumns]:
    """The segments of ``parts`` in window order (by UTC start; stable for equal starts)."""
    starts = [w.start.astimezone(UTC) for w in order]
    everything = [segment for part in parts for segment in part]

    def position(segment: WindowColumns) -> int:
        return max(bisect_right(starts, segment.window.start.astimezone(UTC)) - 1, 0)

    return sorted(everything, key=position)
