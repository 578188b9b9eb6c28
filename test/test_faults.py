"""Fault injection end to end: a real server on 127.0.0.1 misbehaves, the SDK copes.

Every case asserts the exception type (always inside the SDK's tree, the lower-level cause
chained), how many attempts the server saw, the delays the retry policy asked for (its
``sleep`` is injected, so nothing here really waits between attempts) and the elapsed time.
"""

from __future__ import annotations

import json
import logging
import socket
import time
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pydantic
import pytest
import urllib3
from _helpers import END, START, Sleeps, fetch
from urllib3.util.retry import Retry

from _generated import ApiClient, Configuration, TokenUsageResponse, UsageApi
from _generated._constants import (
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_READ_TIMEOUT,
    ERROR_BODY_EXCERPT,
)
from _generated.exceptions import (
    ApiConnectionError,
    ApiException,
    ApiTimeoutError,
    BadRequestException,
    ConflictException,
    ForbiddenException,
    NotFoundException,
    OpenApiException,
    ResponseValidationError,
    ServiceException,
    TooManyRequestsException,
    UnauthorizedException,
    UnprocessableEntityException,
)
from _generated.models import HTTPValidationError
from _generated.retry import RetryPolicy
from _generated.testing import FakeUsageEngine, Fault

JITTER_DRAW = 0.5  # every jitter draw; delay = nominal * (1 - 0.25 * 0.5)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


def policy(sleeps: Sleeps, max_retries: int = 2, **fields: Any) -> RetryPolicy:
    return RetryPolicy(max_retries=max_retries, sleep=sleeps, random=lambda: JITTER_DRAW, **fields)


def backoff(n: int) -> float:
    """The delay the default backoff asks for before retry ``n`` with the pinned draw."""
    return min(0.5 * 2**n, 8.0) * (1 - 0.25 * JITTER_DRAW)


@contextmanager
def usage_api(engine: FakeUsageEngine, **config: Any) -> Iterator[UsageApi]:
    with engine.api_client(**config) as client:
        yield UsageApi(client)


def expect(error: type[BaseException], api: UsageApi, **kwargs: Any) -> tuple[BaseException, float]:
    """Call, assert ``error`` is raised, return it and the seconds the call took."""
    started = time.monotonic()
    with pytest.raises(error) as info:
        fetch(api, **kwargs)
    elapsed = time.monotonic() - started
    exc = info.value
    assert isinstance(exc, OpenApiException)
    assert not isinstance(exc, (json.JSONDecodeError, pydantic.ValidationError))
    return exc, elapsed


def assert_correct(engine: FakeUsageEngine, rows: list[TokenUsageResponse]) -> None:
    expected = engine.expected(START, END)
    assert [row.to_dict() for row in rows] == expected
    assert rows, "the sample data has usage in this range"


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then closed)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


# -- connection-level failures --------------------------------------------------------------------


def test_reset_mid_response_is_retried_and_recovers(
    fake_engine: FakeUsageEngine, sleeps: Sleeps
) -> None:
    fake_engine.inject(Fault.reset())
    with usage_api(fake_engine, retries=policy(sleeps)) as api:
        started = time.monotonic()
        rows = fetch(api)
    assert_correct(fake_engine, rows)
    assert fake_engine.attempts == 2
    assert sleeps.delays == [backoff(0)]
    assert time.monotonic() - started < 2.0


@pytest.mark.parametrize(
    ("fault", "words"),
    [(Fault.reset(), "Connection reset by peer"), (Fault.drop(), "RemoteDisconnected")],
    ids=["reset-mid-body", "closed-before-answer"],
)
def test_without_retries_the_server_sees_exactly_one_attempt(
    fake_engine: FakeUsageEngine, fault: Fault, words: str
) -> None:
    # Proves urllib3's own retries are off (it would retry a connection closed before the
    # answer): the SDK's policy is the only one.
    fake_engine.inject(fault, times=5)
    with usage_api(fake_engine, retries=0) as api:
        exc, elapsed = expect(ApiConnectionError, api)
    assert fake_engine.attempts == 1
    assert type(exc) is ApiConnectionError
    assert exc.status == 0
    assert exc.host == fake_engine.host  # type: ignore[attr-defined]
    assert str(exc).startswith(f"connection to {fake_engine.host} failed")
    assert words in str(exc)
    assert isinstance(exc.__cause__, urllib3.exceptions.HTTPError)
    assert elapsed < 2.0


def test_dropped_connection_without_answer_is_retried(
    fake_engine: FakeUsageEngine, sleeps: Sleeps
) -> None:
    fake_engine.inject(Fault.drop(), times=2)
    with usage_api(fake_engine, retries=policy(sleeps)) as api:
        rows = fetch(api)
    assert_correct(fake_engine, rows)
    assert fake_engine.attempts == 3
    assert sleeps.delays == [backoff(0), backoff(1)]


def test_dropped_every_time_exhausts_the_retries(
    fake_engine: FakeUsageEngine, sleeps: Sleeps
) -> None:
    fake_engine.inject(Fault.drop(), times=10)
    with usage_api(fake_engine, retries=policy(sleeps, max_retries=3)) as api:
        exc, _ = expect(ApiConnectionError, api)
    assert type(exc) is ApiConnectionError
    assert fake_engine.attempts == 4
    assert sleeps.delays == [backoff(0), backoff(1), backoff(2)]
    assert sleeps.delays == sorted(sleeps.delays), "backoff grows"


def test_connection_refused_is_a_connection_error_naming_host(sleeps: Sleeps) -> None:
    host = f"http://127.0.0.1:{closed_port()}"
    config = Configuration(host=host, access_token="t", retries=policy(sleeps))
    with ApiClient(config) as client:
        exc, elapsed = expect(ApiConnectionError, UsageApi(client))
    assert type(exc) is ApiConnectionError, "refused is not a timeout"
    assert exc.status == 0
    assert str(exc).startswith(f"cannot connect to {host} (connection refused)")
    assert "check that the engine is running" in str(exc)
    assert isinstance(exc.__cause__, urllib3.exceptions.MaxRetryError)
    assert isinstance(exc.__cause__.reason, urllib3.exceptions.NewConnectionError)
    # Refused connections are retried (the engine may be restarting).
    assert sleeps.delays == [backoff(0), backoff(1)]
    assert elapsed < 2.0


def _resolver_is_local_only() -> bool:
    """True when resolving a name cannot send a packet off this machine."""
    try:
        nsswitch = Path("/etc/nsswitch.conf").read_text()
    except OSError:
        return False
    hosts = [
        line.split(":", 1)[1].split() for line in nsswitch.splitlines() if line.startswith("hosts:")
    ]
    if not hosts:
        return False
    sources = {source for source in hosts[0] if not source.startswith("[")}
    if sources <= {"files"}:
        return True
    if sources - {"files", "dns"}:
        return False  # mdns, resolve, ...: cannot tell
    try:
        resolv = Path("/etc/resolv.conf").read_text()
    except OSError:
        return False
    servers = [line.split()[1] for line in resolv.splitlines() if line.startswith("nameserver")]
    return bool(servers) and all(s.startswith("127.") or s == "::1" for s in servers)


@pytest.mark.skipif(
    not _resolver_is_local_only(),
    reason="resolving a name here would query a DNS server on the network",
)
def test_dns_failure_is_a_connection_error() -> None:
    config = Configuration(host="http://engine.invalid", access_token="t", retries=0)
    with ApiClient(config) as client:
        exc, _ = expect(ApiConnectionError, UsageApi(client))
    assert str(exc).startswith("cannot resolve http://engine.invalid")
    assert isinstance(exc.__cause__, urllib3.exceptions.MaxRetryError)


def test_dns_failure_translation() -> None:
    # The boundary itself, without a resolver: urllib3's NameResolutionError (a
    # NewConnectionError, hence also a ConnectTimeoutError) is not a timeout.
    from _generated import rest

    conn = urllib3.connection.HTTPConnection("engine.invalid", 80)
    error = urllib3.exceptions.NameResolutionError(
        "engine.invalid", conn, socket.gaierror(-2, "Name or service not known")
    )
    exc = rest._translate(error, "http://engine.invalid")
    assert type(exc) is ApiConnectionError
    assert str(exc) == (
        "cannot resolve http://engine.invalid: check the host name in Configuration.host"
    )


@contextmanager
def full_backlog() -> Iterator[str]:
    """A loopback listener whose accept queue is full: new connections are never accepted."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    address = listener.getsockname()
    fillers: list[socket.socket] = []
    try:
        for _ in range(64):
            sock = socket.socket()
            sock.settimeout(0.2)
            try:
                sock.connect(address)
            except OSError:
                sock.close()
                break
            fillers.append(sock)
        else:
            pytest.skip("could not fill the accept queue of a loopback listener")
        yield f"http://{address[0]}:{address[1]}"
    finally:
        for sock in fillers:
            sock.close()
        listener.close()


def test_connect_timeout_is_a_timeout_error(sleeps: Sleeps) -> None:
    with full_backlog() as host:
        config = Configuration(host=host, access_token="t", retries=policy(sleeps, 1))
        with ApiClient(config) as client:
            exc, elapsed = expect(ApiTimeoutError, UsageApi(client), _request_timeout=(0.3, 5))
    assert str(exc).startswith(f"timed out connecting to {host}")
    assert exc.status == 0
    assert isinstance(exc.__cause__, urllib3.exceptions.MaxRetryError)
    assert isinstance(exc.__cause__.reason, urllib3.exceptions.ConnectTimeoutError)
    assert sleeps.delays == [backoff(0)]  # timeouts are retried
    assert 0.55 <= elapsed < 2.0  # two attempts of 0.3 s


def test_accepted_but_never_answered_times_out_per_attempt(
    fake_engine: FakeUsageEngine, sleeps: Sleeps
) -> None:
    fake_engine.inject(Fault.hang(), times=3)
    with usage_api(fake_engine, retries=policy(sleeps)) as api:
        exc, elapsed = expect(ApiTimeoutError, api, _request_timeout=(2, 0.3))
    assert str(exc).startswith(f"timed out waiting for {fake_engine.host}")
    assert isinstance(exc.__cause__.reason, urllib3.exceptions.ReadTimeoutError)  # type: ignore[union-attr]
    assert fake_engine.attempts == 3
    assert sleeps.delays == [backoff(0), backoff(1)]
    assert 0.85 <= elapsed < 2.5  # the timeout applies to each of the three attempts


@pytest.mark.parametrize("timeout", [1, (5, 1), urllib3.Timeout(connect=5, read=1)])
def test_a_one_second_read_timeout_without_retries_fails_in_about_a_second(
    fake_engine: FakeUsageEngine, timeout: Any
) -> None:
    fake_engine.inject(Fault.hang())
    with usage_api(fake_engine, retries=0) as api:
        _, elapsed = expect(ApiTimeoutError, api, _request_timeout=timeout)
    assert fake_engine.attempts == 1
    assert 0.9 <= elapsed < 1.6


def test_configured_timeout_applies_when_no_per_call_timeout(
    fake_engine: FakeUsageEngine,
) -> None:
    fake_engine.inject(Fault.hang())
    with usage_api(fake_engine, retries=0, timeout=(5, 0.4)) as api:
        _, elapsed = expect(ApiTimeoutError, api)
    assert 0.35 <= elapsed < 1.2


def test_slow_answer_within_the_timeout_succeeds(fake_engine: FakeUsageEngine) -> None:
    fake_engine.inject(Fault.delay(0.3))
    with usage_api(fake_engine, retries=0) as api:
        rows = fetch(api, _request_timeout=(2, 2))
    assert_correct(fake_engine, rows)


def test_slow_answer_beyond_the_read_timeout_is_retried(
    fake_engine: FakeUsageEngine, sleeps: Sleeps
) -> None:
    fake_engine.inject(Fault.delay(1.5))
    with usage_api(fake_engine, retries=policy(sleeps)) as api:
        started = time.monotonic()
        rows = fetch(api, _request_timeout=(2, 0.3))
    assert_correct(fake_engine, rows)
    assert fake_engine.attempts == 2
    assert sleeps.delays == [backoff(0)]
    assert time.monotonic() - started < 1.5


def test_default_timeout_is_five_seconds_connect_sixty_read() -> None:
    from _generated.rest import to_urllib3_timeout

    config = Configuration()
    assert config.timeout == (DEFAULT_CONNECT_TIMEOUT, DEFAULT_READ_TIMEOUT) == (5.0, 60.0)
    timeout = to_urllib3_timeout(config.timeout)
    assert timeout is not None
    assert (timeout.connect_timeout, timeout.read_timeout) == (5.0, 60.0)


# -- the deadline bounds the whole call ----------------------------------------------------------


def test_deadline_bounds_attempts_and_retries_together(fake_engine: FakeUsageEngine) -> None:
    fake_engine.inject(Fault.hang(), times=20)
    retries = RetryPolicy(max_retries=10, backoff_initial=0.05, random=lambda: 0.0)
    with usage_api(fake_engine, retries=retries, deadline=1.0) as api:
        _, elapsed = expect(ApiTimeoutError, api, _request_timeout=(5, 0.4))
    # No retry starts that the deadline would cut short, so the end is near it, not past it.
    assert 0.8 <= elapsed < 1.5
    assert 2 <= fake_engine.attempts <= 3


def test_a_timeout_cut_short_by_the_deadline_says_it_was_the_deadline(
    fake_engine: FakeUsageEngine,
) -> None:
    fake_engine.inject(Fault.hang())
    with usage_api(fake_engine, deadline=0.5) as api:
        exc, elapsed = expect(ApiTimeoutError, api, _request_timeout=(5, 30))
    assert "deadline of 0.5 s passed during attempt 1" in str(exc)
    assert isinstance(exc.__cause__, ApiTimeoutError), "the attempt's own timeout is the cause"
    assert 0.4 <= elapsed < 1.5
    assert fake_engine.attempts == 1


def test_per_call_deadline_overrides_the_configured_one(fake_engine: FakeUsageEngine) -> None:
    fake_engine.inject(Fault.hang(), times=20)
    with usage_api(fake_engine, retries=10, deadline=30.0) as api:
        _, elapsed = expect(ApiTimeoutError, api, _request_timeout=5, _deadline=0.5)
    assert 0.45 <= elapsed < 1.0
    assert fake_engine.attempts == 1


def test_deadline_bounds_a_body_that_trickles_in(fake_engine: FakeUsageEngine) -> None:
    # Each piece arrives well within the read timeout, so only the deadline can stop it.
    fake_engine.inject(Fault.slow_body(0.1, chunk_size=8))
    with usage_api(fake_engine, retries=0) as api:
        exc, elapsed = expect(ApiTimeoutError, api, _request_timeout=(5, 1), _deadline=0.8)
    assert "deadline passed while reading the response" in str(exc)
    assert 0.75 <= elapsed < 1.3
    # The half-read connection was discarded, not pooled: the next call is clean.
    with usage_api(fake_engine, retries=0) as api:
        assert_correct(fake_engine, fetch(api, _deadline=5))


def test_retry_after_longer_than_the_deadline_left_fails_at_once(
    fake_engine: FakeUsageEngine, sleeps: Sleeps
) -> None:
    fake_engine.inject(Fault.status(503, headers={"Retry-After": "5"}))
    with usage_api(fake_engine, retries=policy(sleeps), deadline=2.0) as api:
        exc, elapsed = expect(ServiceException, api)
    assert exc.status == 503  # type: ignore[attr-defined]
    assert fake_engine.attempts == 1
    assert sleeps.delays == []
    assert elapsed < 0.5


def test_a_deadline_long_enough_does_not_change_the_answer(fake_engine: FakeUsageEngine) -> None:
    with usage_api(fake_engine, deadline=10.0) as api:
        assert_correct(fake_engine, fetch(api))


# -- status faults -------------------------------------------------------------------------------


def test_503_twice_then_200(fake_engine: FakeUsageEngine, sleeps: Sleeps) -> None:
    fake_engine.inject(Fault.status(503), times=2)
    with usage_api(fake_engine, retries=policy(sleeps)) as api:
        rows = fetch(api)
    assert_correct(fake_engine, rows)
    assert fake_engine.attempts == 3
    assert sleeps.delays == [backoff(0), backoff(1)]
    assert sleeps.delays[1] == 2 * sleeps.delays[0]


def test_502_without_retry_after_then_200(fake_engine: FakeUsageEngine, sleeps: Sleeps) -> None:
    fake_engine.inject(Fault.status(502))
    with usage_api(fake_engine, retries=policy(sleeps)) as api:
        rows = fetch(api)
    assert_correct(fake_engine, rows)
    assert fake_engine.attempts == 2
    assert sleeps.delays == [backoff(0)]


def test_jitter_stays_within_a_quarter_of_the_delay(fake_engine: FakeUsageEngine) -> None:
    sleeps = Sleeps()
    fake_engine.inject(Fault.status(502), times=20)
    retries = RetryPolicy(max_retries=4, sleep=sleeps)  # the real random draw
    with usage_api(fake_engine, retries=retries) as api:
        for _ in range(4):
            expect(ServiceException, api)
    assert len(sleeps.delays) == 16
    for index, delay in enumerate(sleeps.delays):
        nominal = 0.5 * 2 ** (index % 4)
        assert 0.75 * nominal <= delay <= nominal


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504])
def test_each_retryable_status_is_retried(
    fake_engine: FakeUsageEngine, sleeps: Sleeps, status: int
) -> None:
    fake_engine.inject(Fault.status(status))
    with usage_api(fake_engine, retries=policy(sleeps)) as api:
        assert_correct(fake_engine, fetch(api))
    assert fake_engine.attempts == 2


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, BadRequestException),
        (401, UnauthorizedException),
        (403, ForbiddenException),
        (404, NotFoundException),
        (409, ConflictException),
        (422, UnprocessableEntityException),
        (501, ServiceException),
        (418, ApiException),
    ],
)
def test_final_statuses_fail_at_once_with_their_subclass(
    fake_engine: FakeUsageEngine, sleeps: Sleeps, status: int, error: type[ApiException]
) -> None:
    fake_engine.inject(Fault.status(status), times=3)
    with usage_api(fake_engine, retries=policy(sleeps)) as api:
        exc, _ = expect(error, api)
    assert type(exc) is error
    assert exc.status == status  # type: ignore[attr-defined]
    assert fake_engine.attempts == 1
    assert sleeps.delays == []


def test_422_carries_the_parsed_validation_error(fake_engine: FakeUsageEngine) -> None:
    body = {"detail": [{"type": "enum", "loc": ["query", "group_by", 0], "msg": "bad"}]}
    fake_engine.inject(Fault.status(422, body=json.dumps(body)))
    with usage_api(fake_engine) as api:
        exc, _ = expect(UnprocessableEntityException, api)
    assert isinstance(exc.data, HTTPValidationError)  # type: ignore[attr-defined]
    assert exc.data.detail[0].msg == "bad"  # type: ignore[attr-defined]


def test_429_retry_after_seconds_is_honoured_exactly(
    fake_engine: FakeUsageEngine, sleeps: Sleeps
) -> None:
    fake_engine.inject(Fault.status(429, headers={"Retry-After": "3"}))
    with usage_api(fake_engine, retries=policy(sleeps)) as api:
        assert_correct(fake_engine, fetch(api))
    assert fake_engine.attempts == 2
    assert sleeps.delays == [3.0]


def test_503_retry_after_http_date_is_honoured(
    fake_engine: FakeUsageEngine, sleeps: Sleeps
) -> None:
    when = format_datetime(datetime.now(timezone.utc) + timedelta(seconds=20), usegmt=True)
    fake_engine.inject(Fault.status(503, headers={"Retry-After": when}))
    with usage_api(fake_engine, retries=policy(sleeps)) as api:
        assert_correct(fake_engine, fetch(api))
    assert fake_engine.attempts == 2
    assert len(sleeps.delays) == 1
    assert 18.0 <= sleeps.delays[0] <= 20.0  # whole seconds in an HTTP date


def test_429_persisting_raises_too_many_requests_with_retry_after(
    fake_engine: FakeUsageEngine, sleeps: Sleeps
) -> None:
    fake_engine.inject(Fault.status(429, headers={"Retry-After": "2"}), times=5)
    with usage_api(fake_engine, retries=policy(sleeps)) as api:
        exc, _ = expect(TooManyRequestsException, api)
    assert exc.retry_after == 2.0  # type: ignore[attr-defined]
    assert exc.status == 429  # type: ignore[attr-defined]
    assert fake_engine.attempts == 3
    assert sleeps.delays == [2.0, 2.0]


@pytest.mark.parametrize(
    ("status", "error"), [(429, TooManyRequestsException), (503, ServiceException)]
)
def test_retry_after_beyond_the_maximum_wait_fails_at_once(
    fake_engine: FakeUsageEngine, sleeps: Sleeps, status: int, error: type[ApiException]
) -> None:
    fake_engine.inject(Fault.status(status, headers={"Retry-After": "300"}))
    with usage_api(fake_engine, retries=policy(sleeps)) as api:
        exc, elapsed = expect(error, api)
    assert fake_engine.attempts == 1
    assert sleeps.delays == []
    assert elapsed < 0.5
    if isinstance(exc, TooManyRequestsException):
        assert exc.retry_after == 300.0


def test_maximum_retry_after_is_configurable(fake_engine: FakeUsageEngine, sleeps: Sleeps) -> None:
    fake_engine.inject(Fault.status(429, headers={"Retry-After": "300"}))
    with usage_api(fake_engine, retries=policy(sleeps, max_retry_after=600)) as api:
        assert_correct(fake_engine, fetch(api))
    assert sleeps.delays == [300.0]


def test_html_500_page_is_a_service_exception_not_a_parse_error(
    fake_engine: FakeUsageEngine, sleeps: Sleeps
) -> None:
    page = "<html><body><h1>500 Internal Server Error</h1></body></html>"
    fake_engine.inject(Fault.body(page, "text/html", 500), times=3)
    with usage_api(fake_engine, retries=policy(sleeps)) as api:
        exc, _ = expect(ServiceException, api)
    assert exc.status == 500  # type: ignore[attr-defined]
    assert exc.body == page  # type: ignore[attr-defined]
    assert exc.headers["Content-Type"] == "text/html"  # type: ignore[attr-defined]
    assert fake_engine.attempts == 3
    assert sleeps.delays == [backoff(0), backoff(1)]


# -- retry settings ------------------------------------------------------------------------------


def test_default_configuration_retries_twice(fake_engine: FakeUsageEngine) -> None:
    # Retry-After: 0 keeps the real default policy from sleeping.
    fake_engine.inject(Fault.status(503, headers={"Retry-After": "0"}), times=5)
    with usage_api(fake_engine) as api:
        expect(ServiceException, api)
    assert fake_engine.attempts == 3


def test_retries_zero_disables_retrying(fake_engine: FakeUsageEngine) -> None:
    fake_engine.inject(Fault.status(503), times=5)
    with usage_api(fake_engine, retries=0) as api:
        expect(ServiceException, api)
    assert fake_engine.attempts == 1


def test_a_urllib3_retry_is_accepted(fake_engine: FakeUsageEngine) -> None:
    fake_engine.inject(Fault.status(503), times=5)
    retry = Retry(total=3, backoff_factor=0.01, backoff_max=0.02, status_forcelist=[503])
    with usage_api(fake_engine, retries=retry) as api:
        started = time.monotonic()
        expect(ServiceException, api)
    assert fake_engine.attempts == 4
    assert time.monotonic() - started < 1.0


def test_per_call_retries_override_the_configuration(
    fake_engine: FakeUsageEngine, sleeps: Sleeps
) -> None:
    fake_engine.inject(Fault.status(503), times=3)
    with usage_api(fake_engine, retries=0) as api:
        assert_correct(fake_engine, fetch(api, _retries=policy(sleeps, 3)))
    assert fake_engine.attempts == 4
    fake_engine.clear()
    fake_engine.inject(Fault.status(503), times=3)
    with usage_api(fake_engine, retries=policy(sleeps, 5)) as api:
        expect(ServiceException, api, _retries=0)
    assert fake_engine.attempts == 1


def test_attempts_delays_and_reasons_are_logged_at_debug(
    fake_engine: FakeUsageEngine, sleeps: Sleeps, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="_generated")
    fake_engine.inject(Fault.status(503))
    fake_engine.inject(Fault.reset())
    with usage_api(fake_engine, retries=policy(sleeps)) as api:
        fetch(api)
    messages = [r.getMessage() for r in caplog.records if r.name == "_generated"]
    assert all(r.levelno == logging.DEBUG for r in caplog.records if r.name == "_generated")
    target = f"GET {fake_engine.host}/api/v2/usage/tokens?"
    attempts = [m for m in messages if m.startswith(target) and " attempt " in m]
    assert [m.rsplit(" attempt ", 1)[1][:3] for m in attempts][::2] == ["1/3", "2/3", "3/3"]
    assert any(m.endswith("attempt 1/3 -> HTTP 503") for m in messages)
    assert any("attempt 2/3 failed: connection to" in m for m in messages)
    assert any(m.endswith("attempt 3/3 -> HTTP 200") for m in messages)
    retrying = [m for m in messages if m.startswith("retrying GET")]
    assert [m.rsplit(" in ", 1)[1] for m in retrying] == [
        f"{backoff(0):.2f} s (HTTP 503)",
        f"{backoff(1):.2f} s (ApiConnectionError)",
    ]


def test_giving_up_is_logged_with_its_reason(
    fake_engine: FakeUsageEngine, sleeps: Sleeps, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="_generated")
    fake_engine.inject(Fault.status(429, headers={"Retry-After": "999"}))
    with usage_api(fake_engine, retries=policy(sleeps)) as api:
        expect(TooManyRequestsException, api)
    assert any(
        m.startswith("giving up on GET") and "Retry-After 999 s exceeds the maximum wait" in m
        for m in caplog.messages
    )


# -- bodies that are not the documented JSON ------------------------------------------------------


def assert_validation_error(
    exc: BaseException, *, status: int, content_type: str, detail: str
) -> ResponseValidationError:
    assert isinstance(exc, ResponseValidationError)
    assert exc.status == status
    assert exc.headers is not None and exc.headers["Content-Type"] == content_type
    assert detail in exc.detail
    assert detail in str(exc)
    assert exc.body is not None and len(exc.body) <= ERROR_BODY_EXCERPT + 40
    return exc


def test_content_length_cut_short_is_a_connection_error(fake_engine: FakeUsageEngine) -> None:
    fake_engine.inject(Fault.truncate())
    with usage_api(fake_engine, retries=0) as api:
        exc, _ = expect(ApiConnectionError, api)
    assert type(exc) is ApiConnectionError
    assert "IncompleteRead" in str(exc)
    assert fake_engine.attempts == 1


def test_content_length_cut_short_is_retried(fake_engine: FakeUsageEngine, sleeps: Sleeps) -> None:
    fake_engine.inject(Fault.truncate())
    with usage_api(fake_engine, retries=policy(sleeps)) as api:
        assert_correct(fake_engine, fetch(api))
    assert fake_engine.attempts == 2


def test_complete_but_invalid_json_is_a_response_validation_error(
    fake_engine: FakeUsageEngine, sleeps: Sleeps
) -> None:
    body = '[{"rule_type": "PIIDataRule", "count": {"inference": 1'
    fake_engine.inject(Fault.body(body), times=3)
    with usage_api(fake_engine, retries=policy(sleeps)) as api:
        exc, _ = expect(ResponseValidationError, api)
    error = assert_validation_error(
        exc, status=200, content_type="application/json", detail="the body is not valid JSON"
    )
    assert error.body == body
    assert isinstance(error.__cause__, pydantic.ValidationError)
    assert fake_engine.attempts == 1, "a bad body is not retried"


def test_a_body_that_is_not_its_content_encoding_is_a_response_validation_error(
    fake_engine: FakeUsageEngine, sleeps: Sleeps
) -> None:
    fake_engine.inject(Fault.body(b"this is not gzip at all", headers={"Content-Encoding": "gzip"}))
    with usage_api(fake_engine, retries=policy(sleeps)) as api:
        exc, _ = expect(ResponseValidationError, api)
        assert isinstance(exc, ResponseValidationError)
        assert exc.status == 200 and "cannot decode the body" in exc.detail
        assert isinstance(exc.__cause__, urllib3.exceptions.DecodeError)
        assert fake_engine.attempts == 1, "a bad body is not retried"
        assert_correct(fake_engine, fetch(api))  # and the connection was not poisoned


def test_text_plain_200_is_a_response_validation_error(fake_engine: FakeUsageEngine) -> None:
    fake_engine.inject(Fault.body("all good", "text/plain"))
    with usage_api(fake_engine) as api:
        exc, _ = expect(ResponseValidationError, api)
    assert_validation_error(
        exc, status=200, content_type="text/plain", detail="expected a JSON body"
    )
    assert exc.body == "all good"  # type: ignore[attr-defined]
    assert fake_engine.attempts == 1


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ('{"rule_type": "x"}', "Input should be a valid array"),
        ('[{"rule_type": "x"}]', "0.count: Field required"),
        ('[{"rule_type": 5, "count": {}}]', "0.rule_type: Input should be a valid string"),
        (
            '[{"count": {"inference": "12", "eval_prompt": 1, "eval_completion": 2}}]',
            "0.count.inference: Input should be a valid integer",
        ),
        ("null", "Input should be a valid array"),
    ],
)
def test_wrong_schema_is_a_response_validation_error(
    fake_engine: FakeUsageEngine, body: str, detail: str
) -> None:
    fake_engine.inject(Fault.body(body))
    with usage_api(fake_engine) as api:
        exc, _ = expect(ResponseValidationError, api)
    assert_validation_error(exc, status=200, content_type="application/json", detail=detail)
    assert "does not match List[TokenUsageResponse]" in exc.detail  # type: ignore[attr-defined]


def test_extra_fields_are_kept(fake_engine: FakeUsageEngine) -> None:
    row = {
        "rule_type": "PIIDataRule",
        "task_id": None,
        "count": {
            "inference": 1,
            "eval_prompt": 2,
            "eval_completion": 3,
            "user_input": 1,
            "prompt": 2,
            "completion": 3,
            "cached": 9,
        },
        "region": "eu-west-1",
    }
    fake_engine.inject(Fault.body(json.dumps([row])))
    with usage_api(fake_engine) as api:
        (parsed,) = fetch(api)
    assert parsed.model_extra == {"region": "eu-west-1"}
    assert parsed.count.model_extra == {"cached": 9}
    assert parsed.to_dict() == row


def test_fifty_megabyte_body_keeps_a_bounded_excerpt(fake_engine: FakeUsageEngine) -> None:
    size = 50 * 1024 * 1024
    body = b'{"detail": "' + b"x" * size + b'"}'
    fake_engine.inject(Fault.body(body))
    with usage_api(fake_engine, retries=0) as api:
        tracemalloc.start()
        try:
            exc, elapsed = expect(ResponseValidationError, api)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    error = assert_validation_error(
        exc, status=200, content_type="application/json", detail="Input should be a valid array"
    )
    assert error.body is not None and f"[{len(body)} bytes in all]" in error.body
    assert len(str(error)) < ERROR_BODY_EXCERPT + 600
    assert peak < 3 * size, f"peak {peak / 2**20:.0f} MiB for a 50 MiB body"
    assert elapsed < 10.0


def test_fifty_megabyte_error_page_message_is_bounded(fake_engine: FakeUsageEngine) -> None:
    page = b"<html>" + b"x" * (50 * 1024 * 1024)
    fake_engine.inject(Fault.body(page, "text/html", 503))
    with usage_api(fake_engine, retries=0) as api:
        exc, _ = expect(ServiceException, api)
    assert len(str(exc)) < ERROR_BODY_EXCERPT + 1000
    assert "more characters]" in str(exc)


# -- the client stays usable ---------------------------------------------------------------------


FAULTS = [
    Fault.reset(),
    Fault.drop(),
    Fault.truncate(),
    Fault.hang(),
    Fault.status(503),
    Fault.body("not json"),
    Fault.body("x", "text/plain"),
    Fault.status(401),
    Fault.slow_body(0.2, chunk_size=4),
]


def test_every_fault_leaves_the_client_able_to_serve_the_next_call(
    fake_engine: FakeUsageEngine,
) -> None:
    # A pool of one connection: a leaked or half-read connection would block or fail the
    # next call.
    with usage_api(fake_engine, retries=0, connection_pool_maxsize=1, deadline=1.5) as api:
        for fault in FAULTS:
            fake_engine.inject(fault)
            with pytest.raises(ApiException):
                fetch(api, _request_timeout=(2, 0.3))
            started = time.monotonic()
            assert_correct(fake_engine, fetch(api))
            assert time.monotonic() - started < 1.0, f"slow recovery after {fault!r}"
