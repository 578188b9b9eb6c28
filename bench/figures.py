"""The figures of ``make bench``: each function measures one and returns a :class:`Figure`.

Fairness rules kept by every figure:

- the server runs in its own process (:class:`~bench.server.BenchServer`), so it never
  competes with the client for the GIL, and serves fixed bytes, so client cost dominates;
- the SDK and its baseline run in the same process (or the same kind of fresh process),
  interleaved round by round with the order alternating (SDK first, then baseline first),
  after a warm-up; the figure is the median over rounds;
- the baseline is a real floor: urllib3's ``PoolManager`` with a kept-alive connection,
  ``json.loads`` or one ``TypeAdapter`` over plain pydantic models (:mod:`bench.baseline`).
"""

from __future__ import annotations

import gc
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional
from urllib.parse import quote, urlencode

from bench.data import LARGE_ROWS, large_body

if TYPE_CHECKING:  # the generated clients' processes import this module too
    from _generated.models.token_usage_scope import ScopeName

__all__ = [
    "Figure",
    "cold_call",
    "concurrency",
    "import_time",
    "large_response",
    "memory",
    "small_response",
]

ROOT = Path(__file__).resolve().parent.parent
PATH = "/api/v2/usage/tokens"
TOKEN = "bench-token"
START = datetime(2026, 11, 1, tzinfo=timezone.utc)
END = datetime(2026, 11, 2, tzinfo=timezone.utc)


@dataclass
class Figure:
    """One row of the table. ``ratio`` is SDK / baseline (lower is better) unless the
    figure says otherwise; ``met`` is ``None`` for figures without a target."""

    name: str
    sdk: str
    baseline: str
    ratio: Optional[float]
    target: str
    met: Optional[bool]
    detail: str = ""
    ratio_text: str = ""

    def ratio_cell(self) -> str:
        if self.ratio_text:
            return self.ratio_text
        return "-" if self.ratio is None else f"{self.ratio:.2f}"

    def met_cell(self) -> str:
        return "-" if self.met is None else ("yes" if self.met else "NO")


# -- helpers ---------------------------------------------------------------------------------


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:.1f} ms"


def _us(seconds: float) -> str:
    return f"{seconds * 1e6:.0f} us"


def _mib(size: float) -> str:
    return f"{size / 2**20:.1f} MiB"


def _interleaved(
    sdk: Callable[[], float], baseline: Callable[[], float], rounds: int
) -> tuple[list[float], list[float]]:
    """Run ``sdk`` and ``baseline`` ``rounds`` times each, alternating which goes first;
    each returns the duration it measured."""
    sdk_times, base_times = _rotated([sdk, baseline], rounds)
    return sdk_times, base_times


def _rotated(runs: Sequence[Callable[[], float]], rounds: int) -> list[list[float]]:
    """Run every callable ``rounds`` times, round-robin, each round starting one later."""
    times: list[list[float]] = [[] for _ in runs]
    for index in range(rounds):
        for offset in range(len(runs)):
            which = (index + offset) % len(runs)
            times[which].append(runs[which]())
    return times


def _query_url(base: str, group_by: Sequence[str]) -> str:
    """The URL the SDK builds for START, END and ``group_by`` (checked in the figure)."""
    query = [("start_time", START.isoformat()), ("end_time", END.isoformat())]
    query += [("group_by", scope) for scope in group_by]
    return f"{base}{PATH}?{urlencode(query, safe='', quote_via=quote)}"


def _check_same_url(api: Any, url: str, group_by: Sequence[str]) -> None:
    # The baseline must request exactly what the SDK requests.
    response = api.get_token_usage_api_v2_usage_tokens_get_without_preload_content(
        start_time=START, end_time=END, group_by=group_by
    )
    try:
        sent = response.url
    finally:
        response.drain_conn()
        response.release_conn()
    if not url.endswith(sent):
        raise RuntimeError(f"baseline URL {url!r} differs from the SDK's {sent!r}")


class _Clients:
    """An SDK client and a raw urllib3 pool, both kept alive against one server."""

    def __init__(self, base_url: str) -> None:
        import urllib3

        from _generated import ApiClient, Configuration, UsageApi

        self.client = ApiClient(Configuration(host=base_url, access_token=TOKEN))
        self.api = UsageApi(self.client)
        self.pool = urllib3.PoolManager()
        self.headers = {"Authorization": f"Bearer {TOKEN}", "Accept": "application/json"}

    def close(self) -> None:
        self.client.close()
        self.pool.clear()


# -- 1. large response -----------------------------------------------------------------------


def large_response(base_url: str, rounds: int = 7) -> Figure:
    """A full call returning 35,000 rows vs urllib3 GET + ``TypeAdapter.validate_json``."""
    from pydantic import TypeAdapter

    from _generated.models import TokenUsageResponse
    from bench.baseline import PlainTokenUsageResponse

    group_by: list[ScopeName] = ["rule_type", "task"]
    url = _query_url(base_url, group_by)
    clients = _Clients(base_url)
    adapter = TypeAdapter(list[PlainTokenUsageResponse])
    same_models = TypeAdapter(list[TokenUsageResponse])
    _check_same_url(clients.api, url, group_by)
    call = clients.api.get_token_usage_api_v2_usage_tokens_get

    def sdk() -> float:
        gc.collect()
        started = time.perf_counter()
        rows = call(start_time=START, end_time=END, group_by=group_by)
        elapsed = time.perf_counter() - started
        if len(rows) != LARGE_ROWS:
            raise RuntimeError(f"SDK returned {len(rows)} rows")
        return elapsed

    def baseline(collector_paused: bool = False, models: Any = adapter) -> float:
        gc.collect()
        started = time.perf_counter()
        body = clients.pool.request("GET", url, headers=clients.headers).data
        if collector_paused:
            gc.disable()
        try:
            rows = models.validate_json(body)
        finally:
            if collector_paused:
                gc.enable()
                gc.collect(0)  # the young objects' first pass, which the pause only defers
        elapsed = time.perf_counter() - started
        if len(rows) != LARGE_ROWS:
            raise RuntimeError(f"baseline returned {len(rows)} rows")
        return elapsed

    def baseline_paused() -> float:
        return baseline(collector_paused=True)

    def baseline_same_models() -> float:
        return baseline(models=same_models)

    runs = [sdk, baseline, baseline_paused, baseline_same_models]
    try:
        for run in runs:
            run()  # warm-up: connections, schema building
        sdk_times, base_times, paused_times, same_times = _rotated(runs, rounds)
    finally:
        clients.close()
    sdk_median = statistics.median(sdk_times)
    base_median = statistics.median(base_times)
    paused_median = statistics.median(paused_times)
    same_median = statistics.median(same_times)
    ratio = sdk_median / base_median
    return Figure(
        name=f"1. Large response ({LARGE_ROWS:,} rows, {len(large_body()) / 1e6:.1f} MB)",
        sdk=_ms(sdk_median),
        baseline=_ms(base_median),
        ratio=ratio,
        target="<= 1.10",
        met=ratio <= 1.10,
        detail=f"median of {rounds} interleaved calls each; baseline: urllib3 GET + "
        "TypeAdapter(list[plain model]).validate_json(body); the same baseline with the "
        f"garbage collector paused during validate_json (the SDK no longer does): "
        f"{_ms(paused_median)} (SDK / that = {sdk_median / paused_median:.2f}); the same "
        "baseline validating into the SDK's own models (TypeAdapter(list[TokenUsageResponse]), "
        f"which keep unknown fields): {_ms(same_median)} (SDK / that = "
        f"{sdk_median / same_median:.2f})",
    )


# -- 2. small response -----------------------------------------------------------------------


def small_response(
    base_url: str, calls: int = 2_000, block: int = 100, warmup: int = 200
) -> Figure:
    """Per-call time of 2,000 sequential one-row calls vs ``PoolManager.request`` +
    ``json.loads``, on kept-alive connections."""
    group_by: list[ScopeName] = ["rule_type"]
    url = _query_url(base_url, group_by)
    clients = _Clients(base_url)
    _check_same_url(clients.api, url, group_by)
    call = clients.api.get_token_usage_api_v2_usage_tokens_get
    request = clients.pool.request
    headers = clients.headers
    cpu: dict[str, list[float]] = {"sdk": [], "baseline": []}

    def sdk_block(count: int = block) -> float:
        started, cpu_started = time.perf_counter(), time.thread_time()
        for _ in range(count):
            call(start_time=START, end_time=END, group_by=group_by)
        cpu["sdk"].append((time.thread_time() - cpu_started) / count)
        return (time.perf_counter() - started) / count

    def baseline_block(count: int = block) -> float:
        started, cpu_started = time.perf_counter(), time.thread_time()
        for _ in range(count):
            json.loads(request("GET", url, headers=headers).data)
        cpu["baseline"].append((time.thread_time() - cpu_started) / count)
        return (time.perf_counter() - started) / count

    try:
        rows = call(start_time=START, end_time=END, group_by=group_by)
        if len(rows) != 1 or len(json.loads(request("GET", url, headers=headers).data)) != 1:
            raise RuntimeError("the small body should hold one row")
        sdk_block(warmup), baseline_block(warmup)
        cpu["sdk"].clear()
        cpu["baseline"].clear()
        sdk_times, base_times = _interleaved(sdk_block, baseline_block, calls // block)
    finally:
        clients.close()
    sdk_median = statistics.median(sdk_times)
    base_median = statistics.median(base_times)
    ratio = sdk_median / base_median
    cpu_ratio = statistics.median(cpu["sdk"]) / statistics.median(cpu["baseline"])
    return Figure(
        name="2. Small response (1 row), per call",
        sdk=_us(sdk_median),
        baseline=_us(base_median),
        ratio=ratio,
        target="<= 1.12",
        met=ratio <= 1.12,
        detail=f"{calls:,} calls each in blocks of {block}, median block; client CPU-time "
        f"ratio {cpu_ratio:.2f}; baseline: PoolManager.request + json.loads, same URL",
    )


# -- 3. import -------------------------------------------------------------------------------


def _process_seconds(argv: Sequence[str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def import_time(runs: int = 20) -> Figure:
    """``python -c "import _generated"`` vs ``python -c "import urllib3"``, whole processes."""
    sdk_argv = [sys.executable, "-c", "import _generated"]
    base_argv = [sys.executable, "-c", "import urllib3"]
    _process_seconds(sdk_argv), _process_seconds(base_argv)  # warm the page cache
    sdk_times, base_times = _interleaved(
        lambda: _process_seconds(sdk_argv), lambda: _process_seconds(base_argv), runs * 2
    )
    sdk_median = statistics.median(sdk_times)
    base_median = statistics.median(base_times)
    ratio = sdk_median / base_median
    return Figure(
        name="3. Import (whole process)",
        sdk=_ms(sdk_median),
        baseline=_ms(base_median),
        ratio=ratio,
        target="<= 1.30",
        met=ratio <= 1.30,
        detail=f"median of {runs * 2} interleaved runs each; baseline: python -c 'import urllib3'",
    )


# -- 4. cold call ----------------------------------------------------------------------------

_COLD_SDK = """
import datetime
from _generated import ApiClient, Configuration, UsageApi
utc = datetime.timezone.utc
with ApiClient(Configuration(host={url!r}, access_token={token!r})) as client:
    rows = UsageApi(client).get_token_usage_api_v2_usage_tokens_get(
        start_time=datetime.datetime(2026, 11, 1, tzinfo=utc),
        end_time=datetime.datetime(2026, 11, 2, tzinfo=utc),
        group_by=["rule_type"],
    )
assert len(rows) == 1
print(next(line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM")))
"""

_COLD_BASELINE = """
import json, urllib3
rows = json.loads(urllib3.PoolManager().request(
    "GET", {url!r}, headers={{"Authorization": "Bearer " + {token!r}}}).data)
assert len(rows) == 1
print(next(line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM")))
"""


def _cold_run(code: str) -> tuple[float, int]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", code], check=True, cwd=ROOT, capture_output=True, text=True
    )
    return time.perf_counter() - started, int(done.stdout.strip()) * 1024


def cold_call(base_url: str, runs: int = 5) -> Figure:
    """A fresh process that imports the SDK and makes one small call: wall time, peak RSS."""
    sdk_code = _COLD_SDK.format(url=base_url, token=TOKEN)
    base_code = _COLD_BASELINE.format(url=_query_url(base_url, ["rule_type"]), token=TOKEN)
    sdk_runs: list[tuple[float, int]] = []
    base_runs: list[tuple[float, int]] = []
    _cold_run(sdk_code)  # warm the page cache
    for index in range(runs * 2):
        if index % 2 == 0:
            sdk_runs.append(_cold_run(sdk_code))
        else:
            base_runs.append(_cold_run(base_code))
    sdk_wall = statistics.median(run[0] for run in sdk_runs)
    base_wall = statistics.median(run[0] for run in base_runs)
    sdk_rss = statistics.median(run[1] for run in sdk_runs)
    base_rss = statistics.median(run[1] for run in base_runs)
    return Figure(
        name="4. Cold call (fresh process, 1 call)",
        sdk=f"{_ms(sdk_wall)}, {_mib(sdk_rss)}",
        baseline=f"{_ms(base_wall)}, {_mib(base_rss)}",
        ratio=sdk_wall / base_wall,
        target="report only",
        met=None,
        detail=f"wall time and peak RSS (VmHWM), median of {runs} runs each; ratio is "
        "wall time; baseline: import urllib3 + PoolManager().request + json.loads",
    )


# -- 5. memory -------------------------------------------------------------------------------


def run_child(module: str, *args: str) -> dict[str, Any]:
    """``python -m MODULE ARGS`` in a fresh process; the JSON object it prints."""
    done = subprocess.run(
        [sys.executable, "-m", module, *args],
        check=True,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def memory(runs: int = 3) -> tuple[Figure, Figure]:
    """Peak RSS growth while parsing the 35,000-row body, as a multiple of the body size:
    in all (the rows included), and the parse's own overhead beyond the rows it keeps."""
    with tempfile.TemporaryDirectory() as tmp:
        body_file = Path(tmp) / "large.json"
        body_file.write_bytes(large_body())
        results: dict[str, list[dict[str, Any]]] = {"sdk": [], "baseline": []}
        for index in range(runs * 2):
            who = ("sdk", "baseline")[index % 2]
            results[who].append(run_child("bench.child", "memory", who, str(body_file)))

    def per_body(who: str, start: str, end: str) -> float:
        ratios: list[float] = [(r[end] - r[start]) / r["body"] for r in results[who]]
        return statistics.median(ratios)

    def growth(who: str) -> float:
        return per_body(who, "before", "peak")

    def kept(who: str) -> float:
        return per_body(who, "before", "after")

    sdk_growth, base_growth = growth("sdk"), growth("baseline")
    sdk_overhead = per_body("sdk", "after", "peak")
    base_overhead = per_body("baseline", "after", "peak")
    body_size = results["sdk"][0]["body"]
    method = results["sdk"][0]["method"]
    total = Figure(
        name="5. Memory: peak RSS growth parsing the large body",
        sdk=f"{sdk_growth:.1f}x body",
        baseline=f"{base_growth:.1f}x body",
        ratio=sdk_growth,
        ratio_text=f"{sdk_growth:.1f}x",
        target="<= 2.5x body",
        met=sdk_growth <= 2.5,
        detail=f"body {_mib(body_size)}; peak = {method} (reset before the parse), fresh "
        f"process, median of {runs}; still resident after the parse (the rows): SDK "
        f"{kept('sdk'):.1f}x, baseline {kept('baseline'):.1f}x; ratio column: SDK growth "
        "/ body size. Not reachable with pydantic models: the rows alone are ~12x the JSON "
        "(see 'What is not met')",
    )
    overhead = Figure(
        name="5b. Memory: parse overhead beyond the rows kept",
        sdk=f"{sdk_overhead:.2f}x body",
        baseline=f"{base_overhead:.2f}x body",
        ratio=sdk_overhead,
        ratio_text=f"{sdk_overhead:.2f}x",
        target="<= 2.5x body",
        met=sdk_overhead <= 2.5,
        detail="peak minus what is still resident after the parse, over the body size: the "
        "transient cost of parsing (buffers, intermediates), the part a parser controls",
    )
    return total, overhead


# -- 6. concurrency (bench.report_concurrency) -----------------------------------------------


def concurrency() -> tuple[Figure, list[tuple[int, float, float]]]:
    """The concurrent 31-window report: 4 workers vs 1 (target: at least 3x faster)."""
    from bench.report_concurrency import bench_concurrency

    rows = bench_concurrency()
    by_workers = {workers: (seconds, speedup) for workers, seconds, speedup in rows}
    one = by_workers[1][0]
    four, speedup = by_workers[4]
    return (
        Figure(
            name="6. Daily report, 31 windows, 4 workers vs 1",
            sdk=_ms(four),
            baseline=_ms(one),
            ratio=speedup,
            ratio_text=f"{speedup:.1f}x faster",
            target=">= 3x faster",
            met=speedup >= 3.0,
            detail="fetch_usage against FakeUsageEngine(latency=0.05); baseline column: 1 worker",
        ),
        rows,
    )
