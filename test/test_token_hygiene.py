"""The bearer token never shows: not in reprs, exception text, tracebacks, logs or output.

The central test turns everything up (``Configuration(debug=True)``, a log file, the root
logger at DEBUG so urllib3's records are captured too), drives the SDK through successes and
every kind of failure, and then searches all of it -- stdout and stderr at the file-descriptor
level, every log record, every exception with its chained causes and traceback, every repr --
for the token.
"""

from __future__ import annotations

import http.client
import logging
import socket
import traceback
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _helpers import END, START

from _generated import ApiClient, Configuration, UsageApi
from _generated._constants import LOGGER_NAME
from _generated._logging import RedactingFilter, redact, redacted_headers
from _generated.exceptions import (
    ApiArgumentError,
    ApiConnectionError,
    ApiException,
    ApiTimeoutError,
    ApiValueError,
    OpenApiException,
    ResponseValidationError,
    ServiceException,
    TooManyRequestsException,
    UnauthorizedException,
    UnprocessableEntityException,
)
from _generated.retry import RetryPolicy
from _generated.testing import FakeUsageEngine, Fault

TOKEN = f"hygiene-{uuid.uuid4().hex}"


def no_sleep(seconds: float) -> None:
    pass


@pytest.fixture
def sdk_logger_state() -> Iterator[logging.Logger]:
    """Restore the SDK logger's level and handlers (``debug=True`` changes them globally)."""
    sdk = logging.getLogger(LOGGER_NAME)
    level, handlers = sdk.level, list(sdk.handlers)
    yield sdk
    for handler in list(sdk.handlers):
        if handler not in handlers:
            sdk.removeHandler(handler)
            handler.close()
    sdk.setLevel(level)


@pytest.fixture
def engine() -> Iterator[FakeUsageEngine]:
    with FakeUsageEngine(token=TOKEN) as fake:
        yield fake


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def texts_of(exc: BaseException) -> list[str]:
    """Everything an exception can show: str, repr, args, attributes, the whole traceback."""
    shown = [str(exc), repr(exc), repr(exc.args), repr(vars(exc))]
    shown.append("".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))
    cause = exc.__cause__ or exc.__context__
    while cause is not None:
        shown += [str(cause), repr(cause)]
        cause = cause.__cause__ or cause.__context__
    return shown


def test_token_appears_nowhere_through_a_full_debug_run(
    engine: FakeUsageEngine,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    sdk_logger_state: logging.Logger,
    tmp_path: Path,
) -> None:
    caplog.set_level(logging.DEBUG)  # the root logger: urllib3's records are captured too
    caplog.set_level(logging.DEBUG, logger=LOGGER_NAME)
    log_file = tmp_path / "sdk.log"
    retries = RetryPolicy(max_retries=2, sleep=no_sleep)
    config = engine.configuration(debug=True, retries=retries)
    config.logger_file = str(log_file)
    shown: list[str] = []
    failures: list[type[BaseException]] = []

    def expect_failure(error: type[OpenApiException], **kwargs: Any) -> None:
        with pytest.raises(error) as info:
            api.get_token_usage_api_v2_usage_tokens_get(start_time=START, end_time=END, **kwargs)
        failures.append(type(info.value))
        shown.extend(texts_of(info.value))

    try:
        with ApiClient(config) as client:
            api = UsageApi(client)
            shown += [repr(config), str(config), config.to_debug_report(), repr(client)]
            shown += [repr(api), str(client.configuration)]

            # Successes: plain, with HTTP info, raw, and after retries.
            rows = api.get_token_usage_api_v2_usage_tokens_get(start_time=START, end_time=END)
            shown += [repr(rows), str([row.to_dict() for row in rows])]
            info = api.get_token_usage_api_v2_usage_tokens_get_with_http_info(
                start_time=START, end_time=END
            )
            shown += [repr(info), str(info), repr(info.headers), repr(info.data)]
            raw = api.get_token_usage_api_v2_usage_tokens_get_without_preload_content()
            shown += [repr(raw), repr(dict(raw.headers))]
            raw.drain_conn()
            raw.release_conn()
            engine.inject(Fault.status(503), times=2)
            api.get_token_usage_api_v2_usage_tokens_get(start_time=START, end_time=END)

            # Failures of every kind.
            engine.inject(Fault.status(401))
            expect_failure(UnauthorizedException)
            engine.inject(Fault.status(503), times=3)
            expect_failure(ServiceException)
            engine.inject(Fault.status(429, headers={"Retry-After": "600"}))
            expect_failure(TooManyRequestsException)
            error_body = '{"detail": [{"loc": [], "msg": "m", "type": "t"}]}'
            engine.inject(Fault.status(422, body=error_body))
            expect_failure(UnprocessableEntityException)
            engine.inject(Fault.body('[{"count": '))
            expect_failure(ResponseValidationError)
            engine.inject(Fault.body('[{"count": 5}]'))
            expect_failure(ResponseValidationError)
            engine.inject(Fault.reset(), times=3)
            expect_failure(ApiConnectionError)
            engine.inject(Fault.hang(), times=3)
            expect_failure(ApiTimeoutError, _request_timeout=(2, 0.2))
            engine.inject(Fault.hang())
            expect_failure(ApiTimeoutError, _deadline=0.2, _request_timeout=5)
            expect_failure(ApiValueError, _headers={"X-Bad": f"{TOKEN}\r\nX-Injected: 1"})

        refused = Configuration(
            host=f"http://127.0.0.1:{closed_port()}",
            access_token=TOKEN,
            retries=retries,
            debug=True,
        )
        with ApiClient(refused) as client:
            api = UsageApi(client)
            expect_failure(ApiConnectionError)
    finally:
        config.logger_file = None
        config.debug = False

    out, err = capfd.readouterr()
    records = caplog.records
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    logged = [formatter.format(record) for record in records]
    written = log_file.read_text()

    # The run really happened, with the token on the wire and logging switched on.
    assert sum(1 for request in engine.requests if request.authorized) >= 15
    assert len(failures) == 11
    assert any(record.name.startswith("urllib3") for record in records)
    assert any("'Authorization': '***'" in line for line in logged)
    assert "attempt 1/3" in err, "debug=True logs to stderr"
    assert "attempt 1/3" in written
    # http.client's print-based debug output stays off.
    assert http.client.HTTPConnection.debuglevel == 0
    assert "send: b'" not in out + err and "reply: '" not in out + err

    for where, text in [("stdout", out), ("stderr", err), ("log file", written)]:
        assert TOKEN not in text, f"token in {where}"
    for line in logged:
        assert TOKEN not in line, f"token in a log record: {line[:200]}"
    for text in shown:
        assert TOKEN not in text, f"token shown: {text[:300]}"


def test_configuration_repr_and_report_hold_no_secret() -> None:
    config = Configuration(
        host="https://engine.example",
        access_token=TOKEN,
        api_key={"API Key": TOKEN},
        username="user",
        password=TOKEN,
        proxy=f"http://user:{TOKEN}@proxy.example:3128",
        proxy_headers={"Proxy-Authorization": f"Basic {TOKEN}"},
    )
    for text in (repr(config), str(config), config.to_debug_report()):
        assert TOKEN not in text
    assert "access_token=<set>" in repr(config)
    assert "access_token=<unset>" in repr(Configuration())
    assert "proxy.example:3128" in repr(config)


def test_api_client_and_usage_api_reprs_hold_no_secret() -> None:
    with ApiClient(Configuration(host="http://127.0.0.1:1", access_token=TOKEN)) as client:
        client.set_default_header("X-Api-Key", TOKEN)
        for text in (repr(client), str(client), repr(UsageApi(client))):
            assert TOKEN not in text


def test_a_bad_request_auth_is_not_echoed(engine: FakeUsageEngine) -> None:
    with engine.api_client() as client, pytest.raises(ApiArgumentError) as info:
        UsageApi(client).get_token_usage_api_v2_usage_tokens_get(
            _request_auth={"value": f"Bearer {TOKEN}"}
        )
    exc = info.value
    assert exc.argument == "_request_auth"
    assert all(TOKEN not in text for text in texts_of(exc))
    assert TOKEN not in repr(exc.errors())
    assert engine.attempts == 0


def test_request_auth_override_is_sent_and_not_logged(
    engine: FakeUsageEngine, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    auth = {"in": "header", "key": "Authorization", "value": f"Bearer {TOKEN}", "type": "bearer"}
    with engine.api_client(access_token="some-other-token") as client:
        rows = UsageApi(client).get_token_usage_api_v2_usage_tokens_get(
            start_time=START, end_time=END, _request_auth=auth
        )
    assert rows and engine.requests[0].authorized
    assert all(TOKEN not in record.getMessage() for record in caplog.records)


@pytest.mark.parametrize(
    ("where", "key"), [("header", "X-Auth-Token"), ("query", "api_key")], ids=["header", "query"]
)
def test_request_auth_of_any_name_is_not_logged(
    engine: FakeUsageEngine, caplog: pytest.LogCaptureFixture, where: str, key: str
) -> None:
    # No pattern knows these names: the call's own credentials are blanked, plain and
    # percent-encoded (as the query carries them).
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger=LOGGER_NAME)
    secret = f"per-call/{TOKEN}+key"
    auth = {"in": where, "key": key, "value": secret, "type": "api_key"}
    with engine.api_client(retries=0) as client, pytest.raises(UnauthorizedException):
        UsageApi(client).get_token_usage_api_v2_usage_tokens_get(
            start_time=START, end_time=END, _request_auth=auth
        )
    (request,) = engine.requests
    sent = request.header(key) if where == "header" else request.query[key][0]
    assert sent == secret, "the credential went out"
    # urllib3's own records (its logger, not the SDK's) show the request line as sent.
    messages = [r.getMessage() for r in caplog.records if r.name.startswith(LOGGER_NAME)]
    assert any("[redacted]" in message for message in messages)
    assert all(TOKEN not in message for message in messages)


def test_a_connection_error_chains_nothing_that_quotes_a_query_credential() -> None:
    import socket
    import traceback

    from _generated import ApiClient, Configuration
    from _generated.exceptions import ApiConnectionError

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    secret = f"query-{TOKEN}"
    auth = {"in": "query", "key": "api_key", "value": secret, "type": "api_key"}
    config = Configuration(host=f"http://127.0.0.1:{port}", retries=0)
    with ApiClient(config) as client, pytest.raises(ApiConnectionError) as caught:
        UsageApi(client).get_token_usage_api_v2_usage_tokens_get(_request_auth=auth)
    shown = "".join(traceback.format_exception(caught.value))
    assert "cannot connect to" in shown and secret not in shown


# -- the redaction filter -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "message",
    [
        "Authorization: Bearer {t}",
        "headers {{'Authorization': 'Bearer {t}', 'Accept': 'application/json'}}",
        '{{"authorization": "Bearer {t}"}}',
        "sending bearer {t} now",
        "Proxy-Authorization: Basic {t}",
        "x-api-key={t}",
    ],
)
def test_sdk_log_records_are_redacted_whatever_is_passed(
    message: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger=LOGGER_NAME)
    sdk = logging.getLogger(LOGGER_NAME)
    sdk.debug(message.format(t=TOKEN))
    sdk.debug("value %s", message.format(t=TOKEN))
    sdk.warning("%(m)s", {"m": message.format(t=TOKEN)})
    texts = [record.getMessage() for record in caplog.records]
    assert len(texts) == 3
    for text in texts:
        assert TOKEN not in text
        assert "***" in text


def test_redact_keeps_what_is_not_a_secret() -> None:
    assert redact("GET http://127.0.0.1:8000/api/v2/usage/tokens -> 200") == (
        "GET http://127.0.0.1:8000/api/v2/usage/tokens -> 200"
    )
    assert redact(f"Authorization: Bearer {TOKEN}") == "Authorization: ***"


def test_redacted_headers_hides_credentials_only() -> None:
    headers = {
        "Authorization": f"Bearer {TOKEN}",
        "Proxy-Authorization": TOKEN,
        "Cookie": f"session={TOKEN}",
        "X-Api-Key": TOKEN,
        "Accept": "application/json",
    }
    assert redacted_headers(headers) == {
        "Authorization": "***",
        "Proxy-Authorization": "***",
        "Cookie": "***",
        "X-Api-Key": "***",
        "Accept": "application/json",
    }


def test_redacting_filter_can_guard_any_handler(tmp_path: Path) -> None:
    target = logging.getLogger("hygiene.elsewhere")
    handler = logging.FileHandler(tmp_path / "app.log")
    handler.addFilter(RedactingFilter())
    target.addHandler(handler)
    target.propagate = False
    try:
        target.error("upstream said: Authorization: Bearer %s", TOKEN)
    finally:
        target.removeHandler(handler)
        handler.close()
        target.propagate = True
    text = (tmp_path / "app.log").read_text()
    assert "upstream said: Authorization: ***" in text
    assert TOKEN not in text


def test_exception_built_from_a_response_quotes_only_the_response() -> None:
    exc = ApiException(status=500, reason="Internal Server Error", body='{"detail": "boom"}')
    assert "boom" in str(exc)
    assert repr(exc) == "ApiException(status=500, reason='Internal Server Error')"
