"""``fetch_usage_async``: the report scenarios of test/test_reports.py on the async client,
and what is its own (``workers`` as tasks, partial failures and ``resume_usage_async``, the
cache, cancellation).

The imported scenarios call ``fetch_usage`` with a sync client or API; an autouse fixture
replaces that name with a function that fetches the same report through
``fetch_usage_async`` on an async client of the same configuration.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
import test_reports as scenarios
from test_reports import (  # noqa: F401  (collected here, with the async client)
    test_a_usage_api_and_an_api_client_give_the_same_report,
    test_an_authentication_failure_stops_the_remaining_windows,
    test_bad_arguments_fail_before_any_request_naming_the_argument,
    test_concurrent_fetch_equals_sequential_fetch_in_window_order,
    test_progress_reports_each_window,
    test_report_totals_equal_the_servers_own_aggregation,
    test_repr_and_exports_never_hold_the_token,
    test_rows_carry_windows_groups_and_current_counts,
    test_too_many_windows_are_refused,
    test_when_no_window_is_fetched_the_error_is_raised_as_is,
)

from _generated import ApiClient, UsageApi, aio
from _generated.exceptions import ApiArgumentError, ApiTypeError, ServiceException
from _generated.reports import (
    PartialReportError,
    UsageCache,
    fetch_usage,
    fetch_usage_async,
    resume_usage_async,
)
from _generated.testing import FakeUsageEngine, Fault
from aio._aio_helpers import BlockingClient

NOW = datetime(2026, 12, 1, tzinfo=timezone.utc)


@pytest.fixture(autouse=True)
def with_the_async_client(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    clients: dict[int, BlockingClient] = {}

    def fetch_usage_on_aio(client_or_api: Any, *args: Any, **kwargs: Any) -> Any:
        sync_client = (
            client_or_api.api_client if isinstance(client_or_api, UsageApi) else client_or_api
        )
        assert isinstance(sync_client, ApiClient), "scenario passes a sync client or API"
        blocking = clients.get(id(sync_client))
        if blocking is None:
            blocking = clients[id(sync_client)] = BlockingClient(sync_client.configuration)
        target = (
            aio.UsageApi(blocking.client)
            if isinstance(client_or_api, UsageApi)
            else blocking.client
        )
        return blocking.loop.run_until_complete(fetch_usage_async(target, *args, **kwargs))

    monkeypatch.setattr(scenarios, "fetch_usage", fetch_usage_on_aio)
    yield
    for blocking in clients.values():
        blocking.close()


def report_of(engine: FakeUsageEngine, **kwargs: Any) -> Any:
    """``fetch_usage_async`` over November 1-21 by day, on a new async client."""

    async def run() -> Any:
        async with aio.ApiClient(engine.configuration(**kwargs.pop("config", {}))) as client:
            return await fetch_usage_async(
                client, "2026-11-01", "2026-11-21", ["task"], "day", now=NOW, **kwargs
            )

    return asyncio.run(run())


def test_the_async_report_equals_the_sync_one(fake_engine: FakeUsageEngine) -> None:
    with fake_engine.api_client() as client:
        sync = fetch_usage(client, "2026-11-01", "2026-11-21", ["task"], "day", now=NOW)
    fake_engine.clear()
    report = report_of(fake_engine, workers=8)
    assert report.rows == sync.rows
    assert report.totals() == sync.totals()
    assert report.to_csv() == sync.to_csv()
    assert fake_engine.attempts == 20


def test_workers_is_the_number_of_requests_in_flight(fake_engine: FakeUsageEngine) -> None:
    in_flight = 0
    peak = 0
    original = aio.UsageApi.get_token_usage_api_v2_usage_tokens_get

    class CountingApi(aio.UsageApi):
        async def get_token_usage_api_v2_usage_tokens_get(self, *args: Any, **kwargs: Any) -> Any:
            nonlocal in_flight, peak
            in_flight += 1
            peak = max(peak, in_flight)
            try:
                return await original(self, *args, **kwargs)
            finally:
                in_flight -= 1

    fake_engine.latency = 0.02

    async def run() -> Any:
        async with aio.ApiClient(fake_engine.configuration(connection_pool_maxsize=10)) as client:
            return await fetch_usage_async(
                CountingApi(client), "2026-11-01", "2026-11-11", interval="day", workers=3
            )

    report = asyncio.run(run())
    assert peak == 3
    assert len(report.windows) == 10 and report.complete


def test_a_partial_failure_resumes_with_only_the_missing_windows(
    fake_engine: FakeUsageEngine,
) -> None:
    full = report_of(fake_engine, workers=1)
    fake_engine.clear()
    fake_engine.inject(Fault.status(500), times=3)

    async def run() -> tuple[PartialReportError, Any]:
        async with aio.ApiClient(fake_engine.configuration(retries=0)) as client:
            with pytest.raises(PartialReportError) as caught:
                await fetch_usage_async(
                    client, "2026-11-01", "2026-11-21", ["task"], "day", workers=4, now=NOW
                )
            fake_engine.clear()
            return caught.value, await resume_usage_async(caught.value)

    error, resumed = asyncio.run(run())
    assert len(error.failed) == 3 and len(error.completed) == 17
    assert isinstance(error.__cause__, ServiceException)
    assert error.partial.rows == [
        r for r in full.rows if r.window_start not in {w.start for w in error.failed}
    ]
    assert resumed.complete and resumed.rows == full.rows
    assert fake_engine.attempts == 3, "only the failed windows were requested again"


def test_closed_windows_come_from_the_cache(fake_engine: FakeUsageEngine, tmp_path: Path) -> None:
    with UsageCache(tmp_path / "cache") as cache:
        first = report_of(fake_engine, cache=cache)
        assert fake_engine.attempts == 20
        again = report_of(fake_engine, cache=cache)
    assert fake_engine.attempts == 20, "nothing requested the second time"
    assert again.rows == first.rows
    assert len(again.cached) == 20


def test_bad_arguments_and_a_sync_client_fail_before_any_request(
    fake_engine: FakeUsageEngine,
) -> None:
    with pytest.raises(ApiArgumentError, match="workers"):
        report_of(fake_engine, workers=0)
    with fake_engine.api_client() as client, pytest.raises(ApiTypeError, match="fetch_usage"):
        asyncio.run(fetch_usage_async(client, "2026-11-01", "2026-11-02"))  # type: ignore[arg-type]
    assert fake_engine.attempts == 0


def test_cancelling_the_report_cancels_its_requests(fake_engine: FakeUsageEngine) -> None:
    fake_engine.inject(Fault.hang(), times=4)

    async def run() -> None:
        async with aio.ApiClient(fake_engine.configuration(retries=0)) as client:
            task = asyncio.create_task(
                fetch_usage_async(client, "2026-11-01", "2026-11-21", ["task"], "day", workers=4)
            )
            for _ in range(500):
                if fake_engine.attempts == 4:
                    break
                await asyncio.sleep(0.01)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task

    asyncio.run(run())
    assert fake_engine.attempts == 4, "no window was requested after the cancellation"
