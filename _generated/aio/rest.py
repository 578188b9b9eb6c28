"""The async transport: one ``aiohttp.ClientSession`` per client, and where aiohttp errors end.

Mirrors :mod:`_generated.rest`: ``RESTClientObject.request`` sends exactly one attempt
(following same-origin redirects as urllib3 does, credentials dropped across origins);
every aiohttp or socket error, while sending or while reading the body, leaves this module
as the same :class:`~_generated.exceptions.ApiConnectionError` / ``ApiTimeoutError`` the
sync client raises, through the sync client's own translation.
"""

from __future__ import annotations

import asyncio
import functools
import io
import socket
import ssl
import time
from collections.abc import Mapping
from typing import Any, Callable, Optional
from urllib.parse import urljoin

import aiohttp
import yarl
from urllib3.exceptions import (
    ConnectTimeoutError,
    NameResolutionError,
    NewConnectionError,
    ProxyError,
)

from _generated import rest as _sync_rest
from _generated._constants import DEFAULT_REDIRECTS
from _generated._http import SENSITIVE_HEADERS, origin_label
from _generated._pipeline import AttemptTimeout, header_text, timeout_parts
from _generated.exceptions import (
    ApiConnectionError,
    ApiException,
    ApiTimeoutError,
    ApiValueError,
    ResponseValidationError,
)

__all__ = ["ApiException", "RESTClientObject", "RESTResponse", "RESTResponseType"]

RESTResponseType = aiohttp.ClientResponse

_METHODS = frozenset({"GET", "HEAD", "DELETE", "POST", "PUT", "PATCH", "OPTIONS"})
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
# What the sync client's urllib3 drops across origins (its remove_headers_on_redirect).
_CROSS_ORIGIN_DROPPED = SENSITIVE_HEADERS
_SOCKS_SCHEMES = frozenset({"socks5", "socks5h", "socks4", "socks4a"})


class RESTResponse(_sync_rest.ResponseHeaders, io.IOBase):
    """A response whose body is read on demand (``await read()``), as in the generator's
    asyncio client; ``headers`` is aiohttp's case-insensitive ``CIMultiDictProxy``."""

    def __init__(self, resp: aiohttp.ClientResponse, host: str = "") -> None:
        self.response: aiohttp.ClientResponse = resp
        self.status: int = resp.status
        self.reason: Optional[str] = resp.reason
        self.data: Optional[bytes] = None
        self._host = host

    async def read(self, *, deadline: Optional[float] = None) -> bytes:
        """Read (once) and return the whole body; transport errors become SDK errors.

        ``deadline`` (a ``time.monotonic()`` instant) bounds the whole read. A read that
        fails or is cancelled closes the connection, so no half-read one is pooled.
        """
        if self.data is None:
            try:
                if deadline is None:
                    self.data = await self.response.read()
                else:
                    self.data = await _by_deadline(self.response.read(), deadline, self._host)
            except BaseException as exc:
                self.response.close()
                if isinstance(exc, aiohttp.ClientPayloadError) and _is_decoding(exc):
                    # The bytes arrived; they are not what Content-Encoding says: a bad response.
                    raise ResponseValidationError(
                        status=self.status,
                        reason=self.reason,
                        headers=self.headers,
                        body=b"",
                        detail=f"cannot decode the body: {exc}",
                    ) from exc
                if isinstance(exc, (aiohttp.ClientError, OSError, asyncio.TimeoutError)):
                    raise translate(exc, self._host) from exc
                raise
        return self.data

    def release(self) -> None:
        """Give the connection back: pooled if the body was read, else closed."""
        self.response.release()


class RESTClientObject:
    """Sends single requests through ``pool_manager``, an ``aiohttp.ClientSession`` built
    from a ``Configuration`` on first use (inside the running event loop)."""

    def __init__(self, configuration: Any) -> None:
        self.configuration = configuration
        self.maxsize: int = configuration.connection_pool_maxsize
        self.ssl_context = _ssl_context(configuration)
        self.proxy: Optional[str] = None
        proxy = configuration.proxy
        if proxy and not _sync_rest.should_bypass_proxies(
            configuration.host, configuration.no_proxy or ""
        ):
            if proxy.split("://", 1)[0].lower() in _SOCKS_SCHEMES:
                raise ApiValueError(
                    f"Configuration.proxy {origin_label(proxy)!r}: the async client supports "
                    "http:// and https:// proxies; use the sync client for SOCKS"
                )
            self.proxy = proxy
        self.proxy_headers: Optional[dict[str, str]] = configuration.proxy_headers
        self.server_hostname: Optional[str] = configuration.tls_server_name or (
            configuration.assert_hostname
            if isinstance(configuration.assert_hostname, str)
            else None
        )
        self.pool_manager: Optional[aiohttp.ClientSession] = None
        self.closed = False
        # One per call holding a connection, so aiohttp never queues one: its total timeout
        # would count the wait for a free connection as the attempt's (made with the session).
        self._slots: Optional[asyncio.Semaphore] = None
        # The session this object opened and the loop it belongs to: aiohttp cannot use it
        # from another loop, and fails there with bare RuntimeErrors.
        self._opened: Optional[tuple[aiohttp.ClientSession, asyncio.AbstractEventLoop]] = None

    def _create_connector(self) -> aiohttp.TCPConnector:
        """The connector of the session: at most ``connection_pool_maxsize`` connections."""
        # aiohttp's limit 0 is no limit, as a size below 1 is for the sync pool.
        kwargs: dict[str, Any] = {"limit": max(self.maxsize, 0), "ssl": self.ssl_context}
        # getattr: as the generator's client, a Configuration without the field is fine.
        limit_per_host = getattr(self.configuration, "tcp_connector_limit_per_host", None)
        if limit_per_host is not None:
            kwargs["limit_per_host"] = limit_per_host
        options = self.configuration.socket_options
        if options:
            kwargs["socket_factory"] = _socket_factory(list(options))
        return aiohttp.TCPConnector(**kwargs)

    def _create_pool_manager(self) -> aiohttp.ClientSession:
        """The session; environment proxies and cookies are the ``Configuration``'s business.
        ``trace_configs`` and ``client_session_kwargs`` of the configuration are passed on."""
        kwargs: dict[str, Any] = {
            "connector": self._create_connector(),
            "trust_env": False,
            "cookie_jar": aiohttp.DummyCookieJar(),
        }
        trace_configs = getattr(self.configuration, "trace_configs", None)
        if trace_configs is not None:
            kwargs["trace_configs"] = trace_configs
        kwargs.update(getattr(self.configuration, "client_session_kwargs", None) or {})
        session = aiohttp.ClientSession(**kwargs)
        # aiohttp resends once on a dropped keep-alive connection; the RetryPolicy is the only one.
        session._retry_connection = False
        return session

    async def close(self) -> None:
        """Close the session and its connections; the object cannot send afterwards."""
        if self.pool_manager is not None and self._in_another_loop():
            # aiohttp would leave its sockets open: say so, as a call from there would.
            raise ApiValueError(
                "this ApiClient's session was opened in another event loop: close it in "
                "that loop (inside the asyncio.run that used it)"
            )
        self.closed = True
        if self._slots is not None:
            for _ in range(max(self.maxsize, 1)):
                self._slots.release()  # calls waiting for a connection wake up, and see closed
        if self.pool_manager is not None:
            await self.pool_manager.close()

    async def request(
        self,
        method: str,
        url: str,
        headers: Optional[Mapping[str, str]] = None,
        body: Any = None,
        post_params: Any = None,
        _request_timeout: Any = None,
    ) -> RESTResponse:
        """Send one attempt and return the response, its body not yet read."""
        method = method.upper()
        if method not in _METHODS:
            raise ApiValueError(f"unsupported HTTP method {method!r}")
        if post_params and body:
            raise ApiValueError("body parameter cannot be used with post_params parameter.")
        if self.closed:
            raise ApiValueError(
                "this ApiClient is closed: create a new one (async with ApiClient(...) as client)"
            )
        if self.pool_manager is None:
            self.pool_manager = self._create_pool_manager()
            self._opened = (self.pool_manager, asyncio.get_running_loop())
            self._slots = asyncio.Semaphore(self.maxsize) if self.maxsize > 0 else None
        elif self._in_another_loop():
            raise ApiValueError(
                "this ApiClient's session was opened in another event loop: create "
                "one ApiClient per event loop (inside the asyncio.run that uses it)"
            )
        # Bytes and ints as http.client sends them for the sync client (aiohttp takes text).
        send_headers = {name: header_text(value) for name, value in (headers or {}).items()}
        host = origin_label(url)
        # A pool_manager swapped in (a test's) is the caller's to bound.
        slots = (
            self._slots
            if self._opened is not None and self._opened[0] is self.pool_manager
            else None
        )
        timeout = _request_timeout
        if slots is not None:
            if slots.locked():  # every connection is busy: wait, bounded only by a deadline
                timeout = await self._wait_for_slot(slots, _request_timeout, host)
            else:
                await slots.acquire()  # at once
        try:
            arguments: dict[str, Any] = {"timeout": _client_timeout(timeout)}
            if self.proxy:
                arguments["proxy"] = self.proxy
                self._proxy_credentials(url, send_headers, arguments)
            if self.server_hostname:
                arguments["server_hostname"] = self.server_hostname
            if method not in ("GET", "HEAD"):
                arguments["data"] = _body(send_headers, body, post_params or {})
            try:
                response = await self._follow(method, url, send_headers, arguments)
            except (aiohttp.ClientError, OSError, asyncio.TimeoutError) as exc:
                raise translate(exc, host) from exc
        except BaseException as exc:
            if slots is not None:
                slots.release()
            if self.closed and isinstance(exc, ApiConnectionError):
                raise ApiValueError(
                    "this ApiClient was closed while the call was in flight"
                ) from exc
            raise
        if slots is not None:
            _release_with(response, slots)
        return RESTResponse(response, host)

    async def _wait_for_slot(self, slots: asyncio.Semaphore, setting: Any, host: str) -> Any:
        """Wait for a free connection; the attempt's timeout once one is free (a deadline's
        share less the wait)."""
        started = time.monotonic()
        wait = setting.wait if isinstance(setting, AttemptTimeout) else None
        try:
            if wait is None:
                await slots.acquire()
            else:
                await asyncio.wait_for(slots.acquire(), max(wait, 0.0))
        except asyncio.TimeoutError:
            raise ApiTimeoutError(
                f"the call's deadline passed while waiting for a free connection to {host}; "
                "raise the deadline or connection_pool_maxsize",
                host=host,
            ) from None
        if self.closed:
            slots.release()
            raise ApiValueError("this ApiClient was closed while the call waited for a connection")
        return _after_wait(setting, time.monotonic() - started)

    def _proxy_credentials(
        self, url: str, headers: dict[str, str], arguments: dict[str, Any]
    ) -> None:
        # As urllib3's ProxyManager: sent with CONNECT for https, else with each request.
        if not self.proxy_headers:
            return
        if url.lower().startswith("https:"):
            arguments["proxy_headers"] = self.proxy_headers
            for name in self.proxy_headers:
                headers.pop(name, None)  # never through the tunnel to the target
        else:
            arguments.pop("proxy_headers", None)
            headers.update(self.proxy_headers)

    def _in_another_loop(self) -> bool:
        # Only the session opened here is checked: a pool_manager swapped in is the caller's.
        opened = self._opened
        return (
            opened is not None
            and opened[0] is self.pool_manager
            and opened[1] is not asyncio.get_running_loop()
        )

    async def _follow(
        self, method: str, url: str, headers: dict[str, str], arguments: dict[str, Any]
    ) -> aiohttp.ClientResponse:
        # urllib3's redirect handling: at most DEFAULT_REDIRECTS, credentials dropped when the
        # origin changes, 303 turns into GET, the last redirect returned once they run out.
        assert self.pool_manager is not None
        started = time.monotonic()  # hops share the attempt's total: one bound for the chain
        for left in range(DEFAULT_REDIRECTS, -1, -1):
            # encoded=True: the URL goes out byte for byte as param_serialize built it.
            response = await self.pool_manager.request(
                method,
                yarl.URL(url, encoded=True),
                headers=headers,
                allow_redirects=False,
                **arguments,
            )
            location = response.headers.get("Location")
            if response.status not in _REDIRECTS or not location or left == 0:
                return response
            response.release()
            target = urljoin(url, location)
            if origin_label(target) != origin_label(url):
                headers = {
                    k: v for k, v in headers.items() if k.lower() not in _CROSS_ORIGIN_DROPPED
                }
                if self.proxy:
                    self._proxy_credentials(target, headers, arguments)  # the proxy's stay
            if response.status == 303 and method != "HEAD":
                method = "GET"
                arguments.pop("data", None)
            url = target
            arguments["timeout"] = _less(arguments["timeout"], time.monotonic() - started)
        raise AssertionError("unreachable: the loop returns on its last turn")


def _less(timeout: aiohttp.ClientTimeout, spent: float) -> aiohttp.ClientTimeout:
    """``timeout`` for the next redirect hop: its total less what the hops so far took."""
    if timeout.total is None:
        return timeout
    left = timeout.total - spent
    if left <= 0:
        raise asyncio.TimeoutError  # translated as the attempt's timeout, as aiohttp's would be
    return aiohttp.ClientTimeout(
        total=left, sock_connect=timeout.sock_connect, sock_read=timeout.sock_read
    )


def _release_with(response: aiohttp.ClientResponse, slots: asyncio.Semaphore) -> None:
    """Give the call's slot back when its connection goes back to the pool or is closed."""
    connection = response.connection
    if connection is None:  # the whole body is in already and the connection released
        slots.release()
    else:
        connection.add_callback(slots.release)


def _after_wait(setting: Any, waited: float) -> Any:
    """The attempt's timeout once a connection is free: a deadline's share less the wait."""
    if not isinstance(setting, AttemptTimeout) or setting.wait is None:
        return setting
    left = max(setting.wait - waited, 0.001)
    total = left if setting.total is None else min(setting.total, left)
    return AttemptTimeout(setting.connect, setting.read, total)


def translate(exc: BaseException, host: str) -> ApiConnectionError:
    """``exc`` (aiohttp, socket, timeout) as the error the sync client raises for the same
    failure: its urllib3 equivalent goes through :mod:`_generated.rest`'s translation."""
    equivalent: BaseException = exc
    # Order matters: the DNS, proxy and TLS errors subclass ClientConnectorError, and the
    # connect timeout subclasses asyncio.TimeoutError.
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        equivalent = NameResolutionError(host, None, exc.os_error)  # type: ignore[arg-type]
    elif isinstance(exc, (aiohttp.ClientProxyConnectionError, aiohttp.ClientHttpProxyError)):
        equivalent = ProxyError(str(exc), exc)
    elif isinstance(exc, aiohttp.ClientSSLError):
        equivalent = ssl.SSLError(str(exc))
    elif isinstance(exc, aiohttp.ConnectionTimeoutError):
        equivalent = ConnectTimeoutError(str(exc))
    elif isinstance(exc, asyncio.TimeoutError):
        equivalent = TimeoutError(str(exc))
    elif isinstance(exc, aiohttp.ClientConnectorError):
        equivalent = NewConnectionError(None, str(exc))  # type: ignore[arg-type]
        equivalent.__cause__ = exc.os_error
    return _sync_rest._translate(equivalent, host)


async def _by_deadline(read: Any, deadline: float, host: str) -> bytes:
    left = deadline - time.monotonic()
    try:
        if left <= 0:
            raise asyncio.TimeoutError
        body: bytes = await asyncio.wait_for(read, left)
        return body
    except asyncio.TimeoutError as exc:
        read.close()
        if time.monotonic() < deadline:
            # The attempt's own read timeout, before the deadline: said as the sync client does.
            raise translate(exc, host) from exc
        raise ApiTimeoutError(
            f"the call's deadline passed while reading the response from {host}; "
            "raise the deadline or ask for less data",
            host=host,
        ) from None


def _is_decoding(exc: aiohttp.ClientPayloadError) -> bool:
    return "decode" in str(exc).lower() or "encoding" in str(exc).lower()


def _client_timeout(setting: Any) -> aiohttp.ClientTimeout:
    """One attempt's bounds as aiohttp's: ``sock_connect`` is urllib3's connect timeout (not
    the wait for a free pooled connection), ``sock_read`` its read timeout."""
    if setting is None or isinstance(setting, (int, float, tuple, AttemptTimeout)):
        return _cached_timeout(setting)  # the settings most calls repeat, converted once
    return _convert_timeout(setting)


def _convert_timeout(setting: Any) -> aiohttp.ClientTimeout:
    bounds = setting if isinstance(setting, AttemptTimeout) else timeout_parts(setting)
    return aiohttp.ClientTimeout(
        total=bounds.total, sock_connect=bounds.connect, sock_read=bounds.read
    )


_cached_timeout = functools.lru_cache(maxsize=64)(_convert_timeout)


def _ssl_context(configuration: Any) -> ssl.SSLContext:
    """The TLS settings of ``configuration`` (CA file or data, client certificate, checks)."""
    context = ssl.create_default_context(
        cafile=configuration.ssl_ca_cert, cadata=_text(configuration.ca_cert_data)
    )
    if configuration.cert_file:
        context.load_cert_chain(configuration.cert_file, keyfile=configuration.key_file)
    if not configuration.verify_ssl or configuration.assert_hostname is False:
        context.check_hostname = False
    if not configuration.verify_ssl:
        context.verify_mode = ssl.CERT_NONE
    return context


def _text(data: Any) -> Any:
    # ssl's cadata takes PEM text or DER bytes; the Configuration's PEM bytes are decoded.
    if isinstance(data, bytes) and data.lstrip().startswith(b"-----"):
        return data.decode("ascii")
    return data


def _socket_factory(options: list[tuple[int, int, Any]]) -> Callable[[Any], socket.socket]:
    def factory(addr_info: Any) -> socket.socket:
        family, kind, proto = addr_info[0], addr_info[1], addr_info[2]
        sock = socket.socket(family, kind, proto)
        for option in options:
            sock.setsockopt(*option)
        return sock

    return factory


def _body(headers: dict[str, str], body: Any, post_params: Any) -> Any:
    """aiohttp's ``data`` for a request body, chosen by ``Content-Type`` as the sync client."""
    arguments = _sync_rest._body_arguments(headers, body, post_params)
    if "body" in arguments:
        return arguments["body"]
    form = aiohttp.FormData(default_to_multipart=arguments["encode_multipart"])
    for name, value in arguments["fields"]:
        if isinstance(value, tuple) and len(value) == 3:
            form.add_field(name, value[1], filename=value[0], content_type=value[2])
        else:
            form.add_field(name, str(value))
    return form
