"""The async ``UsageApi``: the token-usage operation as coroutines, ``GET /api/v2/usage/tokens``.

The sync :class:`~_generated.api.usage_api.UsageApi`'s path and checks, awaited where the
generator's asyncio client awaits: ``_get_token_usage_api_v2_usage_tokens_get_serialize``
-> ``ApiClient.param_serialize`` -> ``await ApiClient.call_api`` -> ``await read()``
-> ``response_deserialize``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Coroutine, Mapping
from typing import TYPE_CHECKING, Any, Optional, TypeVar, cast

from typing_extensions import Concatenate, ParamSpec

from _generated.aio.api_client import ApiClient, RequestSerialized
from _generated.aio.rest import RESTResponse, RESTResponseType
from _generated.api import usage_api as _sync
from _generated.api._arguments import checked, unexpected_arguments
from _generated.api.usage_api import DateTimeArg, GroupByArg
from _generated.api_response import ApiResponse
from _generated.exceptions import ApiException

if TYPE_CHECKING:
    import datetime

    from _generated.models.token_usage_response import TokenUsageResponse
    from _generated.models.token_usage_scope import TokenUsageScope

__all__ = ["UsageApi"]

_P = ParamSpec("_P")
_R = TypeVar("_R")


def _public(
    method: Callable[Concatenate[UsageApi, _P], Coroutine[Any, Any, _R]],
) -> Callable[Concatenate[UsageApi, _P], Coroutine[Any, Any, _R]]:
    """``method``, refusing unknown or extra arguments with the sync client's pydantic error
    (raised when the coroutine runs, before any network traffic)."""
    name = method.__name__
    allowed = frozenset(method.__code__.co_varnames[1 : method.__code__.co_argcount])
    positional = len(allowed)

    @functools.wraps(method)
    async def wrapper(self: UsageApi, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        if len(args) > positional or not allowed.issuperset(kwargs):
            raise unexpected_arguments(name, args, kwargs)
        return await method(self, *args, **kwargs)

    wrapper.__doc__ = (method.__doc__ or "") + _sync._PARAMETERS_DOC
    return wrapper


class UsageApi:
    """Token usage of the engine, as coroutines: ``GET /api/v2/usage/tokens``.

    :param api_client: the async client to send with; ``None`` uses
        ``ApiClient.get_default()``.
    """

    def __init__(self, api_client: Optional[ApiClient] = None) -> None:
        self.api_client = ApiClient.get_default() if api_client is None else api_client

    def __repr__(self) -> str:
        return f"UsageApi({self.api_client!r})"

    @_public
    async def get_token_usage_api_v2_usage_tokens_get(
        self,
        start_time: DateTimeArg = None,
        end_time: DateTimeArg = None,
        group_by: GroupByArg = None,
        _request_timeout: Any = None,
        _request_auth: Optional[Mapping[str, Any]] = None,
        _content_type: Optional[str] = None,
        _headers: Optional[Mapping[str, Any]] = None,
        _host_index: int = 0,
        _retries: Any = None,
        _deadline: Optional[float] = None,
    ) -> list[TokenUsageResponse]:
        """Get Token Usage: the token counts per group, as ``List[TokenUsageResponse]``."""
        response_data = await self._call("get_token_usage_api_v2_usage_tokens_get", True, locals())
        await response_data.read()
        data: list[TokenUsageResponse] = _sync.deserialized(
            self.api_client, response_data, _headers, _request_auth
        ).data
        return data

    @_public
    async def get_token_usage_api_v2_usage_tokens_get_with_http_info(
        self,
        start_time: DateTimeArg = None,
        end_time: DateTimeArg = None,
        group_by: GroupByArg = None,
        _request_timeout: Any = None,
        _request_auth: Optional[Mapping[str, Any]] = None,
        _content_type: Optional[str] = None,
        _headers: Optional[Mapping[str, Any]] = None,
        _host_index: int = 0,
        _retries: Any = None,
        _deadline: Optional[float] = None,
    ) -> ApiResponse[list[TokenUsageResponse]]:
        """Get Token Usage, with HTTP info: an ``ApiResponse`` whose ``data`` is the
        ``List[TokenUsageResponse]`` and which carries ``status_code``, ``headers`` and
        ``raw_data``."""
        response_data = await self._call(
            "get_token_usage_api_v2_usage_tokens_get_with_http_info", True, locals()
        )
        await response_data.read()
        return _sync.deserialized(self.api_client, response_data, _headers, _request_auth)

    @_public
    async def get_token_usage_api_v2_usage_tokens_get_without_preload_content(
        self,
        start_time: DateTimeArg = None,
        end_time: DateTimeArg = None,
        group_by: GroupByArg = None,
        _request_timeout: Any = None,
        _request_auth: Optional[Mapping[str, Any]] = None,
        _content_type: Optional[str] = None,
        _headers: Optional[Mapping[str, Any]] = None,
        _host_index: int = 0,
        _retries: Any = None,
        _deadline: Optional[float] = None,
    ) -> RESTResponseType:
        """Get Token Usage, unread: the ``aiohttp.ClientResponse`` with its body not yet read
        (status errors are not raised; read it, or ``release()`` it, yourself)."""
        response_data = await self._call(
            "get_token_usage_api_v2_usage_tokens_get_without_preload_content", False, locals()
        )
        return response_data.response

    async def _call(self, method: str, preload: bool, arguments: dict[str, Any]) -> RESTResponse:
        """Check the arguments, serialize the request and send it through ``call_api``."""
        args = checked(method, arguments)
        params = self._get_token_usage_api_v2_usage_tokens_get_serialize(
            start_time=args.start_time,
            end_time=args.end_time,
            group_by=args.group_by,
            _request_auth=args.request_auth,
            _content_type=args.content_type,
            _headers=args.headers,
            _host_index=args.host_index,
        )
        with _sync.call_scope(args, preload):
            try:
                return await self.api_client.call_api(
                    *params, _request_timeout=args.request_timeout
                )
            except ApiException as exc:
                _sync.hide_sent_credentials(exc, args)
                raise

    def _get_token_usage_api_v2_usage_tokens_get_serialize(
        self,
        start_time: Optional[datetime.datetime],
        end_time: Optional[datetime.datetime],
        group_by: Optional[list[TokenUsageScope]],
        _request_auth: Optional[Mapping[str, Any]],
        _content_type: Optional[str],
        _headers: Optional[Mapping[str, Any]],
        _host_index: int,
    ) -> RequestSerialized:
        """The request of a call, from checked arguments (the generated client's step)."""
        # The sync step reads only ``self.api_client``'s codec half, which this client shares.
        return _sync.UsageApi._get_token_usage_api_v2_usage_tokens_get_serialize(
            cast(_sync.UsageApi, self),
            start_time,
            end_time,
            group_by,
            _request_auth,
            _content_type,
            _headers,
            _host_index,
        )
