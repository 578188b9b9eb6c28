"""Concurrency figure of ``fetch_usage``: a 31-window daily report at 1, 2, 4 and 8 workers.

The fake engine adds 50 ms to every request, so the figure measures how well the report
overlaps requests over the shared connection pool, not the server. With 4 workers the
report should be at least 3x faster than with 1.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from _generated.reports import fetch_usage
from _generated.testing import FakeUsageEngine

__all__ = ["bench_concurrency"]

#: 31 daily windows (November 2026 plus December 1st).
START = "2026-11-01"
END = "2026-12-02"


def bench_concurrency(
    workers: Sequence[int] = (1, 2, 4, 8), latency: float = 0.05, repeats: int = 1
) -> list[tuple[int, float, float]]:
    """Rows ``(workers, seconds, speedup)``; seconds is the best of ``repeats`` runs and
    speedup is relative to the first entry of ``workers``."""
    rows: list[tuple[int, float, float]] = []
    with (
        FakeUsageEngine(latency=latency) as engine,
        engine.api_client(connection_pool_maxsize=max(workers)) as client,
    ):
        baseline = None
        for count in workers:
            best = float("inf")
            for _ in range(max(repeats, 1)):
                started = time.perf_counter()
                report = fetch_usage(client, START, END, interval="day", workers=count)
                best = min(best, time.perf_counter() - started)
                if len(report.windows) != 31:
                    raise RuntimeError(f"expected 31 windows, got {len(report.windows)}")
            baseline = best if baseline is None else baseline
            rows.append((count, best, baseline / best))
    return rows


if __name__ == "__main__":
    print(f"{'workers':>7}  {'seconds':>7}  {'speed-up':>8}")
    for count, seconds, speedup in bench_concurrency():
        print(f"{count:>7}  {seconds:>7.3f}  {speedup:>7.1f}x")
