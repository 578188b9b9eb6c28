"""``Configuration``: its keyword arguments and attributes, host selection, auth settings,
process-wide defaults, logging, and that the token never shows."""

from __future__ import annotations

import base64
import copy
import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from _helpers import NOV1, NOV2, call_tagged

from _generated import ApiClient, ApiTimeoutError, ApiValueError, Configuration, UsageApi
from _generated import __version__ as sdk_version
from _generated.exceptions import ApiArgumentError, ServiceException
from _generated.retry import RetryPolicy
from _generated.testing import Fault

if TYPE_CHECKING:
    from conftest import EngineServer

    from _generated.testing import FakeUsageEngine

TOKEN = "cfg-secret-token-5b1e"


@pytest.fixture
def restore_defaults() -> Iterator[None]:
    """Put the process-wide default configuration and client back after the test."""
    saved_config, saved_client = Configuration._default, ApiClient._default
    try:
        yield
    finally:
        Configuration._default = saved_config
        ApiClient._default = saved_client


@pytest.fixture
def restore_sdk_logger() -> Iterator[logging.Logger]:
    """The SDK's logger, restored (level and handlers) after the test."""
    sdk_logger = logging.getLogger("_generated")
    level, handlers = sdk_logger.level, list(sdk_logger.handlers)
    try:
        yield sdk_logger
    finally:
        for handler in sdk_logger.handlers:
            if handler not in handlers:
                handler.close()
        sdk_logger.handlers[:] = handlers
        sdk_logger.setLevel(level)


# -- keyword arguments and attributes ---------------------------------------------------------

# Every keyword argument of API_SURFACE.md with a non-default value; each must be kept as the
# attribute of the same name.
KWARGS: dict[str, Any] = {
    "api_key": {"API Key": "k"},
    "api_key_prefix": {"API Key": "Token"},
    "username": "user",
    "password": "pass",
    "access_token": TOKEN,
    "server_index": None,
    "server_variables": {"region": "eu"},
    "server_operation_index": {0: 0},
    "server_operation_variables": {0: {"region": "us"}},
    "ignore_operation_servers": True,
    "ssl_ca_cert": "/etc/ssl/ca.pem",
    "retries": 4,
    "ca_cert_data": "-----BEGIN CERTIFICATE-----",
    "cert_file": "/etc/ssl/client.pem",
    "key_file": "/etc/ssl/client.key",
    "verify_ssl": False,
    "assert_hostname": "engine.example",
    "tls_server_name": "engine.example",
    "connection_pool_maxsize": 7,
    "proxy": "http://proxy.example:3128",
    "no_proxy": "localhost,127.0.0.1",
    "proxy_headers": {"Proxy-Authorization": "Basic eA=="},
    "proxy_ssl_context": None,
    "safe_chars_for_path_param": "/",
    "client_side_validation": False,
    "socket_options": [(6, 1, 1)],
    "datetime_format": "%Y-%m-%dT%H:%M:%S%z",
    "date_format": "%d.%m.%Y",
}


def test_every_keyword_argument_is_kept_as_an_attribute() -> None:
    cfg = Configuration(host="https://engine.example", debug=False, **KWARGS)
    for name, value in KWARGS.items():
        assert getattr(cfg, name) == value, name
    assert cfg.host == "https://engine.example"
    assert cfg.debug is False


def test_defaults() -> None:
    cfg = Configuration()
    assert cfg.host == "http://localhost"
    assert cfg.access_token is None
    assert cfg.api_key == {} and cfg.api_key_prefix == {}
    assert cfg.username is None and cfg.password is None
    assert cfg.verify_ssl is True
    assert cfg.ssl_ca_cert is None and cfg.cert_file is None and cfg.key_file is None
    assert cfg.proxy is None and cfg.no_proxy is None
    assert cfg.retries is None
    assert cfg.client_side_validation is True
    assert cfg.ignore_operation_servers is False
    assert cfg.safe_chars_for_path_param == ""
    assert cfg.datetime_format == "%Y-%m-%dT%H:%M:%S.%f%z"
    assert cfg.date_format == "%Y-%m-%d"
    assert isinstance(cfg.connection_pool_maxsize, int) and cfg.connection_pool_maxsize > 0
    assert cfg.debug is False
    assert cfg.logger_file is None
    assert cfg.timeout == (5.0, 60.0)
    assert cfg.deadline is None
    assert cfg.auth_settings() == {}


def test_host_is_settable_and_used_for_requests(engine_server: EngineServer) -> None:
    cfg = Configuration(access_token=engine_server.token)
    assert cfg.host == "http://localhost"
    cfg.host = engine_server.host
    assert cfg.host == engine_server.host
    with ApiClient(cfg) as client:
        rows, received = call_tagged(
            engine_server,
            UsageApi(client).get_token_usage_api_v2_usage_tokens_get,
            start_time=NOV1,
            end_time=NOV2,
        )
    assert received.authorized is True
    assert rows


# -- auth -------------------------------------------------------------------------------------


def test_auth_settings_shape_with_a_token() -> None:
    cfg = Configuration(access_token=TOKEN)
    assert cfg.auth_settings() == {
        "API Key": {
            "type": "bearer",
            "in": "header",
            "key": "Authorization",
            "value": f"Bearer {TOKEN}",
        }
    }


def test_auth_settings_follow_the_current_token(engine_server: EngineServer) -> None:
    cfg = engine_server.configuration(access_token=None)
    assert cfg.auth_settings() == {}
    with ApiClient(cfg) as client:
        api = UsageApi(client)
        cfg.access_token = engine_server.token  # set after the client was made
        assert cfg.auth_settings()["API Key"]["value"] == f"Bearer {engine_server.token}"
        _, received = call_tagged(
            engine_server, api.get_token_usage_api_v2_usage_tokens_get, group_by=["task"]
        )
    assert received.authorized is True


def test_get_api_key_with_prefix() -> None:
    cfg = Configuration(api_key={"k": "v", "other": "w"}, api_key_prefix={"k": "Token"})
    assert cfg.get_api_key_with_prefix("k") == "Token v"
    assert cfg.get_api_key_with_prefix("other") == "w"
    assert cfg.get_api_key_with_prefix("missing") is None
    assert cfg.get_api_key_with_prefix("missing", alias="other") == "w"

    calls: list[Configuration] = []

    def refresh(config: Configuration) -> None:
        calls.append(config)
        config.api_key["k"] = "fresh"

    cfg.refresh_api_key_hook = refresh
    assert cfg.get_api_key_with_prefix("k") == "Token fresh"
    assert calls == [cfg]


def test_get_basic_auth_token() -> None:
    cfg = Configuration(username="ada", password="lovelace")
    expected = "Basic " + base64.b64encode(b"ada:lovelace").decode()
    assert cfg.get_basic_auth_token() == expected


# -- hosts ------------------------------------------------------------------------------------


def test_get_host_settings_and_get_host_from_settings() -> None:
    cfg = Configuration()
    settings = cfg.get_host_settings()
    assert isinstance(settings, list) and len(settings) >= 1
    assert settings[0]["url"] == "http://localhost"
    assert isinstance(settings[0]["description"], str)
    assert cfg.get_host_from_settings(0) == "http://localhost"
    assert cfg.get_host_from_settings(None) == cfg.host


@pytest.mark.parametrize("index", [1, 5])
def test_get_host_from_settings_rejects_a_bad_index(index: int) -> None:
    with pytest.raises(ValueError, match=f"Invalid index {index}"):
        Configuration().get_host_from_settings(index)


def test_get_host_from_settings_fills_in_server_variables() -> None:
    servers: list[Any] = [
        {
            "url": "https://{region}.engine.example/{version}",
            "description": "regional",
            "variables": {
                "region": {"description": "", "default_value": "eu", "enum_values": ["eu", "us"]},
                "version": {"description": "", "default_value": "v2", "enum_values": []},
            },
        }
    ]
    cfg = Configuration()
    assert cfg.get_host_from_settings(0, servers=servers) == "https://eu.engine.example/v2"
    assert (
        cfg.get_host_from_settings(0, variables={"region": "us", "version": "v9"}, servers=servers)
        == "https://us.engine.example/v9"
    )
    with pytest.raises(ValueError, match="region"):
        cfg.get_host_from_settings(0, variables={"region": "mars"}, servers=servers)


# -- process-wide defaults --------------------------------------------------------------------


@pytest.mark.usefixtures("restore_defaults")
def test_set_default_get_default_and_get_default_copy(engine_server: EngineServer) -> None:
    Configuration.set_default(engine_server.configuration())
    default = Configuration.get_default()
    assert default.host == engine_server.host
    assert default.access_token == engine_server.token
    assert Configuration.get_default() is default

    # As in OpenAPI Generator 7.26: deprecated, and the default object itself.
    assert Configuration.get_default_copy() is default

    # a client made without a configuration uses the default
    ApiClient.set_default(None)
    with ApiClient() as client:
        assert client.configuration.host == engine_server.host
        _, received = call_tagged(
            engine_server, UsageApi(client).get_token_usage_api_v2_usage_tokens_get
        )
    assert received.authorized is True


@pytest.mark.usefixtures("restore_defaults")
def test_set_default_none_resets_to_a_fresh_configuration() -> None:
    Configuration.set_default(Configuration(host="https://a.example"))
    Configuration.set_default(None)
    assert Configuration.get_default().host == "http://localhost"


def test_deepcopy_is_independent() -> None:
    cfg = Configuration(host="https://a.example", access_token=TOKEN, api_key={"k": "v"})
    clone = copy.deepcopy(cfg)
    clone.api_key["k"] = "changed"
    clone.host = "https://b.example"
    assert cfg.api_key == {"k": "v"} and cfg.host == "https://a.example"
    assert clone.access_token == TOKEN


# -- secrets never shown ----------------------------------------------------------------------


def test_repr_str_and_debug_report_do_not_show_the_token() -> None:
    cfg = Configuration(host="https://engine.example", access_token=TOKEN, password="pw-9911")
    for text in (repr(cfg), str(cfg), cfg.to_debug_report()):
        assert TOKEN not in text
        assert "pw-9911" not in text
    assert "https://engine.example" in repr(cfg)


def test_debug_report_content() -> None:
    report = Configuration().to_debug_report()
    assert report.startswith("Python SDK Debug Report:")
    assert "OS:" in report and "Python Version:" in report
    assert "Version of the API: 2.1.686" in report
    assert f"SDK Package Version: {sdk_version}" in report


def test_proxy_credentials_are_not_shown() -> None:
    cfg = Configuration(proxy="http://bob:proxy-pass-77@proxy.example:3128")
    assert "proxy-pass-77" not in repr(cfg)
    assert "proxy.example:3128" in repr(cfg)


# -- logging ----------------------------------------------------------------------------------


def test_debug_logs_requests_without_the_token(
    engine_server: EngineServer,
    restore_sdk_logger: logging.Logger,
    capsys: pytest.CaptureFixture[str],
) -> None:
    cfg = engine_server.configuration()
    cfg.debug = True
    assert cfg.debug is True
    assert restore_sdk_logger.level == logging.DEBUG
    with ApiClient(cfg) as client:
        UsageApi(client).get_token_usage_api_v2_usage_tokens_get(start_time=NOV1, end_time=NOV2)
    cfg.debug = False
    assert restore_sdk_logger.level != logging.DEBUG
    err = capsys.readouterr().err
    assert "GET" in err and "/api/v2/usage/tokens" in err
    assert "200" in err
    assert engine_server.token not in err

    # off again: nothing more is written
    with ApiClient(cfg) as client:
        UsageApi(client).get_token_usage_api_v2_usage_tokens_get(start_time=NOV1, end_time=NOV2)
    assert "/api/v2/usage/tokens" not in capsys.readouterr().err


def test_many_debug_configurations_write_each_record_once(
    engine_server: EngineServer,
    restore_sdk_logger: logging.Logger,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # A configuration per request (a web handler, a loop) must not pile up handlers.
    before = len(restore_sdk_logger.handlers)
    for _ in range(3):
        cfg = engine_server.configuration(debug=True)
        with ApiClient(cfg) as client:
            UsageApi(client).get_token_usage_api_v2_usage_tokens_get(start_time=NOV1, end_time=NOV2)
    assert len(restore_sdk_logger.handlers) == before + 1
    err = capsys.readouterr().err
    assert err.count("-> HTTP 200") == 3  # one line per call, not 1 + 2 + 3
    cfg.debug = False
    assert len(restore_sdk_logger.handlers) == before


def test_logger_file_receives_redacted_records(
    engine_server: EngineServer,
    restore_sdk_logger: logging.Logger,
    tmp_path: Path,
) -> None:
    log_file = tmp_path / "sdk.log"
    cfg = engine_server.configuration(debug=True)
    cfg.logger_format = "%(levelname)s|%(message)s"
    assert cfg.logger_format == "%(levelname)s|%(message)s"
    cfg.logger_file = str(log_file)
    assert cfg.logger_file == str(log_file)
    try:
        with ApiClient(cfg) as client:
            UsageApi(client).get_token_usage_api_v2_usage_tokens_get(group_by=["task"])
    finally:
        cfg.logger_file = None
        cfg.debug = False
    text = log_file.read_text()
    assert "DEBUG|" in text
    assert "/api/v2/usage/tokens" in text
    assert engine_server.token not in text
    assert not any(isinstance(h, logging.FileHandler) for h in restore_sdk_logger.handlers)


def test_a_deep_copy_shares_the_log_file_and_unsetting_it_there_keeps_the_original(
    fake_engine: FakeUsageEngine, restore_sdk_logger: logging.Logger, tmp_path: Path
) -> None:
    log_file = tmp_path / "sdk.log"
    original = fake_engine.configuration(debug=True)
    original.logger_file = str(log_file)
    copied = copy.deepcopy(original)
    try:
        assert copied.logger_file == str(log_file)
        with ApiClient(original) as client:
            UsageApi(client).get_token_usage_api_v2_usage_tokens_get(start_time=NOV1)
        first = log_file.read_text()
        assert first.count("-> HTTP 200") == 1  # one handler for the file: no line twice
        copied.logger_file = None
        with ApiClient(original) as client:
            UsageApi(client).get_token_usage_api_v2_usage_tokens_get(start_time=NOV1)
        assert log_file.read_text().count("-> HTTP 200") == 2  # the original still logs
    finally:
        original.logger_file = None
        original.debug = False
    assert not any(isinstance(h, logging.FileHandler) for h in restore_sdk_logger.handlers)


def test_debug_off_on_any_configuration_removes_the_shared_handler(
    restore_sdk_logger: logging.Logger,
) -> None:
    before = len(restore_sdk_logger.handlers)
    Configuration(debug=True)
    assert len(restore_sdk_logger.handlers) == before + 1
    Configuration().debug = False
    assert len(restore_sdk_logger.handlers) == before
    assert restore_sdk_logger.level == logging.WARNING


def test_host_settings_and_key_prefixes_as_generated() -> None:
    from _generated import configuration as module

    config = Configuration(api_key={"alias": "abc"}, api_key_prefix={"alias": "Token"})
    assert config.get_api_key_with_prefix("id", alias="alias") == "Token abc"
    servers: Any = [
        {
            "url": "https://{region}.example",
            "description": "",
            "variables": {"region": {"description": "", "default_value": "us"}},
        }
    ]
    assert config.get_host_from_settings(0, servers=servers) == "https://us.example"
    assert config.get_host_from_settings(0, {"region": "eu"}, servers) == "https://eu.example"
    for name in ("OAuth2AuthSetting", "HTTPSignatureAuthSetting"):
        assert name in module.__all__ and hasattr(module, name)
    assert "maxLength" in module.JSON_SCHEMA_VALIDATION_KEYWORDS
    config.logger_format = "%(message)s"
    assert config.logger_formatter._fmt == "%(message)s"


# -- transport settings that a caller can observe ---------------------------------------------


def test_retries_zero_makes_one_attempt(fake_engine: FakeUsageEngine) -> None:
    fake_engine.inject(Fault.status(503), times=3)
    with fake_engine.api_client(retries=0) as client, pytest.raises(ServiceException):
        UsageApi(client).get_token_usage_api_v2_usage_tokens_get()
    assert fake_engine.attempts == 1


def test_retries_accepts_a_policy(fake_engine: FakeUsageEngine) -> None:
    waits: list[float] = []
    fake_engine.inject(Fault.status(503), times=2)
    policy = RetryPolicy(max_retries=2, sleep=waits.append)
    with fake_engine.api_client(retries=policy) as client:
        rows = UsageApi(client).get_token_usage_api_v2_usage_tokens_get(
            start_time=NOV1, end_time=NOV2, group_by=["task"]
        )
    assert rows
    assert fake_engine.attempts == 3
    assert len(waits) == 2


def test_timeout_applies_to_every_call(fake_engine: FakeUsageEngine) -> None:
    fake_engine.inject(Fault.delay(3.0))
    with fake_engine.api_client(timeout=0.3, retries=0) as client:
        started = time.monotonic()
        with pytest.raises(ApiTimeoutError):
            UsageApi(client).get_token_usage_api_v2_usage_tokens_get()
    assert time.monotonic() - started < 2.0


@pytest.mark.parametrize(
    "timeout",
    [-1, (-1, 5), (5, 0), ("5", 5), (5, float("nan")), float("inf"), (1e300, 5), 1e300],
)
def test_an_unusable_timeout_is_refused_before_any_request(
    fake_engine: FakeUsageEngine, timeout: Any
) -> None:
    with pytest.raises(ApiValueError, match=r"Configuration\.timeout"):
        fake_engine.api_client(timeout=timeout)
    with fake_engine.api_client() as client:
        client.configuration.timeout = timeout  # attributes are read at each call
        with pytest.raises(ApiValueError, match=r"Configuration\.timeout"):
            UsageApi(client).get_token_usage_api_v2_usage_tokens_get()
    assert fake_engine.attempts == 0


@pytest.mark.parametrize("deadline", [0, -1, "soon", True, float("nan"), float("inf")])
def test_an_unusable_deadline_is_refused_when_the_client_is_made(deadline: Any) -> None:
    with pytest.raises(ApiValueError, match="deadline"):
        ApiClient(Configuration(deadline=deadline))


def test_the_loggers_are_under_the_generated_clients_keys() -> None:
    loggers = Configuration().logger
    assert loggers["package_logger"] is logging.getLogger("_generated")
    assert loggers["urllib3_logger"] is logging.getLogger("urllib3")


@pytest.mark.parametrize("name", ["_request_timeout", "_deadline"])
@pytest.mark.parametrize("seconds", [float("inf"), 1e300, (1e300, 5)], ids=["inf", "1e300", "pair"])
def test_a_timeout_no_wait_can_take_is_an_argument_error(
    fake_engine: FakeUsageEngine, name: str, seconds: Any
) -> None:
    # Accepted, it would overflow deep in the socket layer as a bare OverflowError.
    with fake_engine.api_client() as client, pytest.raises(ApiArgumentError) as caught:
        UsageApi(client).get_token_usage_api_v2_usage_tokens_get(**{name: seconds})
    assert caught.value.argument == name
    assert "finite seconds > 0" in str(caught.value)
    assert fake_engine.attempts == 0
