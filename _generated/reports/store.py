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
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import repeat
from operator import add, itemgetter
from typing import Any, Optional

from _generated.reports.periods import UTC, Window
from _generated.reports.rows import GroupKey, UsageRow, group_sort_key

__all__ = [
    "GroupTable",
    "WindowColumns",
    "columns_from_rows",
    "columns_of",
    "merge_windows",
]

# Signed 64-bit: token counts fit with room to spare; a larger value is a bad response.
_INT = "q"


class GroupTable:
    """Each distinct group key of a report stored once, numbered in order of arrival.

    Thread-safe: the windows of a report are parsed in several threads into one table.
    """

    __slots__ = (
        "__weakref__",
        "_index",
        "_last_layout",
        "_last_order",
        "_lock",
        "_ranks",
        "keys",
    )

    def __init__(self) -> None:
        self.keys: list[GroupKey] = []
        self._index: dict[tuple[Optional[str], Optional[str]], int] = {}
        self._lock = threading.Lock()
        self._ranks: list[int] = []
        self._last_order: Optional[tuple[array[int], Any]] = None
        # The last window ingested: (rule types, task ids, group numbers), the texts the
        # table's own keys hold, so nothing of the window itself is kept alive.
        self._last_layout: Optional[tuple[list[Any], list[Any], array[int]]] = None

    def number(self, key: tuple[Optional[str], Optional[str]]) -> Optional[int]:
        """The number of ``key``, or ``None`` if it was never seen."""
        return self._index.get(key)

    def ranks(self) -> list[int]:
        """Per group number, its position in the deterministic order (:func:`group_sort_key`).

        Adding groups never changes the relative order of the groups already there.
        """
        with self._lock:
            if len(self._ranks) != len(self.keys):
                order = sorted(range(len(self.keys)), key=lambda g: group_sort_key(self.keys[g]))
                ranks = [0] * len(order)
                for rank, group in enumerate(order):
                    ranks[group] = rank
                self._ranks = ranks
            return self._ranks

    def order_of(self, groups: array[int]) -> Optional[Callable[[Any], tuple[int, ...]]]:
        """A function picking the rows of ``groups`` (two or more) in the deterministic order,
        or ``None`` when they are in it already.

        One server process answers every window in the same order, so the last order
        computed is reused when the next window's groups come in the same sequence.
        """
        last = self._last_order
        if last is not None and last[0] == groups:
            reused: Optional[Callable[[Any], tuple[int, ...]]] = last[1]
            return reused
        ranks = self.ranks()
        position = [ranks[group] for group in groups]
        order = sorted(range(len(position)), key=position.__getitem__)
        pick = None if order == list(range(len(position))) else itemgetter(*order)
        self._last_order = (array(_INT, groups), pick)
        return pick

    def ingest(self, window: Window, items: Iterable[Any]) -> WindowColumns:
        """Columns for one window from validated flat rows (``{"rule_type", "task_id",
        "inference", "eval_prompt", "eval_completion"}``, the group fields optional), in the
        given order."""
        rows = items if isinstance(items, list) else list(items)
        # C-level passes instead of a Python loop over the rows.
        inference = array(_INT, map(itemgetter("inference"), rows))
        prompt = array(_INT, map(itemgetter("eval_prompt"), rows))
        completion = array(_INT, map(itemgetter("eval_completion"), rows))
        rule_types = list(map(dict.get, rows, repeat("rule_type")))
        task_ids = list(map(dict.get, rows, repeat("task_id")))
        del rows
        # One server answers window after window with the same groups in the same order:
        # two C-level list comparisons then replace a tuple and a lookup per row.
        last = self._last_layout
        if last is not None and rule_types == last[0] and task_ids == last[1]:
            return WindowColumns(window, array(_INT, last[2]), inference, prompt, completion)
        groups = self.numbers(zip(rule_types, task_ids, strict=True))
        keys = self.keys
        self._last_layout = (
            [keys[g].rule_type for g in groups],
            [keys[g].task_id for g in groups],
            array(_INT, groups),
        )
        return WindowColumns(window, groups, inference, prompt, completion)

    def __len__(self) -> int:
        return len(self.keys)

    def numbers(self, keys: Iterable[tuple[Optional[str], Optional[str]]]) -> array[int]:
        """The number of each key, adding the keys not seen before."""
        keys = list(keys)
        with self._lock:
            found = list(map(self._index.get, keys))
            if None in found:
                index = self._index
                for i, key in enumerate(keys):
                    if found[i] is None:
                        number = index.get(key)
                        if number is None:
                            number = index[key] = len(self.keys)
                            self.keys.append(GroupKey(*key))
                        found[i] = number
        return array(_INT, found)  # type: ignore[arg-type]


class WindowColumns:
    """The rows of one window as columns of equal length, rows sorted by group key."""

    __slots__ = ("eval_completion", "eval_prompt", "groups", "inference", "ordered", "window")

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
        # Rows arrive in the server's arbitrary order; put_in_order() sorts them once.
        self.ordered = len(groups) < 2

    def put_in_order(self, table: GroupTable) -> WindowColumns:
        """Sort the rows by group key (rule type, then task id; ``None`` last), in place.

        The engine's order changes between server processes; every output uses this one.
        """
        if self.ordered:
            return self
        pick = table.order_of(self.groups)
        if pick is not None:
            for name in ("groups", "inference", "eval_prompt", "eval_completion"):
                setattr(self, name, array(_INT, pick(getattr(self, name))))
        self.ordered = True
        return self

    def __len__(self) -> int:
        return len(self.groups)

    def totals(self) -> list[int]:
        """Per row: ``inference + eval_prompt + eval_completion``."""
        return list(map(add, map(add, self.inference, self.eval_prompt), self.eval_completion))

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


def columns_of(
    window: Window,
    table: GroupTable,
    keys: Sequence[tuple[Optional[str], Optional[str]]],
    inference: Sequence[int],
    eval_prompt: Sequence[int],
    eval_completion: Sequence[int],
) -> WindowColumns:
    """Columns for one window's rows given as parallel sequences, in the given order."""
    return WindowColumns(
        window,
        table.numbers(keys),
        array(_INT, inference),
        array(_INT, eval_prompt),
        array(_INT, eval_completion),
    )


def columns_from_rows(rows: Iterable[UsageRow], table: GroupTable) -> list[WindowColumns]:
    """``UsageRow`` objects as columns: one segment per distinct window, in first-seen order."""
    by_window: dict[Window, tuple[list[Any], list[int], list[int], list[int]]] = {}
    for row in rows:
        window = Window(row.window_start, row.window_end)
        lists = by_window.get(window)
        if lists is None:
            lists = by_window[window] = ([], [], [], [])
        lists[0].append((row.rule_type, row.task_id))
        lists[1].append(row.inference)
        lists[2].append(row.eval_prompt)
        lists[3].append(row.eval_completion)
    return [columns_of(window, table, *lists) for window, lists in by_window.items()]


def merge_windows(order: Sequence[Window], *parts: Iterable[WindowColumns]) -> list[WindowColumns]:
    """The segments of ``parts`` in window order (by UTC start; stable for equal starts)."""
    starts = [w.start.astimezone(UTC) for w in order]
    everything = [segment for part in parts for segment in part]

    def position(segment: WindowColumns) -> int:
        return max(bisect_right(starts, segment.window.start.astimezone(UTC)) - 1, 0)

    return sorted(everything, key=position)
