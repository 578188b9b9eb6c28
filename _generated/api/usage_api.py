"""``UsageApi``: the token-usage operation, ``GET /api/v2/usage/tokens``.

The operation's parameters are declared once (``_prepare``); its three public methods are
views of the same prepared call: parsed data, data with HTTP info, or the raw response.
"""

from __future__ import annotations

import datetime
import functools
import inspect
from collections.abc import Callable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Optional, TypeVar, Union

from typing_extensions import Concatenate, ParamSpec

from _generated.api_client import ApiClient, RequestSerialized
from _generated.api_response import ApiResponse
from _generated.exceptions import ApiArgumentError
from _generated.rest import RESTResponseType, to_urllib3_timeout

if TYPE_CHECKING:
    from _generated.models.token_usage_response import TokenUsageResponse
    from _generated.models.token_usage_scope import TokenUsageScope

__all__ = ["UsageApi"]

_P = ParamSpec("_P")
_R = TypeVar("_R")

_PATH = "/api/v2/usage/tokens"
_RESPONSE_TYPES: Mapping[str, Optional[str]] = {
    "200": "List[TokenUsageResponse]",
    "422": "HTTPValidationError",
}
_SCOPES = ("rule_type", "task")
_AUTH_KEYS = frozenset({"in", "key", "value"})

DateTimeArg = Union[datetime.datetime, datetime.date, str, None]
"""What ``start_time``/``end_time`` accept: aware or naive (= UTC) datetime, date, ISO string."""
GroupByArg = Optional[
    Union[Sequence[Union["TokenUsageScope", str]], AbstractSet[Union["TokenUsageScope", str]]]
]
"""What ``group_by`` accepts: a list (or set) of ``TokenUsageScope`` or their values."""


@dataclass(frozen=True)
class _PreparedCall:
    """A validated, serialized request plus how to send it."""

    request: RequestSerialized
    timeout: Any
    retries: Any
    deadline: Optional[float]


def _view(
    prepare: Callable[Concatenate[UsageApi, _P], _PreparedCall],
    finish: Callable[[ApiClient, _PreparedCall], _R],
    name: str,
    doc: str,
) -> Callable[Concatenate[UsageApi, _P], _R]:
    """A public method: ``prepare``'s parameters, ``finish``'s result."""

    @functools.wraps(prepare)
    def method(self: UsageApi, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        return finish(self.api_client, prepare(self, *args, **kwargs))

    method.__name__ = method.__qualname__ = name
    method.__doc__ = doc + (prepare.__doc__ or "")
    method.__signature__ = inspect.signature(prepare).replace(  # type: ignore[attr-defined]
        return_annotation=inspect.signature(finish).return_annotation
    )
    return method


def _send(client: ApiClient, call: _PreparedCall, *, preload: bool) -> Any:
    method, url, headers, _body, _post = call.request
    return client._send(
        method,
        url,
        headers,
        timeout=call.timeout,
        retries=call.retries,
        deadline=call.deadline,
        preload=preload,
    )


def _with_http_info(
    client: ApiClient, call: _PreparedCall
) -> ApiResponse[list[TokenUsageResponse]]:
    return client.response_deserialize(_send(client, call, preload=True), _RESPONSE_TYPES)


def _data(client: ApiClient, call: _PreparedCall) -> list[TokenUsageResponse]:
    data: list[TokenUsageResponse] = client._response_data(
        _send(client, call, preload=True), _RESPONSE_TYPES
    )
    return data


def _raw(client: ApiClient, call: _PreparedCall) -> RESTResponseType:
    response: RESTResponseType = _send(client, call, preload=False).response
    return response


class UsageApi:
    """Token usage of the engine: ``GET /api/v2/usage/tokens``.

    :param api_client: the client to send with; ``None`` uses ``ApiClient.get_default()``.
    """

    def __init__(self, api_client: Optional[ApiClient] = None) -> None:
        self.api_client = ApiClient.get_default() if api_client is None else api_client

    def __repr__(self) -> str:
        return f"UsageApi({self.api_client!r})"

    def _prepare(
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
    ) -> _PreparedCall:
        """
        :param start_time: inclusive start; default: the start of the current UTC day.
            A datetime (aware, or naive taken as UTC), a date (midnight UTC) or an ISO 8601
            string. Sent as RFC 3339 with an explicit offset.
        :param end_time: exclusive end; default: the end of the current UTC day. Same types.
        :param group_by: entities to group counts on, ``"rule_type"`` and/or ``"task"``
            (or ``TokenUsageScope`` members); the server's default is ``["rule_type"]``.
        :param _request_timeout: per-attempt timeout: seconds, or a ``(connect, read)`` pair.
        :param _request_auth: one auth setting (like an entry of
            ``Configuration.auth_settings()``) used instead of the configured auth.
        :param _content_type: a ``Content-Type`` header to send.
        :param _headers: extra headers for this call.
        :param _host_index: the server index; only 0 exists.
        :param _retries: retry policy for this call (as ``Configuration.retries``).
        :param _deadline: seconds bounding this call including retries.
        :raises ApiArgumentError: (a ``ValueError`` and pydantic ``ValidationError``) for an
            invalid argument, before any network traffic.
        :raises ApiException: a subclass for an error status, a network failure
            (``ApiConnectionError``/``ApiTimeoutError``) or a bad response
            (``ResponseValidationError``).
        """
        query: list[tuple[str, Any]] = []
        start = _datetime_arg("start_time", start_time)
        if start is not None:
            query.append(("start_time", start))
        end = _datetime_arg("end_time", end_time)
        if end is not None:
            query.append(("end_time", end))
        scopes = _group_by_arg(group_by)
        if scopes is not None:
            query.append(("group_by", scopes))

        headers: dict[str, Any] = {"Accept": "application/json"}
        if _headers is not None:
            if not isinstance(_headers, Mapping):
                raise ApiArgumentError.for_argument(
                    "_headers", _headers, "a dict of header names to values"
                )
            headers.update(_headers)
        if _content_type is not None:
            headers["Content-Type"] = _content_type
        if _request_auth is not None and (
            not isinstance(_request_auth, Mapping) or not _request_auth.keys() >= _AUTH_KEYS
        ):
            raise ApiArgumentError.for_argument(
                "_request_auth", "<redacted>", "a dict with 'in', 'key' and 'value' entries"
            )
        if _host_index not in (0, None):
            raise ApiArgumentError.for_argument("_host_index", _host_index, "0 (the only server)")
        try:
            to_urllib3_timeout(_request_timeout)
        except ValueError:
            raise ApiArgumentError.for_argument(
                "_request_timeout", _request_timeout, "seconds or a (connect, read) pair"
            ) from None
        if _deadline is not None and (
            isinstance(_deadline, bool) or not isinstance(_deadline, (int, float)) or _deadline <= 0
        ):
            raise ApiArgumentError.for_argument("_deadline", _deadline, "seconds > 0")
        if _retries is not None:
            from _generated.retry import RetryPolicy

            try:
                _retries = RetryPolicy.from_setting(_retries)
            except ValueError:
                raise ApiArgumentError.for_argument(
                    "_retries", _retries, "an int >= 0, a RetryPolicy or a urllib3 Retry"
                ) from None

        request = self.api_client.param_serialize(
            method="GET",
            resource_path=_PATH,
            query_params=query,
            header_params=headers,
            auth_settings=["API Key"],
            collection_formats={"group_by": "multi"},
            _request_auth=_request_auth,
        )
        return _PreparedCall(request, _request_timeout, _retries, _deadline)

    get_token_usage_api_v2_usage_tokens_get = _view(
        _prepare,
        _data,
        "get_token_usage_api_v2_usage_tokens_get",
        "Get Token Usage: the token counts per group, as ``List[TokenUsageResponse]``.\n",
    )
    get_token_usage_api_v2_usage_tokens_get_with_http_info = _view(
        _prepare,
        _with_http_info,
        "get_token_usage_api_v2_usage_tokens_get_with_http_info",
        "Get Token Usage, with HTTP info: an ``ApiResponse`` whose ``data`` is the\n"
        "``List[TokenUsageResponse]`` and which carries ``status_code``, ``headers`` and\n"
        "``raw_data``.\n",
    )
    get_token_usage_api_v2_usage_tokens_get_without_preload_content = _view(
        _prepare,
        _raw,
        "get_token_usage_api_v2_usage_tokens_get_without_preload_content",
        "Get Token Usage, unread: the urllib3 response with its body not yet read (status\n"
        "errors are not raised; read and release it yourself).\n",
    )


def _datetime_arg(name: str, value: DateTimeArg) -> Optional[datetime.datetime]:
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        return value
    if isinstance(value, datetime.date):
        return datetime.datetime(value.year, value.month, value.day, tzinfo=datetime.timezone.utc)
    if isinstance(value, str):
        from dateutil.parser import isoparse

        try:
            return isoparse(value.strip())
        except (ValueError, OverflowError):
            raise ApiArgumentError.for_argument(
                name, value, "an ISO 8601 date or datetime such as '2026-11-01T00:00:00+00:00'"
            ) from None
    raise ApiArgumentError.for_argument(name, value, "a datetime, a date or an ISO 8601 string")


def _group_by_arg(value: GroupByArg) -> Optional[list[str]]:
    if value is None:
        return None
    items: Any
    if type(value) is list or type(value) is tuple:
        items = value  # the common case, without the abstract-class checks below
    elif isinstance(value, (str, bytes)) or not isinstance(value, (Sequence, AbstractSet)):
        raise ApiArgumentError.for_argument(
            "group_by", value, "a list of 'rule_type' and/or 'task'"
        )
    else:
        items = value if isinstance(value, Sequence) else sorted(value, key=_scope_order)
    scopes: list[str] = []
    for item in items:
        scope = getattr(item, "value", item)
        if scope not in _SCOPES:
            raise ApiArgumentError.for_argument(
                "group_by", value, "a list of 'rule_type' and/or 'task'"
            )
        scopes.append(scope)
    return scopes


def _scope_order(item: object) -> int:
    # A set has no order; send its scopes in the schema's order so requests are repeatable.
    scope = getattr(item, "value", item)
    return _SCOPES.index(scope) if scope in _SCOPES else len(_SCOPES)
