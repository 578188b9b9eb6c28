"""``UsageApi``: the token-usage operation, ``GET /api/v2/usage/tokens``.

Each public method takes the generated client's path: its arguments are checked, then
``_get_token_usage_api_v2_usage_tokens_get_serialize`` -> ``ApiClient.param_serialize``
-> ``ApiClient.call_api`` -> ``response_deserialize``, so subclasses and patches of those
hooks see every call.
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Callable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from typing import TYPE_CHECKING, Any, Optional, TypeVar, Union

from typing_extensions import Concatenate, ParamSpec

from _generated._constants import DEFAULT_DATETIME_FORMAT
from _generated._datetimes import format_rfc3339
from _generated._http import call_secrets, sent_credentials
from _generated._pipeline import CallOptions, CallScope
from _generated.api._arguments import CheckedArguments, checked, unexpected_arguments
from _generated.api_client import ApiClient, RequestSerialized
from _generated.api_response import ApiResponse
from _generated.exceptions import ApiException
from _generated.rest import RESTResponse, RESTResponseType

if TYPE_CHECKING:
    from _generated.models.token_usage_response import TokenUsageResponse
    from _generated.models.token_usage_scope import ScopeName, TokenUsageScope

__all__ = ["DateTimeArg", "GroupByArg", "UsageApi"]

_P = ParamSpec("_P")
_R = TypeVar("_R")

_RESPONSE_TYPES: dict[str, Optional[str]] = {
    "200": "List[TokenUsageResponse]",
    "422": "HTTPValidationError",
}

DateTimeArg = Union[datetime.datetime, datetime.date, str, None]
"""What ``start_time``/``end_time`` accept: aware or naive (= UTC) datetime, date, ISO string."""
GroupByArg = Optional[
    Union[
        Sequence[Union["TokenUsageScope", "ScopeName"]],
        AbstractSet[Union["TokenUsageScope", "ScopeName"]],
    ]
]
"""What ``group_by`` accepts: a list (or set) of ``TokenUsageScope`` or their values."""

_PARAMETERS_DOC = """
:param start_time: inclusive start. A datetime (aware, or naive taken as UTC), a date
    (midnight UTC) or an ISO 8601 string; sent as RFC 3339 with an explicit offset (or
    with ``Configuration.datetime_format`` when you set one). The spec documents "the
    beginning of the current day" when omitted; the GenAI Engine instead applies **no
    lower bound** (all data since the first record). Pass both bounds.
:param end_time: exclusive end, same types. The spec documents "the end of the current
    day" when omitted; the engine applies **no upper bound**. Pass both bounds.
:param group_by: entities to group counts on, ``"rule_type"`` and/or ``"task"`` (or
    ``TokenUsageScope`` members); the server's default is ``["rule_type"]``.
:param _request_timeout: per-attempt timeout: seconds, or a ``(connect, read)`` pair.
:param _request_auth: one auth setting (like an entry of
    ``Configuration.auth_settings()``) used instead of the configured auth.
:param _content_type: accepted for compatibility; this GET sends no body.
:param _headers: extra headers for this call.
:param _host_index: the server index; only 0 exists.
:param _retries: retry policy for this call (as ``Configuration.retries``).
:param _deadline: seconds bounding this call including retries.
:raises ApiArgumentError: (a ``ValueError`` and pydantic ``ValidationError``) for an
    invalid or unknown argument, before any network traffic.
:raises ApiException: a subclass for an error status (``BadRequestException`` for the
    engine's 400, with ``.detail``), a network failure (``ApiConnectionError`` /
    ``ApiTimeoutError``) or a bad response (``ResponseValidationError``).
"""


def _public(
    method: Callable[Concatenate[UsageApi, _P], _R],
) -> Callable[Concatenate[UsageApi, _P], _R]:
    """``method``, refusing unknown or extra arguments with the generated client's
    pydantic error (which names the public method), not Python's ``TypeError``."""
    name = method.__name__
    allowed = frozenset(method.__code__.co_varnames[1 : method.__code__.co_argcount])
    positional = len(allowed)

    @functools.wraps(method)
    def wrapper(self: UsageApi, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        if len(args) > positional or not allowed.issuperset(kwargs):
            raise unexpected_arguments(name, args, kwargs)
        return method(self, *args, **kwargs)

    wrapper.__doc__ = (method.__doc__ or "") + _PARAMETERS_DOC
    return wrapper


class UsageApi:
    """Token usage of the engine: ``GET /api/v2/usage/tokens``.

    :param api_client: the client to send with; ``None`` uses ``ApiClient.get_default()``.
    """

    def __init__(self, api_client: Optional[ApiClient] = None) -> None:
        self.api_client = ApiClient.get_default() if api_client is None else api_client

    def __repr__(self) -> str:
        return f"UsageApi({self.api_client!r})"

    @_public
    def get_token_usage_api_v2_usage_tokens_get(
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
        response_data = self._call("get_token_usage_api_v2_usage_tokens_get", True, locals())
        response_data.read()
        data: list[TokenUsageResponse] = deserialized(
            self.api_client, response_data, _headers, _request_auth
        ).data
        return data

    @_public
    def get_token_usage_api_v2_usage_tokens_get_with_http_info(
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
        response_data = self._call(
            "get_token_usage_api_v2_usage_tokens_get_with_http_info", True, locals()
        )
        response_data.read()
        return deserialized(self.api_client, response_data, _headers, _request_auth)

    @_public
    def get_token_usage_api_v2_usage_tokens_get_without_preload_content(
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
        """Get Token Usage, unread: the urllib3 response with its body not yet read (status
        errors are not raised; read and release it yourself)."""
        response_data = self._call(
            "get_token_usage_api_v2_usage_tokens_get_without_preload_content", False, locals()
        )
        raw: RESTResponseType = response_data.response  # type: ignore[assignment]
        return raw

    def _call(self, method: str, preload: bool, arguments: dict[str, Any]) -> RESTResponse:
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
        with call_scope(args, preload):
            try:
                return self.api_client.call_api(*params, _request_timeout=args.request_timeout)
            except ApiException as exc:
                hide_sent_credentials(exc, args)
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
        datetime_format = self.api_client.configuration.datetime_format
        query: list[tuple[str, Any]] = []
        for name, value in (("start_time", start_time), ("end_time", end_time)):
            if isinstance(value, datetime.datetime):
                text = (
                    format_rfc3339(value)
                    if datetime_format == DEFAULT_DATETIME_FORMAT
                    else value.strftime(datetime_format)
                )
                query.append((name, text))
            elif value is not None:
                query.append((name, value))
        if group_by is not None:
            query.append(("group_by", group_by))
        headers: dict[str, Any] = dict(_headers or {})
        if "Accept" not in headers:
            headers["Accept"] = self.api_client.select_header_accept(["application/json"])
        return self.api_client.param_serialize(
            method="GET",
            resource_path="/api/v2/usage/tokens",
            path_params={},
            query_params=query,
            header_params=headers,
            body=None,
            post_params=[],
            files={},
            auth_settings=["API Key"],
            collection_formats={"group_by": "multi"},
            _host=None,
            _request_auth=_request_auth,
        )


def call_scope(args: CheckedArguments, preload: bool) -> CallScope:
    """What one call's ``call_api`` runs in (sync and async): its options, and the
    credentials it passed itself, kept out of the logs."""
    # Only a call passing its own credentials pays for collecting them.
    secrets = (
        call_secrets(args.headers, args.request_auth) if args.headers or args.request_auth else ()
    )
    options = CallOptions(retries=args.retries, deadline=args.deadline, preload=preload)
    return CallScope(options, secrets)


def hide_sent_credentials(exc: ApiException, args: CheckedArguments) -> None:
    """Blank the credentials the call passed itself (``_headers``, ``_request_auth``) out of
    an error ``call_api`` raised: a connection error chains urllib3's, which quotes the URL
    with a query credential."""
    if args.headers or args.request_auth:
        exc.hide_credentials(sent_credentials(args.headers, args.request_auth))


def deserialized(
    api_client: Any, response_data: Any, headers: Any, request_auth: Any
) -> ApiResponse[Any]:
    """``api_client.response_deserialize`` of a call's response (the generated client's
    hook); credentials this call passed itself are blanked out of an error it raises."""
    try:
        result: ApiResponse[Any] = api_client.response_deserialize(
            response_data=response_data, response_types_map=_RESPONSE_TYPES
        )
    except ApiException as exc:
        if headers or request_auth:
            exc.hide_credentials(
                sent_credentials(headers, request_auth), getattr(response_data, "data", None)
            )
        raise
    return result
