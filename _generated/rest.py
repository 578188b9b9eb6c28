"""The transport: one urllib3 pool per client, and the boundary where urllib3 errors end.

``RESTClientObject.request`` sends exactly one attempt (urllib3's own retries are off; the
SDK's :class:`~_generated.retry.RetryPolicy` is the only one). Every urllib3 or socket error,
whether raised while sending or while reading the body, leaves this module as an
:class:`~_generated.exceptions.ApiConnectionError` or ``ApiTimeoutError`` with the cause chained.
"""

from __future__ import annotations

import io
import ipaddress
import json
import ssl
import time
from collections.abc import Mapping
from contextlib import ContextDecorator
from types import TracebackType
from typing import Any, Final, Optional, Union
from urllib.parse import urlsplit

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
from urllib3.util.retry import Retry

from _generated._constants import DEFAULT_REDIRECTS
from _generated._http import SENSITIVE_HEADERS, first_line, origin_label
from _generated.exceptions import (
    ApiConnectionError,
    ApiException,
    ApiTimeoutError,
    ApiValueError,
    ResponseValidationError,
)

# The generated client let callers import ApiException from here.
__all__ = [
    "ApiException",
    "RESTClientObject",
    "RESTResponse",
    "RESTResponseType",
    "origin_label",
    "should_bypass_proxies",
]

RESTResponseType = urllib3.HTTPResponse

_READ_CHUNK = 256 * 1024
_METHODS = frozenset({"GET", "HEAD", "DELETE", "POST", "PUT", "PATCH", "OPTIONS"})
_SOCKS_SCHEMES = frozenset({"socks5", "socks5h", "socks4", "socks4a"})

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
    # urllib3 drops only Authorization, Cookie and Proxy-Authorization; X-Api-Key is ours too.
    remove_headers_on_redirect=SENSITIVE_HEADERS,
)


class ResponseHeaders:
    """The header accessors and ``repr`` of a ``RESTResponse``, sync or async: ``response``
    (the transport's response), ``status`` and ``reason`` are set by the class using it."""

    response: Any
    status: int
    reason: Optional[str]
    _host: str

    def redirected_origin(self) -> Optional[str]:
        """The origin a redirect led to when it is not the one asked, else ``None``: the
        credentials were not sent there."""
        final = str(getattr(self.response, "url", None) or "")
        if "://" not in final or not self._host:  # urllib3 gives a path when not redirected
            return None
        return None if _origin(final) == _origin(self._host) else origin_label(final)

    @property
    def headers(self) -> Mapping[str, str]:
        """The response headers (case-insensitive)."""
        headers: Mapping[str, str] = self.response.headers
        return headers

    def getheaders(self) -> Mapping[str, str]:
        """The response headers (case-insensitive)."""
        return self.headers

    def getheader(self, name: str, default: Optional[str] = None) -> Optional[str]:
        """One response header, or ``default``."""
        return self.headers.get(name, default)

    def __repr__(self) -> str:
        return f"RESTResponse(status={self.status!r}, reason={self.reason!r})"


def _origin(url: str) -> tuple[str, str, Optional[int]]:
    """Scheme, host and port of ``url`` as compared for "the same origin" (default ports
    filled in, case folded)."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:  # not a number: compared as written
        port = None
    return scheme, (parts.hostname or "").lower(), port or _DEFAULT_PORTS.get(scheme)


_DEFAULT_PORTS: Final = {"http": 80, "https": 443}


class RESTResponse(ResponseHeaders, io.IOBase):
    """A response whose body is read on demand (``read()``), as in the generated client."""

    def __init__(self, resp: urllib3.BaseHTTPResponse, host: str = "") -> None:
        self.response: urllib3.BaseHTTPResponse = resp
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
                        detail=f"cannot decode the body: {first_line(exc.__cause__)}",
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

    def release(self) -> None:
        """Discard the rest of the body and give the connection back to the pool."""
        try:
            self.response.drain_conn()
        except Exception:  # a broken connection is simply not reused
            pass
        self.response.release_conn()


class RESTClientObject:
    """Sends single requests through ``pool_manager.request``, a urllib3 pool manager (a
    ``ProxyManager`` when a proxy applies to ``Configuration.host``) built from a
    ``Configuration``."""

    def __init__(self, configuration: Any) -> None:
        maxsize = configuration.connection_pool_maxsize
        pool_args: dict[str, Any] = {
            "cert_reqs": ssl.CERT_REQUIRED if configuration.verify_ssl else ssl.CERT_NONE,
            "maxsize": maxsize,
            # A size below 1 is an unbounded pool (urllib3's, unblocked); blocking on it hangs.
            "block": not isinstance(maxsize, int) or maxsize > 0,
            # Only redirects are left to urllib3; retrying is the SDK's RetryPolicy.
            "retries": _TRANSPORT_RETRY,
        }
        # Unset TLS files stay out: urllib3 defaults them to None, and every request pays
        # for each pool argument when it looks up its pool.
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

        self.pool_manager: urllib3.PoolManager
        proxy = configuration.proxy
        if proxy and not should_bypass_proxies(configuration.host, configuration.no_proxy or ""):
            if proxy.split("://", 1)[0].lower() in _SOCKS_SCHEMES:
                from urllib3.contrib.socks import SOCKSProxyManager  # needs PySocks

                self.pool_manager = SOCKSProxyManager(
                    proxy, headers=configuration.proxy_headers, **pool_args
                )
            else:
                if configuration.proxy_ssl_context is not None:
                    pool_args["proxy_ssl_context"] = configuration.proxy_ssl_context
                self.pool_manager = urllib3.ProxyManager(
                    proxy_url=proxy, proxy_headers=configuration.proxy_headers, **pool_args
                )
        else:
            self.pool_manager = urllib3.PoolManager(**pool_args)

    def request(
        self,
        method: str,
        url: str,
        headers: Optional[Mapping[str, str]] = None,
        body: Any = None,
        post_params: Any = None,
        _request_timeout: Union[float, tuple[Optional[float], Optional[float]], Any, None] = None,
    ) -> RESTResponse:
        """Send one attempt and return the response, its body not yet read."""
        method = method.upper()
        if method not in _METHODS:
            raise ApiValueError(f"unsupported HTTP method {method!r}")
        if post_params and body:
            raise ApiValueError("body parameter cannot be used with post_params parameter.")
        headers = dict(headers or {})
        timeout = to_urllib3_timeout(_request_timeout) if _request_timeout else None
        host = origin_label(url)
        with translate_errors(host):
            if method in ("GET", "HEAD"):
                resp = self.pool_manager.request(
                    method, url, fields={}, timeout=timeout, headers=headers, preload_content=False
                )
            else:
                resp = self.pool_manager.request(
                    method,
                    url,
                    timeout=timeout,
                    headers=headers,
                    preload_content=False,
                    **_body_arguments(headers, body, post_params or {}),
                )
        return RESTResponse(resp, host)

    def clear(self) -> None:
        """Close every pooled connection."""
        # A pool_manager swapped in by a test may have only request(): nothing to close.
        clear = getattr(self.pool_manager, "clear", None)
        if callable(clear):
            clear()


def _body_arguments(headers: dict[str, str], body: Any, post_params: Any) -> dict[str, Any]:
    """``pool_manager.request`` arguments for a request body, by ``Content-Type``."""
    content_type = headers.get("Content-Type") or ""
    media = content_type.split(";", 1)[0].strip().lower()
    if not media or media == "application/json" or media.endswith("+json"):
        return {"body": None if body is None else json.dumps(body)}
    if media == "application/x-www-form-urlencoded":
        return {"fields": post_params, "encode_multipart": False}
    if media == "multipart/form-data":
        del headers["Content-Type"]  # urllib3 writes it with the boundary
        fields = [(k, json.dumps(v) if isinstance(v, dict) else v) for k, v in post_params]
        return {"fields": fields, "encode_multipart": True}
    if isinstance(body, (str, bytes)):
        return {"body": body}
    if media.startswith("text/") and isinstance(body, bool):
        return {"body": "true" if body else "false"}
    raise ApiValueError(
        "cannot prepare a request body for these arguments: check that the body matches "
        f"the declared content type {content_type!r}"
    )


def should_bypass_proxies(url: str, no_proxy: str) -> bool:
    """Whether ``url`` matches a ``no_proxy`` rule: ``*``, a host or domain (``.example.com``),
    a ``host:port``, or an IP network (``10.0.0.0/8``)."""
    parsed = urlsplit(url)
    if not parsed.hostname:
        return True
    host = parsed.hostname.lower()
    host_and_port = parsed.netloc.rpartition("@")[2].lower()
    try:
        address: Optional[Any] = ipaddress.ip_address(host)
    except ValueError:
        address = None
    for entry in (item.strip().lower() for item in no_proxy.split(",")):
        if not entry:
            continue
        if entry == "*":
            return True
        if address is not None:
            try:
                if address in ipaddress.ip_network(entry, strict=False):
                    return True
            except ValueError:
                pass
        entry = entry.lstrip(".")
        if host == entry or host.endswith("." + entry):
            return True
        if host_and_port == entry or host_and_port.endswith("." + entry):
            return True
    return False


def to_urllib3_timeout(value: Any) -> Optional[urllib3.Timeout]:
    """``None``, seconds, a ``(connect, read)`` pair or a urllib3 ``Timeout`` as a ``Timeout``."""
    if value is None:
        return None
    if isinstance(value, urllib3.Timeout):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return urllib3.Timeout(total=value)
    if isinstance(value, tuple) and len(value) == 2:
        # urllib3 clones the Timeout it is given, so one per setting can be shared.
        timeout = _PAIR_TIMEOUTS.get(value) if _hashable(value) else None
        if timeout is None:
            timeout = urllib3.Timeout(connect=value[0], read=value[1])
            if len(_PAIR_TIMEOUTS) < _PAIR_TIMEOUTS_KEPT and _hashable(value):
                _PAIR_TIMEOUTS[value] = timeout
        return timeout
    raise ApiValueError(
        f"_request_timeout must be seconds, a (connect, read) pair or None, got {value!r}"
    )


_PAIR_TIMEOUTS: dict[tuple[Any, Any], urllib3.Timeout] = {}
_PAIR_TIMEOUTS_KEPT = 32  # settings are few (the configured one, a few per-call ones)


def _hashable(value: tuple[Any, Any]) -> bool:
    return type(value[0]) in _BOUND_TYPES and type(value[1]) in _BOUND_TYPES


_BOUND_TYPES = frozenset({int, float, type(None)})


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
            f"TLS handshake with {host} failed ({first_line(exc)}): check ssl_ca_cert, "
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
        f"connection to {host} failed ({first_line(exc)}): the server closed or reset "
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
    return first_line(exc)
