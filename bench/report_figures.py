"""The report figures of issue 13, each measured in fresh processes against one server.

7. A month report (31 daily windows x 35,000 rows: ``fetch_usage``, ``totals()``,
   ``pivot()``, CSV) against the plain-script floor (urllib3 + ``json.loads`` + a tuple per
   row + sums): time <= 1.0x, peak RSS growth <= 0.5x.
8. A streamed CSV of 365 daily windows: peak RSS <= 1.3x that of 31 windows.
9. The same closed month again with the cache: zero requests, time <= 0.2x the first run
   (the first run fills the cache).

Runs alternate between the contenders; the median of ``runs`` is kept.
"""

from __future__ import annotations

import statistics
import tempfile
from pathlib import Path
from typing import Any

from bench.figures import Figure, run_child

__all__ = ["report_figures"]

_MIB = 1024 * 1024


def _child(*args: str) -> dict[str, Any]:
    return run_child("bench.report_child", *args)


def _growth(result: dict[str, Any]) -> float:
    return float(result["peak"] - result["before"])


def report_figures(base_url: str, runs: int = 3) -> list[Figure]:
    """Figures 7, 8 and 9 (see the module docstring)."""
    floor: list[dict[str, Any]] = []
    month: list[dict[str, Any]] = []
    first: list[dict[str, Any]] = []
    again: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        out = str(Path(tmp) / "out.csv")
        for run in range(runs):
            floor.append(_child("floor", base_url, "31"))
            month.append(_child("month", base_url, "31", out))
            cache = str(Path(tmp) / f"cache-{run}")
            first.append(_child("cached", base_url, "31", out, cache))
            again.append(_child("cached", base_url, "31", out, cache))
        stream_month = _child("stream", base_url, "31", out)
        stream_year = _child("stream", base_url, "365", out)

    def median(results: list[dict[str, Any]], key: str) -> float:
        return statistics.median(float(r[key]) for r in results)

    floor_s, month_s = median(floor, "seconds"), median(month, "seconds")
    floor_mem = statistics.median(_growth(r) for r in floor)
    month_mem = statistics.median(_growth(r) for r in month)
    first_s, again_s = median(first, "seconds"), median(again, "seconds")
    requests_again = max(int(r["from_server"]) for r in again)
    month_ratio, memory_ratio = month_s / floor_s, month_mem / floor_mem
    stream_ratio = stream_year["peak"] / stream_month["peak"]
    cache_ratio = again_s / first_s
    fetch_first, fetch_again = median(first, "fetch_seconds"), median(again, "fetch_seconds")
    fetch_plain = median(month, "fetch_seconds")
    rows = int(month[0]["rows"])
    return [
        Figure(
            name="7. Month report, 31 x 35,000 rows: time",
            sdk=f"{month_s:.2f} s",
            baseline=f"{floor_s:.2f} s",
            ratio=month_ratio,
            target="<= 1.0x floor",
            met=month_ratio <= 1.0,
            detail=f"fetch_usage by rule type and task per day ({rows:,} rows), totals(), "
            "pivot(), write_csv(); baseline: urllib3 GET + json.loads + a tuple per row + "
            f"sums, one window after another; fresh processes, median of {runs}",
        ),
        Figure(
            name="7b. Month report: peak RSS growth",
            sdk=f"{month_mem / _MIB:.0f} MiB",
            baseline=f"{floor_mem / _MIB:.0f} MiB",
            ratio=memory_ratio,
            target="<= 0.5x floor",
            met=memory_ratio <= 0.5,
            detail="VmHWM after the work minus VmRSS after imports and a warm-up call",
        ),
        Figure(
            name="8. Streamed CSV, 365 vs 31 daily windows: peak RSS",
            sdk=f"{stream_year['peak'] / _MIB:.0f} MiB",
            baseline=f"{stream_month['peak'] / _MIB:.0f} MiB",
            ratio=stream_ratio,
            target="<= 1.3x",
            met=stream_ratio <= 1.3,
            detail=f"stream_usage(...).to_csv(path), 35,000 rows per window; "
            f"{stream_year['seconds']:.1f} s for the year",
        ),
        Figure(
            name="9. The closed month again, from the cache",
            sdk=f"{again_s:.2f} s, {requests_again} requests",
            baseline=f"{first_s:.2f} s",
            ratio=cache_ratio,
            target="0 requests, <= 0.2x",
            met=requests_again == 0 and cache_ratio <= 0.2,
            detail="the month job of figure 7 with UsageCache: baseline is the first run "
            "(fetching and filling the cache), the figure the second (every window cached); "
            f"fetch_usage alone: {fetch_again:.2f} s cached, {fetch_first:.2f} s filling the "
            f"cache, {fetch_plain:.2f} s without a cache ({fetch_again / fetch_plain:.2f}x)",
        ),
    ]
