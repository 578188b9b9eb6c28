"""What the sync and the async ``ApiClient`` share beyond the codec: how one is built and
its default headers. They differ only in the transport class and in sending."""

from __future__ import annotations

import functools
import ipaddress
import sys
import threading
import warnings
from collections.abc import Mapping
from typing import Any, ClassVar, Optional
from urllib.parse import urlsplit

from _generated._codec import ApiCodec
from _generated._constants import USER_AGENT
from _generated._pipeline import timeout_parts
from _generated.configuration import Configuration

__all__ = ["ClientBase", "InsecureTokenWarning"]


class InsecureTokenWarning(UserWarning):
    """Warned before a bearer token is sent over plain HTTP to a host that is not loopback."""


class ClientBase(ApiCodec):
    """The generated client's ``ApiClient`` constructor and header helpers.

    :param configuration: defaults to ``Configuration.get_default()``.
    :param header_name: name of a header sent with every request (with ``header_value``).
    :param cookie: a ``Cookie`` header value sent with every request.
    """

    #: The module whose ``RESTClientObject`` each client builds: ``_generated.rest`` or
    #: ``_generated.aio.rest``, read at construction so a patch of that class is seen.
    rest_module: ClassVar[Any]

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
        timeout_parts(configuration.timeout)  # an unusable timeout fails here, not at a call
        self.configuration = configuration
        self.rest_client = self.rest_module.RESTClientObject(configuration)
        self.default_headers: dict[str, str] = {}
        if header_name is not None:
            self.default_headers[header_name] = header_value  # type: ignore[assignment]
        self.cookie = cookie
        self.user_agent = USER_AGENT
        self.client_side_validation = configuration.client_side_validation
        self._warned_hosts: set[str] = set()
        self._warn_lock = threading.Lock()

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
