"""``ApiClient``: serializes requests, sends them with the retry policy, and parses responses.

The one request pipeline of the SDK lives here::

    param_serialize()  ->  _send()  ->  response_deserialize()
    (query, headers,       (attempts, backoff,     (status -> exception,
     auth, URL)             Retry-After, deadline,   body -> models via one
                            transport errors)        cached TypeAdapter)

``UsageApi``'s three methods are views of it; ``call_api`` is ``_send`` without parsing.
"""

from __future__ import annotations

import datetime
import decimal
import functools
import ipaddress
import json
import logging
import sys
import threading
import time
import warnings
from collections.abc import Mapping, Sequence
from enum import Enum
from types import TracebackType
from typing import Any, ClassVar, Optional, Union
from urllib.parse import quote, urlsplit

from _generated import rest
from _generated._constants import USER_AGENT
from _generated._logging import logger, redacted_headers
from _generated._parsing import is_json_content_type, parse_body
from _generated.api_response import ApiResponse
from _generated.configuration import Configuration
from _generated.exceptions import (
    ApiConnectionError,
    ApiException,
    ApiTimeoutError,
    ApiValueError,
    ResponseValidationError,
)
from _generated.retry import RetryPolicy

__all__ = ["ApiClient", "InsecureTokenWarning", "RequestSerialized", "format_datetime"]

RequestSerialized = tuple[str, str, dict[str, str], Optional[str], list[tuple[str, Any]]]
"""``(method, url, header_params, body, post_params)`` as ``param_serialize`` returns it."""

_UNSET: Any = object()
_FORBIDDEN_HEADER_CHARS = ("\r", "\n", "\0")
# Exact types sanitize_for_serialization returns unchanged (a fast path for the common case).
_PASSTHROUGH_TYPES = frozenset({str, int, float, bool, bytes, type(None)})
_STR_ONLY = frozenset({str})
# quote(text, safe="") for ASCII text, as one str.translate: every byte outside RFC 3986's
# unreserved set becomes %XX.
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~")
_QUOTE_ASCII = {code: f"%{code:02X}" for code in range(128) if chr(code) not in _UNRESERVED}
# The characters of an RFC 3339 timestamp: unreserved ones, plus ":" and "+" to encode.
_TIMESTAMP_CHARS = _UNRESERVED | {":", "+"}
# The methods whose combined result _plain_query computes in one pass.
_QUERY_STEPS = frozenset(
    {"sanitize_for_serialization", "parameters_to_url_query", "parameters_to_tuples"}
)


class InsecureTokenWarning(UserWarning):
    """Warned before a bearer token is sent over plain HTTP to a host that is not loopback."""


def format_datetime(value: datetime.datetime) -> str:
    """RFC 3339 with an explicit offset (``+01:00``); a naive datetime is taken as UTC."""
    if value.tzinfo is datetime.timezone.utc:
        return value.isoformat()  # the common case, decided without utcoffset()
    if value.tzinfo is None or value.utcoffset() is None:
        value = value.replace(tzinfo=datetime.timezone.utc)
    offset = value.utcoffset()
    if offset is not None and (offset.seconds % 60 or offset.microseconds):
        # RFC 3339 offsets have no seconds: say the same instant in UTC.
        value = value.astimezone(datetime.timezone.utc)
    return value.isoformat()


class ApiClient:
    """Sends requests for the API classes over one pooled urllib3 connection manager.

    Thread-safe: share one client between threads. Use it as a context manager (or call
    :meth:`close`) to release its connections.

    :param configuration: defaults to ``Configuration.get_default()``.
    :param header_name: name of a header sent with every request (with ``header_value``).
    :param cookie: a ``Cookie`` header value sent with every request.
    """

    PRIMITIVE_TYPES: ClassVar[tuple[type, ...]] = (float, bool, bytes, str, int)
    NATIVE_TYPES_MAPPING: ClassVar[dict[str, Any]] = {
        "int": int,
        "long": int,
        "float": float,
        "str": str,
        "bool": bool,
        "date": datetime.date,
        "datetime": datetime.datetime,
        "decimal": decimal.Decimal,
        "object": object,
    }
    _default: ClassVar[Optional[ApiClient]] = None

    def __init__(
        self,
        configuration: Optional[Configuration] = None,
        header_name: Optional[str] = None,
        header_value: Optional[str] = None,
        cookie: Optional[str] = None,
    ) -> None:
        if configuration is None:
            configuration = Configuration.get_default()
        configuration.validate()
        self.configuration = configuration
        self.rest_client = rest.RESTClientObject(configuration)
        self.default_headers: dict[str, str] = {}
        if header_name is not None:
            self.default_headers[header_name] = header_value or ""
        self.cookie = cookie
        self.user_agent = USER_AGENT
        self.client_side_validation = configuration.client_side_validation
        self._warned_hosts: set[str] = set()
        self._warn_lock = threading.Lock()
        # (setting, converted value) of the last call, replaced as a whole so threads can share it.
        self._retry_cache: tuple[Any, Optional[RetryPolicy]] = (_UNSET, None)
        self._timeout_cache: tuple[Any, Any] = (_UNSET, None)

    # -- lifecycle --------------------------------------------------------------------------

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc_value: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the pooled connections; the client opens new ones if used again."""
        self.rest_client.clear()

    def __repr__(self) -> str:
        return f"ApiClient(host={self.configuration.host!r})"

    @property
    def user_agent(self) -> str:
        """The ``User-Agent`` header sent with every request."""
        return self.default_headers["User-Agent"]

    @user_agent.setter
    def user_agent(self, value: str) -> None:
        self.default_headers["User-Agent"] = value

    def set_default_header(self, header_name: str, header_value: str) -> None:
        """Send ``header_name: header_value`` with every request."""
        self.default_headers[header_name] = header_value

    @classmethod
    def get_default(cls) -> ApiClient:
        """The process-wide default client (created on first use)."""
        if cls._default is None:
            cls._default = ApiClient()
        return cls._default

    @classmethod
    def set_default(cls, default: Optional[ApiClient]) -> None:
        """Set the process-wide default client."""
        cls._default = default

    # -- building a request -----------------------------------------------------------------

    def param_serialize(
        self,
        method: str,
        resource_path: str,
        path_params: Optional[dict[str, Any]] = None,
        query_params: Optional[list[tuple[str, Any]]] = None,
        header_params: Optional[dict[str, Any]] = None,
        body: Any = None,
        post_params: Optional[list[tuple[str, Any]]] = None,
        files: Optional[dict[str, Any]] = None,
        auth_settings: Optional[Sequence[str]] = None,
        collection_formats: Optional[dict[str, str]] = None,
        _host: Optional[str] = None,
        _request_auth: Optional[Mapping[str, Any]] = None,
    ) -> RequestSerialized:
        """Build ``(method, url, headers, body, post_params)`` for a request."""
        headers: dict[str, Any] = dict(self.default_headers)
        headers.update(header_params or {})
        if self.cookie:
            headers["Cookie"] = self.cookie
        if not _plain_str_values(headers, collection_formats):
            headers = {
                name: str(value)
                for name, value in self.parameters_to_tuples(
                    self.sanitize_for_serialization(headers), collection_formats
                )
            }

        if path_params:
            for name, value in self.parameters_to_tuples(
                self.sanitize_for_serialization(path_params), collection_formats
            ):
                resource_path = resource_path.replace(
                    "{" + name + "}",
                    quote(str(value), safe=self.configuration.safe_chars_for_path_param),
                )

        post: list[tuple[str, Any]] = []
        if post_params or files:
            post = self.parameters_to_tuples(
                self.sanitize_for_serialization(post_params or []), collection_formats
            )
            if files:
                post.extend(self.files_parameters(files))

        queries: list[tuple[str, Any]] = list(query_params or [])
        self.update_params_for_auth(
            headers,
            queries,
            auth_settings,
            resource_path,
            method,
            body,
            request_auth=_request_auth,
        )

        serialized_body = self.sanitize_for_serialization(body) if body is not None else None

        if _host is None or self.configuration.ignore_operation_servers:
            url = self.configuration.host + resource_path
        else:
            url = _host + resource_path
        if queries:
            url += "?" + self._query_string(queries, collection_formats)
        return method, url, headers, serialized_body, post

    def _query_string(
        self, queries: list[tuple[str, Any]], collection_formats: Optional[Mapping[str, str]]
    ) -> str:
        """``parameters_to_url_query(sanitize_for_serialization(queries), ...)``; in one pass
        when every value is plain (see ``_plain_query``) and neither step is overridden."""
        if _QUERY_STEPS.isdisjoint(vars(self)) and not _overrides_query_steps(type(self)):
            query = _plain_query(queries, collection_formats)
            if query is not None:
                return query
        return self.parameters_to_url_query(
            self.sanitize_for_serialization(queries), collection_formats
        )

    def sanitize_for_serialization(self, obj: Any) -> Any:
        """``obj`` as JSON-ready data: models to dicts by alias, datetimes to RFC 3339,
        enums to values, lists and tuples recursively."""
        # Exact built-in types first, without the isinstance chain below (same results).
        cls = type(obj)
        if cls in _PASSTHROUGH_TYPES:
            return obj
        if cls is list or cls is tuple:
            items = [
                item if type(item) in _PASSTHROUGH_TYPES else self.sanitize_for_serialization(item)
                for item in obj
            ]
            return items if cls is list else tuple(items)
        if cls is datetime.datetime:
            return format_datetime(obj)
        if obj is None or (isinstance(obj, self.PRIMITIVE_TYPES) and not isinstance(obj, Enum)):
            return obj
        if isinstance(obj, Enum):
            return obj.value
        if isinstance(obj, list):
            return [self.sanitize_for_serialization(item) for item in obj]
        if isinstance(obj, tuple):
            return tuple(self.sanitize_for_serialization(item) for item in obj)
        if isinstance(obj, datetime.datetime):
            return format_datetime(obj)
        if isinstance(obj, datetime.date):
            return obj.isoformat()
        if isinstance(obj, decimal.Decimal):
            return str(obj)
        if isinstance(obj, dict):
            return {key: self.sanitize_for_serialization(value) for key, value in obj.items()}
        to_dict = getattr(obj, "to_dict", None)
        obj_dict = to_dict() if callable(to_dict) else obj.__dict__
        return self.sanitize_for_serialization(obj_dict)

    def parameters_to_tuples(
        self,
        params: Union[Mapping[str, Any], Sequence[tuple[str, Any]]],
        collection_formats: Optional[Mapping[str, str]],
    ) -> list[tuple[str, Any]]:
        """Expand collection parameters (``multi``, ``csv``, ``ssv``, ``tsv``, ``pipes``)."""
        new_params: list[tuple[str, Any]] = []
        formats = collection_formats or {}
        items = (
            params
            if type(params) is list
            else (params.items() if isinstance(params, Mapping) else params)
        )
        for key, value in items:
            fmt = formats.get(key)
            if fmt == "multi":
                new_params.extend((key, item) for item in value)
            elif fmt:
                delimiter = {"ssv": " ", "tsv": "\t", "pipes": "|"}.get(fmt, ",")
                new_params.append((key, delimiter.join(str(item) for item in value)))
            else:
                new_params.append((key, value))
        return new_params

    def parameters_to_url_query(
        self,
        params: Union[Mapping[str, Any], Sequence[tuple[str, Any]]],
        collection_formats: Optional[Mapping[str, str]],
    ) -> str:
        """The URL query string; lists in ``multi`` format repeat the key."""
        parts: list[str] = []
        for key, value in self.parameters_to_tuples(params, collection_formats):
            if type(value) is str:
                pass  # the common case needs no conversion
            elif isinstance(value, bool):
                value = str(value).lower()
            elif isinstance(value, dict):
                value = json.dumps(value)
            elif isinstance(value, Enum):
                value = value.value
            text = str(value)
            # quote(text, safe="") without its per-byte Python loop for ASCII text.
            parts.append(f"{_quote_key(str(key))}={_quote_value(text)}")
        return "&".join(parts)

    def files_parameters(self, files: Optional[Mapping[str, Any]] = None) -> list[tuple[str, Any]]:
        """Multipart file parameters (this API takes none)."""
        if files:
            raise ApiValueError("this API does not upload files")
        return []

    def select_header_accept(self, accepts: Sequence[str]) -> Optional[str]:
        """The ``Accept`` value: JSON if offered, else the first."""
        if not accepts:
            return None
        for accept in accepts:
            if "json" in accept.lower():
                return accept
        return accepts[0]

    def select_header_content_type(self, content_types: Sequence[str]) -> Optional[str]:
        """The ``Content-Type`` value: JSON if offered, else the first."""
        return self.select_header_accept(content_types)

    def update_params_for_auth(
        self,
        headers: dict[str, Any],
        queries: list[tuple[str, Any]],
        auth_settings: Optional[Sequence[str]],
        resource_path: str,
        method: str,
        body: Any,
        request_auth: Optional[Mapping[str, Any]] = None,
    ) -> None:
        """Apply ``request_auth`` if given, else the configured ``auth_settings`` named."""
        if request_auth:
            self._apply_auth_params(headers, queries, request_auth)
            return
        if not auth_settings:
            return
        configured: Mapping[str, Any] = self.configuration.auth_settings()
        for name in auth_settings:
            setting = configured.get(name)
            if setting:
                self._apply_auth_params(headers, queries, setting)

    def _apply_auth_params(
        self,
        headers: dict[str, Any],
        queries: list[tuple[str, Any]],
        auth_setting: Mapping[str, Any],
    ) -> None:
        location = auth_setting.get("in")
        if location == "cookie":
            headers["Cookie"] = auth_setting["value"]
        elif location == "header":
            headers[auth_setting["key"]] = auth_setting["value"]
        elif location == "query":
            queries.append((auth_setting["key"], auth_setting["value"]))
        else:
            raise ApiValueError("Authentication token must be in `query` or `header`")

    # -- sending ----------------------------------------------------------------------------

    def call_api(
        self,
        method: str,
        url: str,
        header_params: Optional[Mapping[str, str]] = None,
        body: Any = None,
        post_params: Optional[list[tuple[str, Any]]] = None,
        _request_timeout: Any = None,
    ) -> rest.RESTResponse:
        """Send the request (with the configured retry policy) and return the unread response."""
        if body is not None or post_params:
            raise ApiValueError("this API sends no request body")
        return self._send(
            method,
            url,
            header_params or {},
            timeout=_request_timeout,
            retries=None,
            deadline=None,
            preload=False,
        )

    def _send(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        *,
        timeout: Any,
        retries: Any,
        deadline: Optional[float],
        preload: bool,
    ) -> rest.RESTResponse:
        """Send with retries; with ``preload`` the body is read inside each attempt."""
        _check_headers(headers)
        self._warn_if_token_in_clear(url, headers)
        policy = self._retry_policy(self.configuration.retries if retries is None else retries)
        per_attempt = self._timeout(self.configuration.timeout if timeout is None else timeout)
        deadline = self.configuration.deadline if deadline is None else deadline
        started = time.monotonic()
        # Log lines are only built when DEBUG is on; otherwise each costs one level check.
        debug = logger.isEnabledFor(logging.DEBUG)
        target = _log_target(url) if debug else ""
        attempts = policy.max_retries + 1
        attempt = 0
        if debug:
            logger.debug("%s %s headers %s", method, target, redacted_headers(headers))
        while True:
            attempt_timeout = per_attempt
            if deadline is not None:
                remaining = deadline - (time.monotonic() - started)
                if remaining <= 0:
                    raise ApiTimeoutError(
                        f"deadline of {deadline:g} s passed before attempt {attempt + 1} "
                        f"to {rest.origin_label(url)}",
                        host=rest.origin_label(url),
                    )
                attempt_timeout = _clip_timeout(per_attempt, remaining)
            if debug:
                logger.debug("%s %s attempt %d/%d", method, target, attempt + 1, attempts)
            try:
                response = self.rest_client.request(
                    method, url, headers=headers, _request_timeout=attempt_timeout
                )
                if preload:
                    try:
                        response.read(deadline=None if deadline is None else started + deadline)
                    except (ApiConnectionError, ResponseValidationError):
                        response.response.close()  # never pool a half-read connection
                        raise
                    finally:
                        response.response.release_conn()
            except ApiConnectionError as exc:
                if (
                    deadline is not None
                    and isinstance(exc, ApiTimeoutError)
                    and time.monotonic() - started >= deadline
                    and "deadline" not in str(exc)
                ):
                    # The attempt's timeout was cut to the deadline: say which bound it was.
                    raise ApiTimeoutError(
                        f"deadline of {deadline:g} s passed during attempt {attempt + 1} "
                        f"to {rest.origin_label(url)}; raise the deadline or check the server",
                        host=rest.origin_label(url),
                    ) from exc
                decision = policy.decide(attempt, error=exc)
                failure: Union[ApiConnectionError, rest.RESTResponse] = exc
                if debug:
                    logger.debug(
                        "%s %s attempt %d/%d failed: %s", method, target, attempt + 1, attempts, exc
                    )
            else:
                decision = policy.decide(attempt, status=response.status, headers=response.headers)
                failure = response
                if debug:
                    logger.debug(
                        "%s %s attempt %d/%d -> HTTP %d",
                        method,
                        target,
                        attempt + 1,
                        attempts,
                        response.status,
                    )
                if not decision.retry:
                    if debug and response.status in policy.statuses:
                        logger.debug("giving up on %s %s: %s", method, target, decision.reason)
                    return response

            if not debug and logger.isEnabledFor(logging.DEBUG):
                debug, target = True, _log_target(url)  # DEBUG was switched on during the call
            if decision.retry and deadline is not None:
                left = deadline - (time.monotonic() - started)
                if decision.delay >= left:
                    logger.debug("not retrying: the %g s deadline would pass", deadline)
                    decision = decision.__class__(False, decision.delay, "deadline")
            if not decision.retry:
                logger.debug("giving up on %s %s: %s", method, target, decision.reason)
                if isinstance(failure, rest.RESTResponse):
                    return failure
                raise failure
            logger.debug(
                "retrying %s %s in %.2f s (%s)", method, target, decision.delay, decision.reason
            )
            if isinstance(failure, rest.RESTResponse):
                failure.release()
            policy.sleep(decision.delay)
            attempt += 1

    def _retry_policy(self, setting: Any) -> RetryPolicy:
        """``RetryPolicy.from_setting(setting)``, reused while the setting is the same
        immutable value (``None``, an ``int``, a ``RetryPolicy``)."""
        cached_setting, policy = self._retry_cache
        if setting is cached_setting and policy is not None:
            return policy
        policy = RetryPolicy.from_setting(setting)
        if setting is None or isinstance(setting, (int, RetryPolicy)):
            self._retry_cache = (setting, policy)
        return policy

    def _timeout(self, setting: Any) -> Any:
        """``rest.to_urllib3_timeout(setting)``, reused while the setting is the same
        immutable value (a number or a tuple; urllib3 copies a ``Timeout`` before use)."""
        cached_setting, timeout = self._timeout_cache
        if setting is cached_setting and setting is not None:
            return timeout
        timeout = rest.to_urllib3_timeout(setting)
        if isinstance(setting, (int, float, tuple)):
            self._timeout_cache = (setting, timeout)
        return timeout

    def _warn_if_token_in_clear(self, url: str, headers: Mapping[str, str]) -> None:
        if "Authorization" not in headers and not any(
            name.lower() == "authorization" for name in headers
        ):
            return
        # Scheme and host end before any "?", so the query-less URL is the cache key.
        host = _cleartext_host(url.partition("?")[0])
        if host is None:
            return
        with self._warn_lock:
            if host in self._warned_hosts:
                return
        warnings.warn(
            f"sending a bearer token over plain http to {host}; use https:// so it is "
            "not readable on the network",
            InsecureTokenWarning,
            stacklevel=_caller_stacklevel(),
        )
        # Only once the warning returned: a filter that made it an error refuses every call.
        with self._warn_lock:
            self._warned_hosts.add(host)

    # -- parsing ----------------------------------------------------------------------------

    def response_deserialize(
        self,
        response_data: rest.RESTResponse,
        response_types_map: Optional[Mapping[str, Optional[str]]] = None,
    ) -> ApiResponse[Any]:
        """The ``ApiResponse`` for a read response; a non-2xx status raises its ``ApiException``."""
        data = self._response_data(response_data, response_types_map)
        return ApiResponse.model_construct(
            status_code=response_data.status,
            headers=response_data.getheaders(),
            data=data,
            raw_data=response_data.read(),
        )

    def _response_data(
        self,
        response_data: rest.RESTResponse,
        response_types_map: Optional[Mapping[str, Optional[str]]],
    ) -> Any:
        """The parsed body of a 2xx response; any other status raises its ``ApiException``."""
        raw = response_data.read()
        status = response_data.status
        types = response_types_map or {}
        type_string = types.get(str(status)) or types.get(f"{str(status)[0]}XX")

        if 200 <= status <= 299:
            if type_string is None:
                return None
            if type_string == "bytearray":
                return raw
            return parse_body(
                raw,
                type_string,
                status=status,
                reason=response_data.reason,
                headers=response_data.getheaders(),
            )

        error_data: Any = None
        if type_string and raw:
            try:
                error_data = parse_body(
                    raw,
                    type_string,
                    status=status,
                    reason=response_data.reason,
                    headers=response_data.getheaders(),
                )
            except ResponseValidationError:
                error_data = None  # the status is the error; an odd error body must not mask it
        ApiException.from_response(
            http_resp=response_data, body=raw.decode("utf-8", "replace"), data=error_data
        )

    def deserialize(
        self, response_text: Union[str, bytes], response_type: str, content_type: Optional[str]
    ) -> Any:
        """Parse ``response_text`` as ``response_type`` (a type string such as
        ``"List[TokenUsageResponse]"``); raises ``ResponseValidationError``."""
        raw = response_text.encode("utf-8") if isinstance(response_text, str) else response_text
        headers = {"Content-Type": content_type} if content_type else {}
        if content_type and not is_json_content_type(content_type):
            if content_type.lower().startswith("text/") and response_type == "str":
                return raw.decode("utf-8", "replace")
            raise ApiException(status=0, reason=f"Unsupported content type: {content_type}")
        return parse_body(raw, response_type, status=0, reason=None, headers=headers)


def _plain_query(
    queries: list[tuple[str, Any]], collection_formats: Optional[Mapping[str, str]]
) -> Optional[str]:
    """The query string the general path builds, for ``(str, value)`` pairs whose value is a
    ``str``, a ``datetime``, or (in ``multi`` format) a list of those; ``None`` for anything
    else, which the general path then handles."""
    formats = collection_formats or {}
    parts: list[str] = []
    for pair in queries:
        if type(pair) is not tuple or len(pair) != 2 or type(pair[0]) is not str:
            return None
        key, value = pair
        fmt = formats.get(key)
        items: Sequence[Any]
        if type(value) is list and fmt == "multi":
            items = value
        elif fmt:
            return None
        else:
            items = (value,)
        for item in items:
            if type(item) is str:
                text = item
            elif type(item) is datetime.datetime:
                text = format_datetime(item)
            else:
                return None
            parts.append(f"{_quote_key(key)}={_quote_value(text)}")
    return "&".join(parts)


def _overrides_query_steps(cls: type) -> bool:
    """Whether ``cls`` (an ApiClient subclass) overrides a step ``_plain_query`` stands for."""
    overrides = _OVERRIDES_QUERY_STEPS.get(cls)
    if overrides is None:
        overrides = any(getattr(cls, name) is not getattr(ApiClient, name) for name in _QUERY_STEPS)
        _OVERRIDES_QUERY_STEPS[cls] = overrides
    return overrides


_OVERRIDES_QUERY_STEPS: dict[type, bool] = {}


def _quote_value(text: str) -> str:
    """``quote(text, safe="")``, without its per-byte Python loop for ASCII text."""
    if _TIMESTAMP_CHARS.issuperset(text):
        return text.replace(":", "%3A").replace("+", "%2B")
    if text.isascii():
        return text.translate(_QUOTE_ASCII)
    return quote(text, safe="")


def _plain_str_values(
    headers: Mapping[str, Any], collection_formats: Optional[Mapping[str, str]]
) -> bool:
    """Whether serializing ``headers`` would leave them as they are: every value an exact
    ``str`` and no header named in ``collection_formats``."""
    if collection_formats and not collection_formats.keys().isdisjoint(headers):
        return False
    return set(map(type, headers.values())) <= _STR_ONLY


@functools.lru_cache(maxsize=256)
def _quote_key(key: str) -> str:
    # Parameter names repeat on every call; quote each once.
    return quote(key)


def _check_headers(headers: Mapping[str, str]) -> None:
    # One scan of all names and values; the slow loop below only runs to name the culprit.
    joined = "".join(headers) + "".join(map(str, headers.values()))
    if "\r" not in joined and "\n" not in joined and "\0" not in joined:
        return
    for name, value in headers.items():
        if any(char in name for char in _FORBIDDEN_HEADER_CHARS):
            raise ApiValueError(f"header name {name!r} contains CR, LF or NUL")
        if any(char in str(value) for char in _FORBIDDEN_HEADER_CHARS):
            # the value may be a credential: name the header only
            raise ApiValueError(f"the value of header {name!r} contains CR, LF or NUL")


def _caller_stacklevel() -> int:
    # The first frame outside the SDK, so a warning points at the caller's line whichever
    # public method (and so however many SDK frames) led here. 1 is our caller.
    package = __name__.partition(".")[0]
    frame = sys._getframe(2)
    level = 2
    while frame.f_back is not None and frame.f_globals.get("__name__", "").startswith(package):
        frame = frame.f_back
        level += 1
    return level


@functools.lru_cache(maxsize=64)
def _cleartext_host(base_url: str) -> Optional[str]:
    """The host of ``base_url`` if a token sent there would cross a network unencrypted
    (plain http, not loopback), else ``None``. Cached: clients call few hosts."""
    parts = urlsplit(base_url)
    if parts.scheme != "http" or _is_loopback(parts.hostname):
        return None
    return parts.hostname or ""


def _is_loopback(hostname: Optional[str]) -> bool:
    if not hostname:
        return False
    if hostname.lower() == "localhost" or hostname.lower().endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(hostname).is_loopback
    except ValueError:
        return False


def _log_target(url: str) -> str:
    parts = urlsplit(url)
    target = f"{rest.origin_label(url)}{parts.path}"
    return f"{target}?{parts.query}" if parts.query else target


def _clip_timeout(timeout: Any, remaining: float) -> Any:
    # Bound the whole attempt by what is left of the deadline through ``total``; reading
    # ``read_timeout`` of a Timeout with a total would need its clock started.
    import urllib3

    if timeout is None:
        return urllib3.Timeout(total=remaining)
    clipped = timeout.clone()
    total = clipped.total
    clipped.total = remaining if not isinstance(total, (int, float)) else min(total, remaining)
    return clipped
