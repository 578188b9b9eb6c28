"""The fault-injection suite (test/test_faults.py) run against the async client.

Its scenarios are imported, not copied: an autouse fixture points the suite's
``usage_api`` at the async client (through :class:`BlockingUsageApi`), so each imported
test runs here once more with ``_generated.aio``. The scenarios that construct the sync
client themselves or assert urllib3's exception types have async counterparts below,
asserting the same outcome with aiohttp's causes.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import aiohttp
import pytest
import test_faults as scenarios
from test_faults import (  # noqa: F401  (collected here, with the async client)
    END,
    START,
    assert_correct,
    backoff,
    closed_port,
    full_backlog,
    policy,
    sleeps,
    test_422_carries_the_parsed_validation_error,
    test_429_persisting_raises_too_many_requests_with_retry_after,
    test_429_retry_after_seconds_is_honoured_exactly,
    test_502_without_retry_after_then_200,
    test_503_retry_after_http_date_is_honoured,
    test_503_twice_then_200,
    test_a_deadline_long_enough_does_not_change_the_answer,
    test_a_one_second_read_timeout_without_retries_fails_in_about_a_second,
    test_a_timeout_cut_short_by_the_deadline_says_it_was_the_deadline,
    test_a_urllib3_retry_is_accepted,
    test_attempts_delays_and_reasons_are_logged_at_debug,
    test_complete_but_invalid_json_is_a_response_validation_error,
    test_configured_timeout_applies_when_no_per_call_timeout,
    test_content_length_cut_short_is_retried,
    test_deadline_bounds_a_body_that_trickles_in,
    test_deadline_bounds_attempts_and_retries_together,
    test_default_configuration_retries_twice,
    test_dropped_connection_without_answer_is_retried,
    test_dropped_every_time_exhausts_the_retries,
    test_each_retryable_status_is_retried,
    test_every_fault_leaves_the_client_able_to_serve_the_next_call,
    test_extra_fields_are_kept,
    test_fifty_megabyte_body_keeps_a_bounded_excerpt,
    test_fifty_megabyte_error_page_message_is_bounded,
    test_final_statuses_fail_at_once_with_their_subclass,
    test_giving_up_is_logged_with_its_reason,
    test_html_500_page_is_a_service_exception_not_a_parse_error,
    test_jitter_stays_within_a_quarter_of_the_delay,
    test_maximum_retry_after_is_configurable,
    test_per_call_deadline_overrides_the_configured_one,
    test_per_call_retries_override_the_configuration,
    test_reset_mid_response_is_retried_and_recovers,
    test_retries_zero_disables_retrying,
    test_retry_after_beyond_the_maximum_wait_fails_at_once,
    test_retry_after_longer_than_the_deadline_left_fails_at_once,
    test_slow_answer_beyond_the_read_timeout_is_retried,
    test_slow_answer_within_the_timeout_succeeds,
    test_text_plain_200_is_a_response_validation_error,
    test_wrong_schema_is_a_response_validation_error,
)

from _generated import Configuration, aio
from _generated.exceptions import (
    ApiConnectionError,
    ApiTimeoutError,
    OpenApiException,
    ResponseValidationError,
)
from _generated.retry import RetryPolicy
from _generated.testing import FakeUsageEngine, Fault
from aio._aio_helpers import AsyncSleeps, blocking_usage_api


@contextmanager
def async_usage_api(engine: FakeUsageEngine, **config: Any) -> Iterator[Any]:
    with blocking_usage_api(engine.configuration(**config)) as api:
        yield api


@pytest.fixture(autouse=True)
def with_the_async_client(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scenarios, "usage_api", async_usage_api)


async def attempt(configuration: Configuration, **kwargs: Any) -> tuple[BaseException, float]:
    """Call once with a new async client; return the SDK error raised and the seconds taken."""
    started = time.monotonic()
    async with aio.ApiClient(configuration) as client:
        with pytest.raises(OpenApiException) as info:
            await aio.UsageApi(client).get_token_usage_api_v2_usage_tokens_get(
                start_time=START, end_time=END, **kwargs
            )
    return info.value, time.monotonic() - started


# -- the faults whose sync scenario names urllib3's exceptions -----------------------------------


@pytest.mark.parametrize(
    ("fault", "cause"),
    [
        (Fault.reset(), aiohttp.ClientError),
        (Fault.drop(), aiohttp.ServerDisconnectedError),
    ],
    ids=["reset-mid-body", "closed-before-answer"],
)
def test_without_retries_the_server_sees_exactly_one_attempt(
    fake_engine: FakeUsageEngine, fault: Fault, cause: type[BaseException]
) -> None:
    fake_engine.inject(fault, times=5)
    exc, elapsed = asyncio.run(attempt(fake_engine.configuration(retries=0)))
    assert fake_engine.attempts == 1
    assert type(exc) is ApiConnectionError
    assert exc.status == 0
    assert exc.host == fake_engine.host
    assert str(exc).startswith(f"connection to {fake_engine.host} failed")
    assert isinstance(exc.__cause__, cause)
    assert elapsed < 2.0


def test_connection_refused_is_a_connection_error_naming_host(sleeps: Any) -> None:  # noqa: F811
    host = f"http://127.0.0.1:{closed_port()}"
    config = Configuration(host=host, access_token="t", retries=policy(sleeps))
    exc, elapsed = asyncio.run(attempt(config))
    assert type(exc) is ApiConnectionError, "refused is not a timeout"
    assert str(exc).startswith(f"cannot connect to {host} (connection refused)")
    assert "check that the engine is running" in str(exc)
    assert isinstance(exc.__cause__, aiohttp.ClientConnectorError)
    assert sleeps.delays == [backoff(0), backoff(1)]
    assert elapsed < 2.0


def test_dns_failure_translation() -> None:
    # The boundary itself, without a resolver.
    from _generated.aio.rest import translate

    key = aiohttp.client_reqrep.ConnectionKey("engine.invalid", 80, False, True, None, None, None)
    error = aiohttp.ClientConnectorDNSError(key, OSError(-2, "Name or service not known"))
    exc = translate(error, "http://engine.invalid")
    assert type(exc) is ApiConnectionError
    assert str(exc) == (
        "cannot resolve http://engine.invalid: check the host name in Configuration.host"
    )


def test_connect_timeout_is_a_timeout_error(sleeps: Any) -> None:  # noqa: F811
    with full_backlog() as host:
        config = Configuration(host=host, access_token="t", retries=policy(sleeps, 1))
        exc, elapsed = asyncio.run(attempt(config, _request_timeout=(0.3, 5)))
    assert isinstance(exc, ApiTimeoutError)
    assert str(exc).startswith(f"timed out connecting to {host}")
    assert isinstance(exc.__cause__, aiohttp.ConnectionTimeoutError)
    assert sleeps.delays == [backoff(0)]
    assert 0.55 <= elapsed < 2.0


def test_accepted_but_never_answered_times_out_per_attempt(fake_engine: FakeUsageEngine) -> None:
    fake_engine.inject(Fault.hang(), times=3)
    async_sleeps = AsyncSleeps()
    retries = RetryPolicy(sleep=async_sleeps, random=lambda: scenarios.JITTER_DRAW)
    config = fake_engine.configuration(retries=retries)
    exc, elapsed = asyncio.run(attempt(config, _request_timeout=(2, 0.3)))
    assert isinstance(exc, ApiTimeoutError)
    assert str(exc).startswith(f"timed out waiting for {fake_engine.host}")
    assert isinstance(exc.__cause__, aiohttp.SocketTimeoutError)
    assert fake_engine.attempts == 3
    assert async_sleeps.delays == [backoff(0), backoff(1)], "the async sleep was awaited"
    assert 0.85 <= elapsed < 2.5


def test_content_length_cut_short_is_a_connection_error(fake_engine: FakeUsageEngine) -> None:
    fake_engine.inject(Fault.truncate())
    exc, _ = asyncio.run(attempt(fake_engine.configuration(retries=0)))
    assert type(exc) is ApiConnectionError
    assert "not completed" in str(exc)
    assert isinstance(exc.__cause__, aiohttp.ClientPayloadError)
    assert fake_engine.attempts == 1


def test_a_body_that_is_not_its_content_encoding_is_a_response_validation_error(
    fake_engine: FakeUsageEngine,
) -> None:
    fake_engine.inject(Fault.body(b"this is not gzip at all", headers={"Content-Encoding": "gzip"}))

    async def scenario() -> None:
        async with aio.ApiClient(fake_engine.configuration(retries=2)) as client:
            api = aio.UsageApi(client)
            with pytest.raises(ResponseValidationError) as info:
                await api.get_token_usage_api_v2_usage_tokens_get(start_time=START, end_time=END)
            assert info.value.status == 200 and "cannot decode the body" in info.value.detail
            assert isinstance(info.value.__cause__, aiohttp.ClientPayloadError)
            assert fake_engine.attempts == 1, "a bad body is not retried"
            rows = await api.get_token_usage_api_v2_usage_tokens_get(start_time=START, end_time=END)
            assert_correct(fake_engine, rows)  # and the connection was not poisoned

    asyncio.run(scenario())
