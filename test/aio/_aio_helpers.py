"""Running the sync scenarios against the async client, and small async helpers."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from _generated import Configuration, aio

_T = TypeVar("_T")


class BlockingUsageApi:
    """An ``aio.UsageApi`` seen through the sync ``UsageApi``'s names: each coroutine method
    runs to completion on one private event loop, so a sync scenario drives the async client."""

    def __init__(self, api: aio.UsageApi, loop: asyncio.AbstractEventLoop) -> None:
        self.api = api
        self.api_client = api.api_client
        self.loop = loop

    def run(self, coroutine: Coroutine[Any, Any, _T]) -> _T:
        return self.loop.run_until_complete(coroutine)

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self.api, name)
        if not inspect.iscoroutinefunction(attribute):
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            return self.run(attribute(*args, **kwargs))

        return call


@contextmanager
def blocking_usage_api(configuration: Configuration) -> Iterator[BlockingUsageApi]:
    """A :class:`BlockingUsageApi` on a new async client; the client and loop closed after."""
    loop = asyncio.new_event_loop()
    client = aio.ApiClient(configuration)
    try:
        yield BlockingUsageApi(aio.UsageApi(client), loop)
    finally:
        loop.run_until_complete(client.close())
        loop.run_until_complete(asyncio.sleep(0))  # lets aiohttp's transports finish closing
        loop.close()


class AsyncSleeps:
    """An injected *async* ``sleep`` that records the delays asked for and returns at once."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
        await asyncio.sleep(0)
