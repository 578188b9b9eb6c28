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

from types import TracebackType
from typing import Any, ClassVar, Optional

import urllib3

from _generated import rest
from _generated._client import ClientBase, InsecureTokenWarning
from _generated._codec import RequestSerialized
from _generated._datetimes import format_rfc3339
from _generated._pipeline import CALL_OPTIONS, Attempts, AttemptTimeout, CallOptions
from _generated.exceptions import ApiConnectionError, ResponseValidationError

__all__ = ["ApiClient", "InsecureTokenWarning", "RequestSerialized", "format_datetime"]

#: RFC 3339 with an explicit offset; a naive datetime is taken as UTC.
format_datetime = format_rfc3339


class ApiClient(ClientBase):
    """Sends requests for the API classes over one pooled urllib3 connection manager.

    Thread-safe: share one client between threads. Use it as a context manager (or call
    :meth:`close`) to release its connections.

    :param configuration: defaults to ``Configuration.get_default()``.
    :param header_name: name of a header sent with every request (with ``header_value``).
    :param cookie: a ``Cookie`` header value sent with every request.
    """

    rest_module: ClassVar[Any] = rest
    rest_client: rest.RESTClientObject
    _default: ClassVar[Optional[ApiClient]] = None

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
