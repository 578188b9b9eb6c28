"""Running the sync scenarios against the async client, and small async helpers."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from typing import Any, Optional, TypeVar

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


class BlockingClient:
    """An ``aio.ApiClient`` with its own event loop, closed as the sync ``ApiClient`` is
    (``with`` or ``close()``): stands in for the sync class in a sync scenario."""

    def __init__(self, configuration: Optional[Configuration] = None) -> None:
        self.loop = asyncio.new_event_loop()
        self.client = aio.ApiClient(configuration)

    def __enter__(self) -> BlockingClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        if self.loop.is_closed():
            return
        self.loop.run_until_complete(self.client.close())
        self.loop.run_until_complete(asyncio.sleep(0))  # lets aiohttp's transports finish closing
        self.loop.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)


def blocking_api(client: BlockingClient) -> BlockingUsageApi:
    """The ``UsageApi(client)`` of a sync scenario, for a :class:`BlockingClient`."""
    return BlockingUsageApi(aio.UsageApi(client.client), client.loop)


@contextmanager
def blocking_usage_api(configuration: Configuration) -> Iterator[BlockingUsageApi]:
    """A :class:`BlockingUsageApi` on a new async client; the client and loop closed after."""
    with BlockingClient(configuration) as client:
        yield blocking_api(client)


class AsyncSleeps:
    """An injected *async* ``sleep`` that records the delays asked for and returns at once."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
        await asyncio.sleep(0)
