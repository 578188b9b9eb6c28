"""The transport: one urllib3 pool per client, and the boundary where urllib3 errors end.

``RESTClientObject.request`` sends exactly one attempt (urllib3's own retries are off; the
SDK's :class:`~_generated.retry.RetryPolicy` is the only one). Every urllib3 or socket error,
whether raised while sending or while reading the body, leaves this module as an
:class:`~_generated.exceptions.ApiConnectionError` or ``ApiTimeoutError`` with the cause chained.
"""

from __future__ import annotations

import functools
import io
import ssl
import time
from collections.abc import Mapping
from contextlib import ContextDecorator
from types import TracebackType
from typing import Any, Optional, Union
from urllib.parse import urljoin, urlsplit

import urllib3
from urllib3.exceptions import (
    ConnectTimeoutError,
    DecodeError,
    HTTPError,
    MaxRetryError,
    NameResolutionError,
    NewConnectionError,
    ProxyError,
    SSLError,
)
from urllib3.exceptions import (
    TimeoutError as Urllib3TimeoutError,
)
from urllib3.util import parse_url
from urllib3.util.retry import Retry

from _generated._constants import DEFAULT_REDIRECTS
from _generated.exceptions import (
    ApiConnectionError,
    ApiException,
    ApiTimeoutError,
    ApiValueError,
    ResponseValidationError,
)

# The generated client let callers import ApiException from here.
__all__ = ["ApiException", "RESTClientObject", "RESTResponse", "RESTResponseType"]

RESTResponseType = urllib3.HTTPResponse

_READ_CHUNK = 256 * 1024

# Only redirects are left to urllib3; every other retry is the SDK's decision.
_TRANSPORT_RETRY = Retry(
    total=None,
    connect=0,
    read=0,
    status=0,
    other=0,
    redirect=DEFAULT_REDIRECTS,
    raise_on_redirect=False,
    raise_on_status=False,
    respect_retry_after_header=False,
)


class RESTResponse(io.IOBase):
    """A response whose body is read on demand (``read()``), as in the generated client."""

    def __init__(self, resp: urllib3.BaseHTTPResponse, host: str = "") -> None:
        self.response = resp
        self.status: int = resp.status
        self.reason: Optional[str] = resp.reason
        self.data: Optional[bytes] = None
        self._host = host

    def read(self, size: int = -1, *, deadline: Optional[float] = None) -> bytes:
        """Read (once) and return the whole body; transport errors become SDK errors.

        ``deadline`` (a ``time.monotonic()`` instant) bounds the whole read: a body still
        arriving then raises ``ApiTimeoutError``.
        """
        if self.data is None:
            try:
                with translate_errors(self._host):
                    self.data = self.response.data if deadline is None else self._read_by(deadline)
            except ApiConnectionError as exc:
                if isinstance(exc.__cause__, DecodeError):
                    # The bytes arrived; they are not what Content-Encoding says: a bad response.
                    raise ResponseValidationError(
                        status=self.status,
                        reason=self.reason,
                        headers=self.headers,
                        body=b"",
                        detail=f"cannot decode the body: {_first_line(exc.__cause__)}",
                    ) from exc.__cause__
                raise
        return self.data

    def _read_by(self, deadline: float) -> bytes:
        # A read timeout bounds each receive, not a body that trickles in: check the clock
        # between receives and never let one wait past the deadline.
        chunks: list[bytes] = []
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise self._deadline_passed()
            sock = getattr(getattr(self.response, "connection", None), "sock", None)
            by_deadline = False
            if sock is not None:
                current = sock.gettimeout()
                by_deadline = current is None or left < current
                if by_deadline:
                    sock.settimeout(left)
            try:
                chunk = self.response.read1(_READ_CHUNK)
            except Urllib3TimeoutError as exc:
                if not by_deadline:
                    raise
                raise self._deadline_passed() from exc
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)

    def _deadline_passed(self) -> ApiTimeoutError:
        return ApiTimeoutError(
            f"the call's deadline passed while reading the response from {self._host}; "
            "raise the deadline or ask for less data",
            host=self._host,
        )

    @property
    def headers(self) -> Mapping[str, str]:
        """The response headers (case-insensitive)."""
        return self.response.headers

    def getheaders(self) -> Mapping[str, str]:
        """The response headers (case-insensitive)."""
        return self.response.headers

    def getheader(self, name: str, default: Optional[str] = None) -> Optional[str]:
        """One response header, or ``default``."""
        return self.response.headers.get(name, default)

    def release(self) -> None:
        """Discard the rest of the body and give the connection back to the pool."""
        try:
            self.response.drain_conn()
        except Exception:  # a broken connection is simply not reused
            pass
        self.response.release_conn()

    def __repr__(self) -> str:
        return f"RESTResponse(status={self.status!r}, reason={self.reason!r})"


class RESTClientObject:
    """Sends single requests over a urllib3 pool built from a ``Configuration``."""

    def __init__(self, configuration: Any) -> None:
        pool_args: dict[str, Any] = {
            "cert_reqs": ssl.CERT_REQUIRED if configuration.verify_ssl else ssl.CERT_NONE,
            "maxsize": configuration.connection_pool_maxsize,
            "block": True,
            "retries": _TRANSPORT_RETRY,
        }
        # Unset TLS files stay out: urllib3 defaults them to None anyway, and every request
        # pays for each pool argument when it looks up its pool.
        for name, value in (
            ("ca_certs", configuration.ssl_ca_cert),
            ("cert_file", configuration.cert_file),
            ("key_file", configuration.key_file),
            ("ca_cert_data", configuration.ca_cert_data),
        ):
            if value is not None:
                pool_args[name] = value
        if configuration.assert_hostname is not None:
            pool_args["assert_hostname"] = configuration.assert_hostname
        if configuration.tls_server_name:
            pool_args["server_hostname"] = configuration.tls_server_name
        if configuration.socket_options is not None:
            pool_args["socket_options"] = configuration.socket_options

        self._no_proxy = _parse_no_proxy(configuration.no_proxy)
        self._direct: Optional[urllib3.PoolManager] = None
        self.pool_manager: urllib3.PoolManager
        if configuration.proxy:
            self.pool_manager = urllib3.ProxyManager(
                proxy_url=configuration.proxy,
                proxy_headers=configuration.proxy_headers,
                proxy_ssl_context=configuration.proxy_ssl_context,
                **pool_args,
            )
            if self._no_proxy:
                self._direct = urllib3.PoolManager(**pool_args)
        else:
            self.pool_manager = urllib3.PoolManager(**pool_args)

    def _manager_for(self, url: str) -> urllib3.PoolManager:
        if self._direct is not None and _bypasses_proxy(urlsplit(url).hostname, self._no_proxy):
            return self._direct
        return self.pool_manager

    def request(
        self,
        method: str,
        url: str,
        headers: Optional[Mapping[str, str]] = None,
        body: Any = None,
        post_params: Any = None,
        _request_timeout: Union[float, tuple[Optional[float], Optional[float]], Any, None] = None,
        *,
        preload_content: bool = False,
    ) -> RESTResponse:
        """Send one attempt and return the response, its body not yet read."""
        method = method.upper()
        if method not in {"GET", "HEAD", "DELETE", "POST", "PUT", "PATCH", "OPTIONS"}:
            raise ApiValueError(f"unsupported HTTP method {method!r}")
        if body is not None or post_params:
            raise ApiValueError("this API sends no request body")
        timeout = to_urllib3_timeout(_request_timeout)
        host = origin_label(url)
        manager = self._manager_for(url)
        with translate_errors(host):
            if type(manager) is not urllib3.PoolManager:
                # A proxy: urllib3 knows the absolute-form and proxy-header rules.
                resp = manager.request(
                    method,
                    url,
                    headers=dict(headers or {}),
                    timeout=timeout,
                    preload_content=preload_content,
                    redirect=True,
                )
            else:
                resp = _open_direct(
                    manager, method, url, dict(headers or {}), timeout, preload_content
                )
        return RESTResponse(resp, host)

    def clear(self) -> None:
        """Close every pooled connection."""
        self.pool_manager.clear()
        if self._direct is not None:
            self._direct.clear()


def to_urllib3_timeout(value: Any) -> Optional[urllib3.Timeout]:
    """``None``, seconds, a ``(connect, read)`` pair or a urllib3 ``Timeout`` as a ``Timeout``."""
    if value is None:
        return None
    if isinstance(value, urllib3.Timeout):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return urllib3.Timeout(total=value)
    if isinstance(value, tuple) and len(value) == 2:
        return urllib3.Timeout(connect=value[0], read=value[1])
    raise ApiValueError(
        f"_request_timeout must be seconds, a (connect, read) pair or None, got {value!r}"
    )


class translate_errors(ContextDecorator):
    """Turn urllib3 and socket errors into the SDK's connection errors (cause chained).

    ``with translate_errors(host): ...`` -- a class rather than a ``@contextmanager``
    generator because it wraps every request and every body read.
    """

    __slots__ = ("host",)

    def __init__(self, host: str) -> None:
        self.host = host

    def __enter__(self) -> None:
        return None

    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> None:
        if exc is None:
            return
        if isinstance(exc, MaxRetryError):
            raise _translate(exc.reason or exc, self.host) from exc
        if isinstance(exc, (HTTPError, OSError)):
            raise _translate(exc, self.host) from exc


def _translate(exc: BaseException, host: str) -> ApiConnectionError:
    # Order matters: urllib3's NewConnectionError (refused, DNS) subclasses its
    # ConnectTimeoutError, so it must be matched before the timeouts.
    if isinstance(exc, NameResolutionError):
        return ApiConnectionError(
            f"cannot resolve {host}: check the host name in Configuration.host", host=host
        )
    if isinstance(exc, ProxyError):
        return ApiConnectionError(
            f"the proxy refused or failed the connection to {host}: check Configuration.proxy",
            host=host,
        )
    if isinstance(exc, (SSLError, ssl.SSLError)):
        err = ApiConnectionError(
            f"TLS handshake with {host} failed ({_first_line(exc)}): check ssl_ca_cert, "
            "verify_ssl and the server's certificate",
            host=host,
        )
        err.retryable = False
        return err
    if isinstance(exc, (NewConnectionError, ConnectionRefusedError)):
        return ApiConnectionError(
            f"cannot connect to {host} ({_os_reason(exc)}): check that the engine is "
            "running and Configuration.host is right",
            host=host,
        )
    if isinstance(exc, (Urllib3TimeoutError, TimeoutError)):
        phase = "connecting to" if isinstance(exc, ConnectTimeoutError) else "waiting for"
        return ApiTimeoutError(
            f"timed out {phase} {host}: the server did not answer in time; "
            "raise _request_timeout or check the server's health",
            host=host,
        )
    return ApiConnectionError(
        f"connection to {host} failed ({_first_line(exc)}): the server closed or reset "
        "the connection; the call may be retried",
        host=host,
    )


def _os_reason(exc: BaseException) -> str:
    # NewConnectionError chains the socket's OSError; its strerror is the useful part.
    cause: Optional[BaseException] = exc
    for _ in range(8):  # a short chain; bounded in case of a cycle
        if cause is None or isinstance(cause, OSError):
            break
        cause = cause.__cause__ or cause.__context__
    if isinstance(cause, ConnectionRefusedError):
        return "connection refused"
    if isinstance(cause, OSError) and cause.strerror:
        return cause.strerror[:200]
    return _first_line(exc)


def _first_line(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0][:200]


def _open_direct(
    manager: urllib3.PoolManager,
    method: str,
    url: str,
    headers: dict[str, str],
    timeout: Optional[urllib3.Timeout],
    preload_content: bool,
) -> urllib3.BaseHTTPResponse:
    """One request straight to the host's connection pool, following same-origin and
    cross-origin redirects (at most ``DEFAULT_REDIRECTS``) the way urllib3 would.

    ``PoolManager.request`` would parse the whole URL again on every call (a per-character
    Python loop over the query); the origin is parsed once and cached instead.
    """
    for redirects_left in range(DEFAULT_REDIRECTS, -1, -1):
        scheme, hostname, port, target = _split_url(url)
        pool = manager.connection_from_host(hostname, port, scheme)
        resp = pool.urlopen(
            method,
            target,
            headers=headers,
            timeout=timeout,
            preload_content=preload_content,
            redirect=False,
            assert_same_host=False,
            retries=_TRANSPORT_RETRY,
        )
        location = resp.get_redirect_location()
        if not location or not redirects_left:
            return resp
        resp.drain_conn()
        resp.release_conn()
        next_url = urljoin(url, location)
        if _split_url(next_url)[:3] != (scheme, hostname, port):
            # Credentials are for the engine's origin only, as urllib3 does on redirects.
            headers = {
                name: value
                for name, value in headers.items()
                if name.lower() not in _CROSS_ORIGIN_DROPPED_HEADERS
            }
        if resp.status == 303:
            method = "GET"
        url = next_url
    raise AssertionError("unreachable")  # pragma: no cover


_CROSS_ORIGIN_DROPPED_HEADERS = frozenset(
    name.lower() for name in Retry.DEFAULT_REMOVE_HEADERS_ON_REDIRECT
)


def _split_url(url: str) -> tuple[str, Optional[str], Optional[int], str]:
    """``(scheme, host, port, request target)``; the origin's parse is cached."""
    scheme_end = url.find("://")
    path_start = url.find("/", scheme_end + 3) if scheme_end >= 0 else -1
    if path_start < 0:
        origin, target = url, "/"
        for mark in ("?", "#"):
            if mark in origin:
                origin, _, rest = origin.partition(mark)
                target = "/" + mark + rest
                break
    else:
        origin, target = url[:path_start], url[path_start:]
    scheme, host, port = _parse_origin(origin)
    return scheme, host, port, target


@functools.lru_cache(maxsize=64)
def _parse_origin(origin: str) -> tuple[str, Optional[str], Optional[int]]:
    parsed = parse_url(origin)
    return parsed.scheme or "http", parsed.host, parsed.port


def origin_label(url: str) -> str:
    """``scheme://host:port`` of ``url`` without credentials, for messages and logs."""
    # The query never holds the host; without it, calls to one endpoint hit urlsplit's cache.
    parts = urlsplit(url.partition("?")[0])
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}" if parts.netloc else url


def _parse_no_proxy(value: Optional[str]) -> tuple[str, ...]:
    if not value:
        return ()
    return tuple(item.strip().lower().lstrip(".") for item in value.split(",") if item.strip())


def _bypasses_proxy(hostname: Optional[str], no_proxy: tuple[str, ...]) -> bool:
    if not hostname:
        return False
    hostname = hostname.lower()
    return any(
        entry == "*" or hostname == entry or hostname.endswith("." + entry) for entry in no_proxy
    )
