"""The async ``ApiClient``: the generated asyncio client's ``ApiClient``, one retrying pipeline.

The same extension points as the sync client, ``call_api`` a coroutine::

    UsageApi method -> _<operation>_serialize -> param_serialize -> await call_api
        -> await rest_client.request -> rest_client.pool_manager.request (aiohttp)
    then response_deserialize -> deserialize

Building requests and reading responses is the sync client's :class:`ApiCodec`; every
decision of ``call_api`` (timeouts, deadline, retries, error mapping) is the same
:class:`~_generated._pipeline.Attempts`. Only sending, reading and sleeping are awaited here.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from types import TracebackType
from typing import Any, ClassVar, Optional

from _generated._client import ClientBase
from _generated._codec import RequestSerialized
from _generated._pipeline import CALL_OPTIONS, Attempts, CallOptions
from _generated.aio import rest
from _generated.exceptions import ApiConnectionError
from _generated.retry import RetryPolicy

__all__ = ["ApiClient", "RequestSerialized", "sleep_for"]


class ApiClient(ClientBase):
    """Sends requests for the async API classes over one ``aiohttp.ClientSession``.

    Use it as an async context manager (``async with ApiClient(configuration) as client``)
    or ``await client.close()``: the session is opened on the first request, inside the
    running event loop, and a closed client refuses further calls. Share one client
    between the tasks of one event loop.

    :param configuration: defaults to ``Configuration.get_default()``.
    :param header_name: name of a header sent with every request (with ``header_value``).
    :param cookie: a ``Cookie`` header value sent with every request.
    """

    rest_module: ClassVar[Any] = rest
    rest_client: rest.RESTClientObject
    _default: ClassVar[Optional[ApiClient]] = None
    # The default get_default() made itself: only that one is replaced once closed.
    _made_default: ClassVar[Optional[ApiClient]] = None

    # -- lifecycle --------------------------------------------------------------------------

    async def __aenter__(self) -> ApiClient:
        return self

    async def __aexit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc_value: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the session and its connections; later calls raise ``ApiValueError``."""
        await self.rest_client.close()

    def __repr__(self) -> str:
        return f"ApiClient(host={self.configuration.host!r}, asyncio)"

    @classmethod
    def get_default(cls) -> ApiClient:
        """The process-wide default async client: created on first use, and again once the
        one created here was closed (its session belonged to a loop that has ended)."""
        default = cls._default
        if default is None or (
            default is cls._made_default and getattr(default.rest_client, "closed", False)
        ):
            default = cls._default = cls._made_default = ApiClient()
        return default

    @classmethod
    def set_default(cls, default: Optional[ApiClient]) -> None:
        """Set the process-wide default async client (kept even once closed)."""
        cls._default = default

    # -- sending ----------------------------------------------------------------------------

    async def call_api(
        self,
        method: str,
        url: str,
        header_params: Optional[dict[str, Any]] = None,
        body: Any = None,
        post_params: Any = None,
        _request_timeout: Any = None,
        *,
        _retries: Any = None,
        _deadline: Optional[float] = None,
        _preload_content: Optional[bool] = None,
    ) -> rest.RESTResponse:
        """Send the request with the retry policy; return the final ``RESTResponse``.

        The sync ``ApiClient.call_api``'s behaviour, awaited: each attempt goes through
        ``rest_client.request``; connection errors, timeouts and the retryable statuses are
        retried after the policy's delay (its ``sleep`` awaited when it is a coroutine
        function; the default ``time.sleep`` becomes ``asyncio.sleep``). Cancelling the
        task cancels the attempt or the wait and closes a half-read connection.
        """
        options = CALL_OPTIONS.get() or _NO_OPTIONS
        if _request_timeout is not None or _retries is not None or _deadline is not None:
            options = CallOptions(
                timeout=_request_timeout if _request_timeout is not None else options.timeout,
                retries=_retries if _retries is not None else options.retries,
                deadline=_deadline if _deadline is not None else options.deadline,
                preload=options.preload,
            )
        preload = options.preload if _preload_content is None else _preload_content
        headers = header_params if header_params is not None else {}
        attempts = Attempts.start(self.configuration, method, url, headers, options)
        self._warn_if_token_in_clear(url, headers)  # after the header check: nothing is sent
        while True:
            bounds = attempts.next_timeout()
            try:
                response = await self.rest_client.request(
                    method,
                    url,
                    headers=header_params,
                    body=body,
                    post_params=post_params,
                    _request_timeout=attempts.setting if bounds is None else bounds,
                )
                if preload:
                    await response.read(deadline=attempts.read_deadline)
            except ApiConnectionError as exc:
                delay = attempts.after_error(exc)
            else:
                retry_in = attempts.after_response(response.status, response.headers)
                if retry_in is None:
                    return response
                response.release()
                delay = retry_in
            await sleep_for(attempts.policy, delay)


_NO_OPTIONS = CallOptions()


async def sleep_for(policy: RetryPolicy, seconds: float) -> None:
    """Wait ``seconds`` as ``policy`` says: its ``sleep`` awaited if it returns an awaitable,
    the default blocking ``time.sleep`` replaced by ``asyncio.sleep``."""
    if policy.sleep is time.sleep:
        await asyncio.sleep(seconds)
        return
    waited = policy.sleep(seconds)  # a coroutine function's sleep returns an awaitable
    if inspect.isawaitable(waited):
        await waited
