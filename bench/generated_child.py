"""What the g-rows' fresh processes run: ``python -m bench.generated_child KIND URL WHO``.

``KIND`` is ``small``, ``large`` or ``async-small``; ``URL`` the bench server's base URL;
``WHO`` (``sdk`` or ``generated``) only names the client in messages: which ``_generated``
is imported is decided by ``PYTHONPATH``, set by :mod:`bench.generated` so that exactly one
package of that name is importable (this SDK, or a client OpenAPI Generator 7.26 generated).

The process builds ``Configuration(host=URL, access_token=TOKEN)``, ``ApiClient`` and
``UsageApi``, finds the URL the client sends (``..._without_preload_content``) and times,
interleaved block by block with the order alternating, (a) the client's call and (b) the
raw floor on that very URL:

- ``small``: one row; floor ``urllib3.PoolManager().request`` + ``json.loads``;
- ``large``: 35,000 rows, ``gc.collect()`` before each call; floor urllib3 GET +
  ``TypeAdapter(list[PlainTokenUsageResponse]).validate_json`` (as figure 1);
- ``async-small``: one row, awaited; floor ``aiohttp.ClientSession.get`` +
  ``json.loads(await r.read())`` on the same loop (as figure 10).

It prints one JSON object: ``client`` and ``floor`` (seconds per call, median of blocks),
``url``, ``calls`` (per side, warm-up excluded), ``module`` (the ``_generated`` imported);
or ``{"skipped": REASON}`` when the client cannot be imported here (the generated asyncio
client needs ``aiohttp_retry``, which is not a dependency of this project).
"""

from __future__ import annotations

import asyncio
import gc
import importlib
import json
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

from bench.figures import END, START, TOKEN, _rotated

SMALL = ["rule_type"]
LARGE = ["rule_type", "task"]
HEADERS = {"Authorization": f"Bearer {TOKEN}", "Accept": "application/json"}


def _package() -> Any:
    # Typed as Any: this is either package, and the two differ in their annotations.
    return importlib.import_module("_generated")


def _absolute(base_url: str, sent: str) -> str:
    return sent if sent.startswith(("http://", "https://")) else base_url + sent


def _sync_api(base_url: str) -> tuple[Any, Any, str]:
    package = _package()
    client = package.ApiClient(package.Configuration(host=base_url, access_token=TOKEN))
    return client, package.UsageApi(client), package.__file__


def _close(client: Any) -> None:
    close = getattr(client, "close", None)  # the generated sync ApiClient has none
    if close is not None:
        close()


def _sent_url(api: Any, base_url: str, group_by: list[str]) -> str:
    response = api.get_token_usage_api_v2_usage_tokens_get_without_preload_content(
        start_time=START, end_time=END, group_by=group_by
    )
    try:
        sent = str(response.url)
    finally:
        response.drain_conn()
        response.release_conn()
    return _absolute(base_url, sent)


def small(base_url: str, calls: int = 1_000, block: int = 100, warmup: int = 200) -> dict[str, Any]:
    import urllib3

    client, api, module = _sync_api(base_url)
    url = _sent_url(api, base_url, SMALL)
    call = api.get_token_usage_api_v2_usage_tokens_get
    pool = urllib3.PoolManager()
    request = pool.request

    def client_block(count: int = block) -> float:
        started = time.perf_counter()
        for _ in range(count):
            call(start_time=START, end_time=END, group_by=SMALL)
        return (time.perf_counter() - started) / count

    def floor_block(count: int = block) -> float:
        started = time.perf_counter()
        for _ in range(count):
            json.loads(request("GET", url, headers=HEADERS).data)
        return (time.perf_counter() - started) / count

    try:
        rows = call(start_time=START, end_time=END, group_by=SMALL)
        if len(rows) != 1 or len(json.loads(request("GET", url, headers=HEADERS).data)) != 1:
            raise RuntimeError("the small body should hold one row")
        client_block(warmup), floor_block(warmup)
        client_times, floor_times = _rotated([client_block, floor_block], calls // block)
    finally:
        _close(client)
        pool.clear()
    return {
        "client": statistics.median(client_times),
        "floor": statistics.median(floor_times),
        "url": url,
        "calls": calls // block * block,
        "module": module,
    }


def large(base_url: str, rounds: int = 5) -> dict[str, Any]:
    import urllib3
    from pydantic import TypeAdapter

    from bench.baseline import PlainTokenUsageResponse
    from bench.data import LARGE_ROWS

    client, api, module = _sync_api(base_url)
    url = _sent_url(api, base_url, LARGE)
    call = api.get_token_usage_api_v2_usage_tokens_get
    pool = urllib3.PoolManager()
    adapter = TypeAdapter(list[PlainTokenUsageResponse])

    def client_call() -> float:
        gc.collect()
        started = time.perf_counter()
        rows = call(start_time=START, end_time=END, group_by=LARGE)
        elapsed = time.perf_counter() - started
        if len(rows) != LARGE_ROWS:
            raise RuntimeError(f"the client returned {len(rows)} rows")
        return elapsed

    def floor_call() -> float:
        gc.collect()
        started = time.perf_counter()
        rows = adapter.validate_json(pool.request("GET", url, headers=HEADERS).data)
        elapsed = time.perf_counter() - started
        if len(rows) != LARGE_ROWS:
            raise RuntimeError(f"the floor returned {len(rows)} rows")
        return elapsed

    try:
        client_call(), floor_call()  # warm-up: connections, schema building
        client_times, floor_times = _rotated([client_call, floor_call], rounds)
    finally:
        _close(client)
        pool.clear()
    return {
        "client": statistics.median(client_times),
        "floor": statistics.median(floor_times),
        "url": url,
        "calls": rounds,
        "module": module,
    }


def async_small(
    base_url: str, who: str, calls: int = 1_000, block: int = 100, warmup: int = 200
) -> dict[str, Any]:
    if who == "generated":
        try:
            importlib.import_module("aiohttp_retry")
        except ImportError as exc:
            return {
                "skipped": f"the generated asyncio client imports aiohttp_retry, not importable "
                f"({exc}); for a manual run: pip install --no-deps --target /tmp/aioretry "
                "aiohttp-retry and put /tmp/aioretry on PYTHONPATH"
            }
    import aiohttp

    package = _package()
    # This SDK keeps its asyncio client in _generated.aio; the generated asyncio package
    # uses the same names at its top level, as coroutines.
    names = importlib.import_module("_generated.aio") if who == "sdk" else package

    async def measure() -> tuple[list[float], list[float], str]:
        configuration = package.Configuration(host=base_url, access_token=TOKEN)
        async with names.ApiClient(configuration) as client, aiohttp.ClientSession() as session:
            api = names.UsageApi(client)
            call = api.get_token_usage_api_v2_usage_tokens_get
            raw = await api.get_token_usage_api_v2_usage_tokens_get_without_preload_content(
                start_time=START, end_time=END, group_by=SMALL
            )
            raw.release()
            url = _absolute(base_url, str(raw.url))

            async def client_block(count: int = block) -> float:
                started = time.perf_counter()
                for _ in range(count):
                    await call(start_time=START, end_time=END, group_by=SMALL)
                return (time.perf_counter() - started) / count

            async def floor_block(count: int = block) -> float:
                started = time.perf_counter()
                for _ in range(count):
                    async with session.get(url, headers=HEADERS) as response:
                        json.loads(await response.read())
                return (time.perf_counter() - started) / count

            rows = await call(start_time=START, end_time=END, group_by=SMALL)
            if len(rows) != 1:
                raise RuntimeError("the small body should hold one row")
            await client_block(warmup)
            await floor_block(warmup)
            runs: list[Callable[[], Awaitable[float]]] = [client_block, floor_block]
            times: list[list[float]] = [[], []]
            for index in range(calls // block):
                for offset in range(2):
                    which = (index + offset) % 2
                    times[which].append(await runs[which]())
            return times[0], times[1], url

    client_times, floor_times, url = asyncio.run(measure())
    return {
        "client": statistics.median(client_times),
        "floor": statistics.median(floor_times),
        "url": url,
        "calls": calls // block * block,
        "module": package.__file__,
    }


def main(argv: list[str]) -> None:
    if len(argv) != 3 or argv[0] not in ("small", "large", "async-small"):
        raise SystemExit(
            "usage: python -m bench.generated_child small|large|async-small URL sdk|generated"
        )
    kind, base_url, who = argv
    if kind == "small":
        result = small(base_url)
    elif kind == "large":
        result = large(base_url)
    else:
        result = async_small(base_url, who)
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
