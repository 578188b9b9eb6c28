"""``Configuration``: where the API is, how to authenticate, and how to talk to it.

Keeps every keyword argument and method of the generated client's ``Configuration``;
adds ``timeout`` and ``deadline`` and a real default retry policy. The bearer token
(``access_token``) is never shown by ``repr()``, ``str()`` or ``to_debug_report()``.
"""

from __future__ import annotations

import copy
import logging
import platform
import sys
import threading
from typing import Any, ClassVar, Final, Literal, Optional, TypedDict, Union
from urllib.parse import urlsplit

from typing_extensions import NotRequired, Self

from _generated._constants import (
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_DATETIME_FORMAT,
    DEFAULT_HOST,
    DEFAULT_POOL_MAXSIZE,
    DEFAULT_READ_TIMEOUT,
    LOGGER_NAME,
    MAX_WAIT_SECONDS,
)
from _generated._version import __version__
from _generated.exceptions import ApiValueError

__all__ = [
    "JSON_SCHEMA_VALIDATION_KEYWORDS",
    "APIKeyAuthSetting",
    "AuthSettings",
    "BasicAuthSetting",
    "BearerAuthSetting",
    "BearerFormatAuthSetting",
    "Configuration",
    "GenericAuthSetting",
    "HTTPSignatureAuthSetting",
    "HostSetting",
    "HostSettingVariable",
    "OAuth2AuthSetting",
    "ServerVariablesT",
    "TimeoutSetting",
]

#: The JSON Schema validation keywords (the generated client's constant; nothing here uses it).
JSON_SCHEMA_VALIDATION_KEYWORDS: Final[set[str]] = {
    "multipleOf",
    "maximum",
    "exclusiveMaximum",
    "minimum",
    "exclusiveMinimum",
    "maxLength",
    "minLength",
    "pattern",
    "maxItems",
    "minItems",
}

ServerVariablesT = dict[str, str]

GenericAuthSetting = TypedDict(
    "GenericAuthSetting", {"type": str, "in": str, "key": str, "value": str}
)
OAuth2AuthSetting = TypedDict(
    "OAuth2AuthSetting",
    {
        "type": Literal["oauth2"],
        "in": Literal["header"],
        "key": Literal["Authorization"],
        "value": str,
    },
)
APIKeyAuthSetting = TypedDict(
    "APIKeyAuthSetting",
    {"type": Literal["api_key"], "in": str, "key": str, "value": Optional[str]},
)
BasicAuthSetting = TypedDict(
    "BasicAuthSetting",
    {
        "type": Literal["basic"],
        "in": Literal["header"],
        "key": Literal["Authorization"],
        "value": Optional[str],
    },
)
BearerFormatAuthSetting = TypedDict(
    "BearerFormatAuthSetting",
    {
        "type": Literal["bearer"],
        "in": Literal["header"],
        "format": Literal["JWT"],
        "key": Literal["Authorization"],
        "value": str,
    },
)
BearerAuthSetting = TypedDict(
    "BearerAuthSetting",
    {
        "type": Literal["bearer"],
        "in": Literal["header"],
        "key": Literal["Authorization"],
        "value": str,
    },
)
HTTPSignatureAuthSetting = TypedDict(
    "HTTPSignatureAuthSetting",
    {
        "type": Literal["http-signature"],
        "in": Literal["header"],
        "key": Literal["Authorization"],
        "value": None,
    },
)
AuthSettings = TypedDict("AuthSettings", {"API Key": BearerAuthSetting}, total=False)


class HostSettingVariable(TypedDict):
    """A variable of a server URL template."""

    description: str
    default_value: str
    enum_values: list[str]


class HostSetting(TypedDict):
    """A server URL template with its variables."""

    url: str
    description: str
    variables: NotRequired[dict[str, HostSettingVariable]]


#: A timeout: seconds for connect and read each, a ``(connect, read)`` pair, or a urllib3 Timeout.
TimeoutSetting = Union[None, float, int, tuple[Optional[float], Optional[float]], Any]

_UNSET: Any = object()


class Configuration:
    """Settings of an :class:`~_generated.api_client.ApiClient`.

    :param host: base URL of the engine, default ``http://localhost``.
    :param access_token: the bearer token (API key), sent as ``Authorization: Bearer ...``.
    :param retries: ``None`` (default: 2 retries with backoff), an ``int`` (0 disables),
        a :class:`~_generated.retry.RetryPolicy` or a urllib3 ``Retry``.
    :param timeout: per-attempt timeout: seconds, ``(connect, read)`` or urllib3 ``Timeout``;
        default ``(5, 60)``.
    :param deadline: seconds bounding a whole call including retries; ``None`` for no bound.
    :param ssl_ca_cert: CA bundle file to verify the server; ``ca_cert_data`` the same as
        PEM text; ``cert_file``/``key_file`` a client certificate; ``verify_ssl`` turns
        verification off (not recommended); ``assert_hostname`` and ``tls_server_name``
        override the name checked and sent in SNI.
    :param proxy: proxy URL; ``proxy_headers`` extra headers for it; ``no_proxy`` a
        comma-separated list of hosts (or ``*``) reached directly.
    :param connection_pool_maxsize: connections kept per host; requests beyond it wait.
    :param debug: log requests and responses at DEBUG to the ``_generated`` logger
        (Authorization redacted).
    :param trace_configs: ``aiohttp.TraceConfig`` list, ``tcp_connector_limit_per_host``
        and ``client_session_kwargs`` (merged into ``aiohttp.ClientSession(...)``): the
        generator's asyncio client's settings, used by ``_generated.aio`` only.

    Naive datetimes given to the API are taken as UTC.
    """

    _default: ClassVar[Optional[Configuration]] = None
    _default_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(
        self,
        host: Optional[str] = None,
        api_key: Optional[dict[str, str]] = None,
        api_key_prefix: Optional[dict[str, str]] = None,
        username: Optional[str] = None,
        password: Optional[str] = None,
        access_token: Optional[str] = None,
        server_index: Optional[int] = None,
        server_variables: Optional[ServerVariablesT] = None,
        server_operation_index: Optional[dict[int, int]] = None,
        server_operation_variables: Optional[dict[int, ServerVariablesT]] = None,
        ignore_operation_servers: bool = False,
        ssl_ca_cert: Optional[str] = None,
        retries: Any = None,
        ca_cert_data: Optional[Union[str, bytes]] = None,
        cert_file: Optional[str] = None,
        key_file: Optional[str] = None,
        verify_ssl: bool = True,
        assert_hostname: Optional[Union[str, bool]] = None,
        tls_server_name: Optional[str] = None,
        connection_pool_maxsize: Optional[int] = None,
        proxy: Optional[str] = None,
        no_proxy: Optional[str] = None,
        proxy_headers: Optional[dict[str, str]] = None,
        proxy_ssl_context: Any = None,
        safe_chars_for_path_param: str = "",
        client_side_validation: bool = True,
        socket_options: Optional[list[tuple[int, int, Union[int, bytes]]]] = None,
        datetime_format: str = DEFAULT_DATETIME_FORMAT,
        date_format: str = "%Y-%m-%d",
        *,
        debug: Optional[bool] = None,
        timeout: TimeoutSetting = _UNSET,
        deadline: Optional[float] = None,
        trace_configs: Optional[list[Any]] = None,
        tcp_connector_limit_per_host: Optional[int] = None,
        client_session_kwargs: Optional[dict[str, Any]] = None,
    ) -> None:
        self._base_path = DEFAULT_HOST if host is None else host
        self.server_index = 0 if server_index is None and host is None else server_index
        self.server_operation_index = server_operation_index or {}
        self.server_variables = server_variables or {}
        self.server_operation_variables = server_operation_variables or {}
        self.ignore_operation_servers = ignore_operation_servers
        self.temp_folder_path: Optional[str] = None
        self.api_key: dict[str, str] = dict(api_key or {})
        self.api_key_prefix: dict[str, str] = dict(api_key_prefix or {})
        self.refresh_api_key_hook: Any = None
        self.username = username
        self.password = password
        self.access_token = access_token
        # The generated client's keys; only the SDK's own logger is configured by debug.
        self.logger = {
            "package_logger": logging.getLogger(LOGGER_NAME),
            "urllib3_logger": logging.getLogger("urllib3"),
        }
        self._logger_format = "%(asctime)s %(levelname)s %(message)s"
        self.logger_formatter = logging.Formatter(self._logger_format)
        self.logger_stream_handler: Optional[logging.Handler] = None
        self.logger_file_handler: Optional[logging.FileHandler] = None
        self._logger_file: Optional[str] = None
        self._debug = False
        if debug is not None:
            self.debug = debug
        self.verify_ssl = verify_ssl
        self.ssl_ca_cert = ssl_ca_cert
        self.ca_cert_data = ca_cert_data
        self.cert_file = cert_file
        self.key_file = key_file
        self.assert_hostname = assert_hostname
        self.tls_server_name = tls_server_name
        self.connection_pool_maxsize = (
            DEFAULT_POOL_MAXSIZE if connection_pool_maxsize is None else connection_pool_maxsize
        )
        # urllib3 reads no proxy variables itself: HTTP(S)_PROXY/NO_PROXY apply when the
        # arguments are not given, and an environment proxy follows later host changes.
        self._proxy_from_env = proxy is None
        if proxy is None or no_proxy is None:
            from urllib.request import getproxies  # costs ms to import; only read here

            proxies = getproxies()
            if proxy is None:
                proxy = _env_proxy(proxies, self.host)
            if no_proxy is None:
                no_proxy = proxies.get("no")
        self._proxy = proxy
        self.no_proxy = no_proxy
        self.proxy_headers = proxy_headers
        self.proxy_ssl_context = proxy_ssl_context
        self.safe_chars_for_path_param = safe_chars_for_path_param
        self.retries = retries
        self.client_side_validation = client_side_validation
        self.socket_options = socket_options
        self.datetime_format = datetime_format
        self.date_format = date_format
        self.timeout: TimeoutSetting = (
            (DEFAULT_CONNECT_TIMEOUT, DEFAULT_READ_TIMEOUT) if timeout is _UNSET else timeout
        )
        self.deadline = deadline
        self.trace_configs = trace_configs
        self.tcp_connector_limit_per_host = tcp_connector_limit_per_host
        self.client_session_kwargs = client_session_kwargs

    # -- defaults shared across the process -------------------------------------------------

    @classmethod
    def set_default(cls, default: Optional[Configuration]) -> None:
        """Make ``default`` the configuration used when none is given."""
        with cls._default_lock:
            cls._default = default

    @classmethod
    def get_default(cls) -> Configuration:
        """The default configuration (created on first use)."""
        with cls._default_lock:
            if cls._default is None:
                cls._default = cls()
            return cls._default

    @classmethod
    def get_default_copy(cls) -> Configuration:
        """Deprecated: the default configuration itself, as ``get_default()``."""
        return cls.get_default()

    def __deepcopy__(self, memo: dict[int, Any]) -> Self:
        cls = self.__class__
        result = cls.__new__(cls)
        memo[id(self)] = result
        for key, value in self.__dict__.items():
            if key == "logger_file_handler":
                continue  # made anew below
            if key in ("logger", "logger_stream_handler", "logger_formatter"):
                setattr(result, key, value)  # process-wide loggers, the one shared handler
            elif key not in ("proxy_ssl_context", "trace_configs", "client_session_kwargs"):
                setattr(result, key, copy.deepcopy(value, memo))
            else:
                setattr(result, key, value)
        # The copy takes its own share of the log file's handler: unsetting one keeps the other.
        result.logger_file_handler = None
        result.logger_file = self._logger_file
        return result

    # -- host -------------------------------------------------------------------------------

    @property
    def host(self) -> str:
        """The base URL requests go to."""
        if self.server_index is None:
            return self._base_path
        return self.get_host_from_settings(self.server_index, variables=self.server_variables)

    @host.setter
    def host(self, value: str) -> None:
        self._base_path = value
        self.server_index = None
        if self._proxy_from_env:
            from urllib.request import getproxies  # costs ms to import; only read here

            self._proxy = _env_proxy(getproxies(), value)

    @property
    def proxy(self) -> Optional[str]:
        """The proxy URL (from ``HTTP_PROXY``/``HTTPS_PROXY`` when not given)."""
        return self._proxy

    @proxy.setter
    def proxy(self, value: Optional[str]) -> None:
        self._proxy = value
        self._proxy_from_env = False

    def get_host_settings(self) -> list[HostSetting]:
        """The servers the API description lists (one: the configured host)."""
        return [{"url": self._base_path, "description": "No description provided"}]

    def get_host_from_settings(
        self,
        index: Optional[int],
        variables: Optional[ServerVariablesT] = None,
        servers: Optional[list[HostSetting]] = None,
    ) -> str:
        """The URL of server ``index`` with its template ``variables`` filled in."""
        if index is None:
            return self._base_path
        variables = {} if variables is None else variables
        servers = self.get_host_settings() if servers is None else servers
        try:
            server = servers[index]
        except IndexError:
            raise ValueError(
                f"Invalid index {index} when selecting the host settings. "
                f"Must be less than {len(servers)}"
            ) from None
        url = server["url"]
        for name, variable in server.get("variables", {}).items():
            used_value = variables.get(name, variable["default_value"])
            allowed = variable.get("enum_values")  # left out by the generator when there are none
            if allowed and used_value not in allowed:
                raise ValueError(
                    f"The variable `{name}` in the host URL has invalid value {used_value}. "
                    f"Must be {allowed}."
                )
            url = url.replace("{" + name + "}", used_value)
        return url

    # -- auth -------------------------------------------------------------------------------

    def get_api_key_with_prefix(
        self, identifier: str, alias: Optional[str] = None
    ) -> Optional[str]:
        """The API key ``identifier`` (or ``alias``) with its prefix, if any."""
        if self.refresh_api_key_hook is not None:
            self.refresh_api_key_hook(self)
        key = self.api_key.get(identifier, self.api_key.get(alias) if alias is not None else None)
        if key:
            prefix = self.api_key_prefix.get(
                identifier, self.api_key_prefix.get(alias) if alias is not None else None
            )
            return f"{prefix} {key}" if prefix else key
        return None

    def get_basic_auth_token(self) -> Optional[str]:
        """The HTTP basic ``Authorization`` value for ``username``/``password``."""
        import urllib3

        username = self.username or ""
        password = self.password or ""
        return urllib3.util.make_headers(basic_auth=f"{username}:{password}").get("authorization")

    def auth_settings(self) -> AuthSettings:
        """The auth settings of the API: ``'API Key'`` (bearer) when a token is set."""
        auth: AuthSettings = {}
        if self.access_token is not None:
            auth["API Key"] = {
                "type": "bearer",
                "in": "header",
                "key": "Authorization",
                "value": "Bearer " + self.access_token,
            }
        return auth

    # -- logging ----------------------------------------------------------------------------

    @property
    def logger_file(self) -> Optional[str]:
        """A file that SDK log records are also written to."""
        return self._logger_file

    @logger_file.setter
    def logger_file(self, value: Optional[str]) -> None:
        from _generated._logging import release_file_handler, shared_file_handler

        logger = self.logger["package_logger"]
        if self.logger_file_handler is not None:
            release_file_handler(self.logger_file_handler, logger)
            self.logger_file_handler = None
        self._logger_file = value
        if value:
            self.logger_file_handler = shared_file_handler(value, self._logger_format, logger)

    @property
    def debug(self) -> bool:
        """Whether requests are logged at DEBUG (Authorization redacted)."""
        return self._debug

    @debug.setter
    def debug(self, value: bool) -> None:
        from _generated._logging import debug_stream_handler, detach_debug_stream_handler

        self._debug = bool(value)
        logger = self.logger["package_logger"]
        if self._debug:
            logger.setLevel(logging.DEBUG)
            self.logger_stream_handler = debug_stream_handler(self._logger_format)
            logger.addHandler(self.logger_stream_handler)  # once: addHandler skips a repeat
        else:
            logger.setLevel(logging.WARNING)
            detach_debug_stream_handler(logger)  # shared: whichever configuration attached it
            self.logger_stream_handler = None

    @property
    def logger_format(self) -> str:
        """The ``logging`` format of the SDK's handlers."""
        return self._logger_format

    @logger_format.setter
    def logger_format(self, value: str) -> None:
        self._logger_format = value
        self.logger_formatter = logging.Formatter(value)
        for handler in (self.logger_stream_handler, self.logger_file_handler):
            if handler is not None:
                handler.setFormatter(self.logger_formatter)

    # -- reports ----------------------------------------------------------------------------

    def to_debug_report(self) -> str:
        """Versions useful in a bug report; holds no secrets."""
        return (
            "Python SDK Debug Report:\n"
            f"OS: {sys.platform} ({platform.platform()})\n"
            f"Python Version: {sys.version.split()[0]}\n"
            "Version of the API: 2.1.686\n"
            f"SDK Package Version: {__version__}"
        )

    def __repr__(self) -> str:
        token = "set" if self.access_token else "unset"
        return (
            f"Configuration(host={self.host!r}, access_token=<{token}>, "
            f"retries={self.retries!r}, timeout={self.timeout!r}, deadline={self.deadline!r}, "
            f"verify_ssl={self.verify_ssl!r}, proxy={_redact_url(self.proxy)!r})"
        )

    __str__ = __repr__

    def validate(self) -> None:
        """Raise ``ApiValueError`` for settings that cannot work."""
        if self.deadline is not None and (
            isinstance(self.deadline, bool)
            or not isinstance(self.deadline, (int, float))
            or not 0 < self.deadline <= MAX_WAIT_SECONDS  # NaN and infinity fail here
        ):
            raise ApiValueError(
                f"deadline must be a finite number of seconds > 0, got {self.deadline!r}"
            )


def _env_proxy(proxies: dict[str, str], host: str) -> Optional[str]:
    """The environment's proxy for ``host``'s scheme (or ``ALL_PROXY``)."""
    return proxies.get(urlsplit(host).scheme) or proxies.get("all")


def _redact_url(url: Optional[str]) -> Optional[str]:
    # A proxy URL may carry user:password.
    if url and "@" in url:
        scheme, _, rest = url.partition("://")
        return f"{scheme}://***@{rest.rpartition('@')[2]}"
    return url
