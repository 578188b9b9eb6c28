"""``ApiClient``: the generated client's ``ApiClient``, sending through one retrying pipeline.

Every call goes through the generated client's extension points::

    UsageApi method -> _<operation>_serialize -> param_serialize -> call_api
        -> rest_client.request -> rest_client.pool_manager.request
    then response_deserialize -> deserialize

``param_serialize``, ``response_deserialize`` and the other I/O-free steps live in
:class:`~_generated._codec.ApiCodec`; ``call_api`` drives the attempts that
:class:`~_generated._pipeline.Attempts` decides (timeouts, deadline, retries).
"""

from __future__ import annotations

import functools
import ipaddress
import sys
import threading
import warnings
from collections.abc import Mapping
from types import TracebackType
from typing import Any, ClassVar, Optional
from urllib.parse import urlsplit

import urllib3

from _generated import rest
from _generated._codec import ApiCodec, RequestSerialized
from _generated._constants import USER_AGENT
from _generated._datetimes import format_rfc3339
from _generated._pipeline import CALL_OPTIONS, Attempts, AttemptTimeout, CallOptions
from _generated.configuration import Configuration
from _generated.exceptions import ApiConnectionError, ResponseValidationError

__all__ = ["ApiClient", "InsecureTokenWarning", "RequestSerialized", "format_datetime"]

#: RFC 3339 with an explicit offset; a naive datetime is taken as UTC.
format_datetime = format_rfc3339


class InsecureTokenWarning(UserWarning):
    """Warned before a bearer token is sent over plain HTTP to a host that is not loopback."""


class ApiClient(ApiCodec):
    """Sends requests for the API classes over one pooled urllib3 connection manager.

    Thread-safe: share one client between threads. Use it as a context manager (or call
    :meth:`close`) to release its connections.

    :param configuration: defaults to ``Configuration.get_default()``.
    :param header_name: name of a header sent with every request (with ``header_value``).
    :param cookie: a ``Cookie`` header value sent with every request.
    """

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
            self.default_headers[header_name] = header_value  # type: ignore[assignment]
        self.cookie = cookie
        self.user_agent = USER_AGENT
        self.client_side_validation = configuration.client_side_validation
        self._warned_hosts: set[str] = set()
        self._warn_lock = threading.Lock()

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

    # -- sending ----------------------------------------------------------------------------

    def call_api(
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

        Each attempt goes through ``rest_client.request``. Connection errors, timeouts and
        the retryable statuses (503, 429, ...) are retried; the final response is returned
        whatever its status (``response_deserialize`` raises for errors). The body is read
        inside each attempt (so a body cut off mid-way is retried) unless
        ``_preload_content=False``. ``_retries``/``_deadline`` override the configuration
        for this call; ``UsageApi`` passes its options through ``_pipeline.CALL_OPTIONS``.
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
                response = self.rest_client.request(
                    method,
                    url,
                    headers=header_params,
                    body=body,
                    post_params=post_params,
                    _request_timeout=attempts.setting if bounds is None else _urllib3(bounds),
                )
                if preload:
                    _preload(response, attempts.read_deadline)
            except ApiConnectionError as exc:
                delay = attempts.after_error(exc)
            else:
                retry_in = attempts.after_response(response.status, response.headers)
                if retry_in is None:
                    return response
                response.release()
                delay = retry_in
            attempts.policy.sleep(delay)

    def _warn_if_token_in_clear(self, url: str, headers: Mapping[str, Any]) -> None:
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


_NO_OPTIONS = CallOptions()


def _preload(response: rest.RESTResponse, deadline: Optional[float]) -> None:
    """Read the body inside the attempt; a half-read connection is closed, never pooled."""
    raw = response.response
    try:
        response.read(deadline=deadline)
    except (ApiConnectionError, ResponseValidationError):
        close = getattr(raw, "close", None)
        if callable(close):
            close()
        raise
    finally:
        release = getattr(raw, "release_conn", None)
        if callable(release):
            release()


def _urllib3(bounds: AttemptTimeout) -> urllib3.Timeout:
    return urllib3.Timeout(connect=bounds.connect, read=bounds.read, total=bounds.total)


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
