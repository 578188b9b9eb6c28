"""Reports on both clients: a body cut off, reset or stalled is retried by each report's
fetcher; sync and async objects mixed up fail at once naming what to call; what a number
as the per-attempt timeout bounds in each client."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import pytest

from _generated import UsageApi, aio
from _generated.exceptions import ApiTimeoutError, ApiTypeError, ServiceException
from _generated.reports import (
    PartialReportError,
    UsageReport,
    fetch_usage,
    fetch_usage_async,
    resume_usage_async,
    stream_usage,
)
from _generated.retry import RetryPolicy
from _generated.testing import FakeUsageEngine, Fault

START, END = "2026-11-01", "2026-11-03"  # two day windows
NOW = datetime(2026, 12, 1, tzinfo=timezone.utc)


def no_wait(seconds: float) -> None:
    """A retry policy's sleep that returns at once (keeps the tests fast)."""


def fetch_sync(engine: FakeUsageEngine, **config: Any) -> UsageReport:
    with engine.api_client(**config) as client:
        return fetch_usage(client, START, END, interval="day", now=NOW)


def fetch_async(engine: FakeUsageEngine, **config: Any) -> UsageReport:
    async def run() -> UsageReport:
        async with aio.ApiClient(engine.configuration(**config)) as client:
            return await fetch_usage_async(client, START, END, interval="day", now=NOW)

    return asyncio.run(run())


CLIENTS: dict[str, Callable[..., UsageReport]] = {"sync": fetch_sync, "async": fetch_async}


@pytest.mark.parametrize("client", CLIENTS)
@pytest.mark.parametrize(
    ("fault", "timeout"),
    [
        (Fault.truncate(), (5, 5)),
        (Fault.reset(), (5, 5)),
        (Fault.slow_body(0.6), (5, 0.3)),  # the first piece of the body comes too late
    ],
    ids=["truncate", "reset", "slow_body"],
)
def test_a_report_retries_a_window_whose_body_fails_mid_way(
    fake_engine: FakeUsageEngine, client: str, fault: Fault, timeout: Any
) -> None:
    fetch = CLIENTS[client]
    expected = fetch(fake_engine).rows
    fake_engine.clear()
    fake_engine.inject(fault)
    started = time.monotonic()
    report = fetch(fake_engine, retries=RetryPolicy(sleep=no_wait), timeout=timeout)
    assert report.complete and report.rows == expected
    assert sorted(str(r.fault) for r in fake_engine.requests) == sorted(
        [fault.kind, "None", "None"]
    ), "the failed window was requested again, the other once"
    assert time.monotonic() - started < 3


@pytest.mark.filterwarnings("error::RuntimeWarning")  # no "coroutine was never awaited"
def test_the_sync_report_functions_refuse_async_objects_before_any_request(
    fake_engine: FakeUsageEngine,
) -> None:
    async def run() -> None:
        async with aio.ApiClient(fake_engine.configuration()) as client:
            for target in (client, aio.UsageApi(client)):
                with pytest.raises(ApiTypeError, match=r"client_or_api .*fetch_usage_async"):
                    fetch_usage(target, START, END)  # type: ignore[arg-type]
                with pytest.raises(ApiTypeError, match=r"client_or_api .*fetch_usage_async"):
                    stream_usage(target, START, END)  # type: ignore[arg-type]

    asyncio.run(run())
    assert fake_engine.attempts == 0


@pytest.mark.filterwarnings("error::RuntimeWarning")
def test_an_async_report_is_resumed_by_resume_usage_async_or_with_a_sync_client(
    fake_engine: FakeUsageEngine,
) -> None:
    fake_engine.inject(Fault.status(500))

    async def run() -> PartialReportError:
        async with aio.ApiClient(fake_engine.configuration(retries=0)) as client:
            with pytest.raises(PartialReportError) as caught:
                await fetch_usage_async(client, START, END, interval="day", now=NOW)
            return caught.value

    error = asyncio.run(run())
    assert isinstance(error.__cause__, ServiceException)
    assert str(error).endswith("await resume_usage_async(error) to fetch the rest")
    fake_engine.clear()
    for resume in (error.resume, error.partial.resume):
        with pytest.raises(ApiTypeError, match=r"resume_usage_async.*error\.resume\(sync_client\)"):
            resume()
    assert fake_engine.attempts == 0, "nothing was requested"
    with fake_engine.api_client() as sync_client:
        assert error.resume(sync_client).complete
    assert fake_engine.attempts == 1


@pytest.mark.filterwarnings("error::RuntimeWarning")
def test_a_sync_report_is_not_resumed_by_the_async_functions_without_an_async_client(
    fake_engine: FakeUsageEngine,
) -> None:
    fake_engine.inject(Fault.status(500))
    with fake_engine.api_client(retries=0) as sync_client:
        with pytest.raises(PartialReportError) as caught:
            fetch_usage(sync_client, START, END, interval="day", now=NOW)
        error = caught.value

    async def run() -> UsageReport:
        with pytest.raises(ApiTypeError, match=r"report_or_error .*error\.resume\(\)"):
            await resume_usage_async(error)
        async with aio.ApiClient(fake_engine.configuration()) as client:
            with pytest.raises(ApiTypeError, match=r"client_or_api .*resume_usage_async"):
                error.resume(client)
            assert fake_engine.attempts == 0, "nothing was requested"
            return await resume_usage_async(error, client)

    fake_engine.clear()
    assert asyncio.run(run()).complete
    assert fake_engine.attempts == 1


def test_a_number_as_timeout_bounds_each_wait_in_sync_and_the_whole_attempt_in_async(
    fake_engine: FakeUsageEngine,
) -> None:
    # A body in four pieces 0.3 s apart: 1.2 s in all, each wait well within 0.8 s.
    arguments = {"start_time": "2026-11-01T00:00:00Z", "end_time": "2026-11-02T00:00:00Z"}
    with fake_engine.api_client(retries=0) as client:
        api = UsageApi(client)
        size = len(api.get_token_usage_api_v2_usage_tokens_get_with_http_info(**arguments).raw_data)
        slow = Fault.slow_body(0.3, chunk_size=size // 4 + 1)
        fake_engine.inject(slow)
        started = time.monotonic()
        rows = api.get_token_usage_api_v2_usage_tokens_get(**arguments, _request_timeout=0.8)
        assert rows and time.monotonic() - started >= 1.1, "sync: urllib3's Timeout(total=0.8)"

    fake_engine.inject(slow)

    async def run() -> float:
        async with aio.ApiClient(fake_engine.configuration(retries=0)) as client:
            started = time.monotonic()
            with pytest.raises(ApiTimeoutError):
                await aio.UsageApi(client).get_token_usage_api_v2_usage_tokens_get(
                    **arguments, _request_timeout=0.8
                )
            return time.monotonic() - started

    elapsed = asyncio.run(run())
    assert 0.75 <= elapsed < 1.1, "async: aiohttp's ClientTimeout(total=0.8)"
