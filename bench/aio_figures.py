"""The figures of the async client (issue 14), measured like :mod:`bench.figures`.

7. One-row call: ``await UsageApi.get_token_usage_api_v2_usage_tokens_get`` vs a raw
   ``aiohttp.ClientSession.get`` + ``json.loads`` of the same URL, both kept alive on one
   event loop against the bench server, interleaved block by block (order alternating).
8. A 200-window daily report with ``fetch_usage_async`` against ``FakeUsageEngine`` adding
   50 ms to every request: 16 concurrent requests vs 1.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from bench.figures import END, START, TOKEN, Figure, _ms, _query_url, _us

if TYPE_CHECKING:  # annotations only: importing the package is left to the figures
    from _generated.models.token_usage_scope import ScopeName

__all__ = ["report_concurrency", "small_response"]

#: 200 daily windows.
REPORT_START = date(2026, 5, 1)
REPORT_END = REPORT_START + timedelta(days=200)


def small_response(
    base_url: str, calls: int = 2_000, block: int = 100, warmup: int = 200
) -> Figure:
    """Per-call time of sequential one-row calls on the async client vs raw aiohttp."""
    import aiohttp

    from _generated import Configuration, aio

    group_by: list[ScopeName] = ["rule_type"]
    url = _query_url(base_url, group_by)
    headers = {"Authorization": f"Bearer {TOKEN}", "Accept": "application/json"}

    async def measure() -> tuple[list[float], list[float]]:
        configuration = Configuration(host=base_url, access_token=TOKEN)
        async with aio.ApiClient(configuration) as client, aiohttp.ClientSession() as session:
            api = aio.UsageApi(client)
            call = api.get_token_usage_api_v2_usage_tokens_get
            raw = await api.get_token_usage_api_v2_usage_tokens_get_without_preload_content(
                start_time=START, end_time=END, group_by=group_by
            )
            raw.release()
            if str(raw.url) != url:
                raise RuntimeError(f"baseline URL {url!r} differs from the SDK's {raw.url!s}")

            async def sdk_block(count: int = block) -> float:
                started = time.perf_counter()
                for _ in range(count):
                    await call(start_time=START, end_time=END, group_by=group_by)
                return (time.perf_counter() - started) / count

            async def baseline_block(count: int = block) -> float:
                started = time.perf_counter()
                for _ in range(count):
                    async with session.get(url, headers=headers) as response:
                        json.loads(await response.read())
                return (time.perf_counter() - started) / count

            rows = await call(start_time=START, end_time=END, group_by=group_by)
            if len(rows) != 1:
                raise RuntimeError("the small body should hold one row")
            await sdk_block(warmup)
            await baseline_block(warmup)
            runs: list[Callable[[], Awaitable[float]]] = [sdk_block, baseline_block]
            times: list[list[float]] = [[], []]
            for index in range(calls // block):
                for offset in range(2):
                    which = (index + offset) % 2
                    times[which].append(await runs[which]())
            return times[0], times[1]

    sdk_times, base_times = asyncio.run(measure())
    sdk_median = statistics.median(sdk_times)
    base_median = statistics.median(base_times)
    ratio = sdk_median / base_median
    return Figure(
        name="10. Async small response (1 row), per call",
        sdk=_us(sdk_median),
        baseline=_us(base_median),
        ratio=ratio,
        target="<= 1.15",
        met=ratio <= 1.15,
        detail=f"{calls:,} awaited calls each in blocks of {block}, median block; baseline: "
        "aiohttp.ClientSession.get + json.loads, same URL, same loop",
    )


def report_concurrency(latency: float = 0.05) -> Figure:
    """``fetch_usage_async`` over 200 daily windows, 16 requests at once vs 1."""
    from _generated import aio
    from _generated.reports import fetch_usage_async
    from _generated.testing import FakeUsageEngine

    def timed(engine: Any, workers: int) -> float:
        async def run() -> float:
            config = engine.configuration(connection_pool_maxsize=16)
            async with aio.ApiClient(config) as client:
                started = time.perf_counter()
                report = await fetch_usage_async(
                    client, REPORT_START, REPORT_END, interval="day", workers=workers
                )
                seconds = time.perf_counter() - started
            if len(report.windows) != 200 or not report.complete:
                raise RuntimeError(f"expected 200 windows, got {len(report.windows)}")
            return seconds

        return asyncio.run(run())

    with FakeUsageEngine(latency=latency) as engine:
        one = timed(engine, 1)
        sixteen = timed(engine, 16)
    speedup = one / sixteen
    return Figure(
        name="11. Async report, 200 windows, 16 requests vs 1",
        sdk=_ms(sixteen),
        baseline=_ms(one),
        ratio=speedup,
        ratio_text=f"{speedup:.1f}x faster",
        target=">= 12x faster",
        met=speedup >= 12.0,
        detail="fetch_usage_async against FakeUsageEngine(latency=0.05); baseline column: "
        "1 request at a time",
    )
