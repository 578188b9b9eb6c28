"""The async client's own behaviour: the optional extra, lifecycle, cancellation, concurrency
and token hygiene, end to end against ``FakeUsageEngine`` on 127.0.0.1."""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
import textwrap
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from _generated import aio
from _generated.exceptions import (
    ApiConnectionError,
    ApiTimeoutError,
    ApiValueError,
    ServiceException,
    UnauthorizedException,
)
from _generated.retry import RetryPolicy
from _generated.testing import FakeUsageEngine, Fault

START = datetime(2026, 11, 2, tzinfo=timezone.utc)
END = datetime(2026, 11, 4, tzinfo=timezone.utc)
ROOT = Path(__file__).resolve().parents[2]


async def until(predicate: Any, seconds: float = 5.0) -> None:
    """Poll ``predicate`` on the loop until true; fail after ``seconds``."""
    for _ in range(int(seconds / 0.01)):
        if predicate():
            return
        await asyncio.sleep(0.01)
    pytest.fail("condition not reached in time")


def fetch(api: aio.UsageApi, **kwargs: Any) -> Any:
    return api.get_token_usage_api_v2_usage_tokens_get(start_time=START, end_time=END, **kwargs)


# -- the optional extra ---------------------------------------------------------------------------

_WITHOUT_AIOHTTP = """
import sys

class Blocker:
    def find_spec(self, name, path=None, target=None):
        if name == "aiohttp" or name.startswith("aiohttp."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, Blocker())

import _generated
from _generated import ApiClient, Configuration, UsageApi
from _generated.testing import FakeUsageEngine

from _generated.reports import fetch_usage, fetch_usage_async

with FakeUsageEngine() as engine, engine.api_client() as client:
    UsageApi(client).get_token_usage_api_v2_usage_tokens_get(
        start_time="2026-11-02T00:00:00Z", end_time="2026-11-03T00:00:00Z"
    )
    fetch_usage(client, "2026-11-01", "2026-11-03", interval="day")
print("sync ok")
try:
    import _generated.aio
except ImportError as exc:
    print("ImportError:", exc)
import asyncio
try:
    asyncio.run(fetch_usage_async(object(), "2026-11-01", "2026-11-03"))
except ImportError as exc:
    print("ImportError:", exc)
"""


def test_without_aiohttp_the_sync_client_works_and_aio_names_the_extra() -> None:
    result = subprocess.run(
        [sys.executable, "-c", _WITHOUT_AIOHTTP],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        check=False,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "sync ok"
    assert (
        lines[1:]
        == [
            "ImportError: _generated.aio needs aiohttp, which the async extra installs: "
            "pip install 'genai-engine-usage-client[async]'"
        ]
        * 2
    )


def test_importing_the_package_and_the_sync_client_does_not_import_aiohttp() -> None:
    code = textwrap.dedent(
        """
        import sys
        import _generated
        from _generated import ApiClient, UsageApi, Configuration
        ApiClient(Configuration())
        print("aiohttp" in sys.modules)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        check=True,
    )
    assert result.stdout.strip() == "False"


def test_aio_shares_the_sync_packages_objects() -> None:
    import _generated
    from _generated import exceptions

    for name in ("Configuration", "ApiResponse", "TokenUsageResponse", "RetryPolicy"):
        assert getattr(aio, name) is getattr(_generated, name)
    from _generated.aio import exceptions as aio_exceptions

    assert aio_exceptions.UnauthorizedException is exceptions.UnauthorizedException
    assert aio.ApiClient is not _generated.ApiClient
    assert sorted(aio.__all__) == sorted(_generated.__all__)


# -- lifecycle ------------------------------------------------------------------------------------


def test_leaving_async_with_closes_the_session_and_later_calls_fail_clearly(
    fake_engine: FakeUsageEngine,
) -> None:
    async def scenario() -> None:
        async with aio.ApiClient(fake_engine.configuration()) as client:
            assert await fetch(aio.UsageApi(client))
            session = client.rest_client.pool_manager
            assert session is not None and not session.closed
        assert session.closed
        with pytest.raises(ApiValueError, match="this ApiClient is closed"):
            await fetch(aio.UsageApi(client))
        await client.close()  # closing twice is harmless

    asyncio.run(scenario())
    assert fake_engine.attempts == 1


def test_a_client_used_from_a_second_event_loop_fails_clearly_before_sending(
    fake_engine: FakeUsageEngine,
) -> None:
    client = aio.ApiClient(fake_engine.configuration())
    first = asyncio.new_event_loop()
    try:
        assert first.run_until_complete(fetch(aio.UsageApi(client)))
        sent = fake_engine.attempts
        with pytest.raises(ApiValueError, match="another event loop") as raised:
            asyncio.run(fetch(aio.UsageApi(client)))
        assert "one ApiClient per event loop" in str(raised.value)
        assert fake_engine.attempts == sent
    finally:
        first.run_until_complete(client.close())
        first.close()


def test_the_default_client_closed_at_the_end_of_a_loop_is_made_anew_for_the_next(
    fake_engine: FakeUsageEngine,
) -> None:
    async def job() -> int:
        try:
            return len(await fetch(aio.UsageApi()))
        finally:
            await aio.ApiClient.get_default().close()

    aio.Configuration.set_default(fake_engine.configuration())
    try:
        first, second = asyncio.run(job()), asyncio.run(job())
        assert first == second > 0 and fake_engine.attempts == 2
        mine = aio.ApiClient(fake_engine.configuration())
        aio.ApiClient.set_default(mine)
        asyncio.run(mine.close())
        assert aio.ApiClient.get_default() is mine, "a default set by hand is never replaced"
    finally:
        aio.ApiClient.set_default(None)
        aio.Configuration.set_default(None)


def test_a_client_made_outside_a_loop_opens_its_session_in_the_loop(
    fake_engine: FakeUsageEngine,
) -> None:
    client = aio.ApiClient(fake_engine.configuration())
    assert client.rest_client.pool_manager is None

    async def scenario() -> None:
        async with client:
            assert await fetch(aio.UsageApi(client))

    asyncio.run(scenario())


def test_patched_hooks_see_every_call(
    fake_engine: FakeUsageEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[str] = []
    call_api = aio.ApiClient.call_api
    deserialize = aio.ApiClient.response_deserialize

    async def spy_call_api(self: aio.ApiClient, *args: Any, **kwargs: Any) -> Any:
        seen.append("call_api")
        return await call_api(self, *args, **kwargs)

    def spy_deserialize(self: aio.ApiClient, *args: Any, **kwargs: Any) -> Any:
        seen.append("response_deserialize")
        return deserialize(self, *args, **kwargs)

    monkeypatch.setattr(aio.ApiClient, "call_api", spy_call_api)
    monkeypatch.setattr(aio.ApiClient, "response_deserialize", spy_deserialize)

    async def scenario() -> None:
        async with aio.ApiClient(fake_engine.configuration()) as client:
            api = aio.UsageApi(client)
            await fetch(api)
            await api.get_token_usage_api_v2_usage_tokens_get_with_http_info(
                start_time=START, end_time=END
            )
            raw = await api.get_token_usage_api_v2_usage_tokens_get_without_preload_content(
                start_time=START, end_time=END
            )
            raw.release()

    asyncio.run(scenario())
    assert seen == ["call_api", "response_deserialize"] * 2 + ["call_api"]


def test_a_patched_rest_client_class_is_what_new_clients_build(
    fake_engine: FakeUsageEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from _generated.aio import rest

    client_class = aio.ApiClient  # imported before the patch, as in a user's test module
    urls: list[str] = []

    class Recording(rest.RESTClientObject):
        async def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
            urls.append(url)
            return await super().request(method, url, *args, **kwargs)

    monkeypatch.setattr(rest, "RESTClientObject", Recording)

    async def scenario() -> None:
        async with client_class(fake_engine.configuration()) as client:
            assert type(client.rest_client) is Recording
            assert await fetch(aio.UsageApi(client))

    asyncio.run(scenario())
    assert len(urls) == 1 and urls[0].startswith(fake_engine.host + "/api/v2/usage/tokens?")


# -- cancellation ---------------------------------------------------------------------------------


def _ports(engine: FakeUsageEngine) -> list[int]:
    return [request.client[1] for request in engine.requests]


@pytest.mark.parametrize(
    "fault", [Fault.hang(), Fault.slow_body(0.2, chunk_size=4)], ids=["awaiting-answer", "mid-body"]
)
def test_cancelling_mid_request_leaves_no_half_read_connection(
    fake_engine: FakeUsageEngine, fault: Fault
) -> None:
    fake_engine.inject(fault)

    async def scenario() -> None:
        config = fake_engine.configuration(connection_pool_maxsize=1, retries=0)
        async with aio.ApiClient(config) as client:
            api = aio.UsageApi(client)
            task = asyncio.create_task(fetch(api))
            await until(lambda: fake_engine.attempts == 1)
            await asyncio.sleep(0.3)  # into the hang, or a few chunks into the body
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            # A pool of one: a connection left checked out or half-read would block or
            # corrupt this call.
            rows = await asyncio.wait_for(fetch(api), 5)
            assert [row.to_dict() for row in rows] == fake_engine.expected(START, END)

    asyncio.run(scenario())
    first, second = _ports(fake_engine)
    assert first != second, "the cancelled connection was closed, not pooled"


def test_cancelling_during_the_retry_wait_stops_the_call(fake_engine: FakeUsageEngine) -> None:
    fake_engine.inject(Fault.status(503, headers={"Retry-After": "30"}), times=3)

    async def scenario() -> float:
        loop = asyncio.get_running_loop()
        async with aio.ApiClient(fake_engine.configuration(retries=2)) as client:
            task = asyncio.create_task(fetch(aio.UsageApi(client)))
            await until(lambda: fake_engine.attempts == 1)
            await asyncio.sleep(0.1)  # now in the 30 s asyncio.sleep of the default policy
            started = loop.time()
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            cancelled_in = loop.time() - started
            await asyncio.sleep(0.2)
        return cancelled_in

    assert asyncio.run(scenario()) < 1.0
    assert fake_engine.attempts == 1, "no retry after the cancellation"


def test_an_async_sleep_is_awaited_between_attempts(fake_engine: FakeUsageEngine) -> None:
    fake_engine.inject(Fault.status(503), times=2)
    waited: list[float] = []

    async def sleep(seconds: float) -> None:
        waited.append(seconds)
        await asyncio.sleep(0)

    policy = RetryPolicy(max_retries=2, sleep=sleep, random=lambda: 0.0)

    async def scenario() -> None:
        async with aio.ApiClient(fake_engine.configuration(retries=policy)) as client:
            assert await fetch(aio.UsageApi(client))

    asyncio.run(scenario())
    assert waited == [0.5, 1.0]
    assert fake_engine.attempts == 3


# -- concurrency ----------------------------------------------------------------------------------


def test_a_thousand_concurrent_calls_share_a_bounded_pool(sample_data: Any) -> None:
    maxsize = 8
    with FakeUsageEngine(sample_data, latency=0.005) as engine:
        end = datetime(2026, 11, 25, tzinfo=timezone.utc)
        windows = [(datetime(2026, 11, 1 + i % 20, tzinfo=timezone.utc), end) for i in range(1000)]

        async def scenario() -> list[Any]:
            config = engine.configuration(connection_pool_maxsize=maxsize)
            async with aio.ApiClient(config) as client:
                api = aio.UsageApi(client)
                return await asyncio.gather(
                    *(
                        api.get_token_usage_api_v2_usage_tokens_get(
                            start_time=start, end_time=end, group_by=["task"]
                        )
                        for start, end in windows
                    )
                )

        results = asyncio.run(scenario())
        assert len(results) == 1000
        for (start, end), rows in zip(windows, results, strict=True):
            expected = engine.expected(start, end, group_by=["task"])
            assert [row.to_dict() for row in rows] == expected
        connections = {request.client for request in engine.requests}
        assert engine.attempts == 1000
        assert 1 < len(connections) <= maxsize


@pytest.mark.parametrize("maxsize", [0, -1])
def test_a_pool_size_below_one_means_no_bound_not_a_hang(
    fake_engine: FakeUsageEngine, maxsize: int
) -> None:
    async def scenario() -> list[Any]:
        async with aio.ApiClient(fake_engine.configuration(connection_pool_maxsize=maxsize)) as c:
            calls = (fetch(aio.UsageApi(c)) for _ in range(3))
            return await asyncio.wait_for(asyncio.gather(*calls), 10)

    assert all(asyncio.run(scenario()))


@pytest.mark.parametrize("timeout", [-1, (-1, 5), (5, 0), ("5", 5)])
def test_an_unusable_timeout_is_refused_before_any_request(
    fake_engine: FakeUsageEngine, timeout: Any
) -> None:
    with pytest.raises(ApiValueError, match=r"Configuration\.timeout"):
        aio.ApiClient(fake_engine.configuration(timeout=timeout))

    async def scenario() -> None:
        async with aio.ApiClient(fake_engine.configuration()) as client:
            client.configuration.timeout = timeout
            with pytest.raises(ApiValueError, match=r"Configuration\.timeout"):
                await fetch(aio.UsageApi(client))

    asyncio.run(scenario())
    assert fake_engine.attempts == 0


@pytest.mark.parametrize("fault", [Fault.status(401), Fault.drop()], ids=["401", "connection"])
def test_errors_survive_pickling_with_aiohttps_headers(
    fake_engine: FakeUsageEngine, fault: Fault
) -> None:
    import pickle

    fake_engine.inject(fault)

    async def scenario() -> BaseException:
        async with aio.ApiClient(fake_engine.configuration(retries=0)) as client:
            with pytest.raises(aio.ApiException) as caught:
                await fetch(aio.UsageApi(client))
            return caught.value

    error = asyncio.run(scenario())
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is type(error) and repr(again) == repr(error)
    assert (again.status, again.reason, again.body) == (error.status, error.reason, error.body)
    if error.headers is not None:  # aiohttp's read-only proxy, kept as its copy
        assert again.headers["content-type"] == error.headers["Content-Type"]


def test_the_generators_asyncio_session_settings_are_applied(
    fake_engine: FakeUsageEngine,
) -> None:
    # Configuration(trace_configs=, tcp_connector_limit_per_host=, client_session_kwargs=)
    # of the generator's asyncio client: code passing them runs unchanged.
    import aiohttp

    started: list[str] = []

    async def on_request_start(session: Any, context: Any, params: Any) -> None:
        started.append(params.method)

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(on_request_start)
    configuration = fake_engine.configuration(
        trace_configs=[trace],
        tcp_connector_limit_per_host=1,
        client_session_kwargs={"headers": {"X-Session": "dashboard"}},
    )

    async def scenario() -> None:
        async with aio.ApiClient(configuration) as client:
            await asyncio.gather(*(fetch(aio.UsageApi(client)) for _ in range(4)))

    asyncio.run(scenario())
    assert started == ["GET"] * 4
    assert len(_ports(fake_engine)) == 4 and len(set(_ports(fake_engine))) == 1
    assert all(request.header("X-Session") == "dashboard" for request in fake_engine.requests)


def test_failures_under_concurrency_poison_nothing(fake_engine: FakeUsageEngine) -> None:
    fake_engine.inject(Fault.reset(), times=5)
    fake_engine.inject(Fault.status(401), times=5)

    async def scenario() -> list[Any]:
        config = fake_engine.configuration(retries=0, connection_pool_maxsize=4)
        async with aio.ApiClient(config) as client:
            api = aio.UsageApi(client)
            return await asyncio.gather(*(fetch(api) for _ in range(60)), return_exceptions=True)

    results = asyncio.run(scenario())
    errors = [r for r in results if isinstance(r, BaseException)]
    assert sorted(type(e).__name__ for e in errors) == sorted(
        ["ApiConnectionError"] * 5 + ["UnauthorizedException"] * 5
    )
    assert all(isinstance(e, (ApiConnectionError, UnauthorizedException)) for e in errors)
    expected = fake_engine.expected(START, END)
    assert all([row.to_dict() for row in r] == expected for r in results if isinstance(r, list))


# -- token hygiene --------------------------------------------------------------------------------


def test_the_token_appears_in_no_log_repr_or_error(
    fake_engine: FakeUsageEngine,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    from _generated.exceptions import (
        ApiTimeoutError,
        OpenApiException,
        ResponseValidationError,
        TooManyRequestsException,
        UnprocessableEntityException,
    )

    caplog.set_level(logging.DEBUG)  # the root logger: aiohttp's and asyncio's records too
    token = fake_engine.token
    log_file = tmp_path / "sdk.log"
    config = fake_engine.configuration(
        retries=RetryPolicy(max_retries=2, sleep=lambda seconds: None), debug=True
    )
    config.logger_file = str(log_file)
    texts: list[str] = []
    failures: list[str] = []

    async def scenario() -> None:
        async with aio.ApiClient(config) as client:
            api = aio.UsageApi(client)
            texts.extend([repr(client), repr(api), repr(client.rest_client), repr(config)])

            async def expect(error: type[OpenApiException], **kwargs: Any) -> None:
                with pytest.raises(error) as info:
                    await fetch(api, **kwargs)
                failures.append(type(info.value).__name__)
                texts.extend([str(info.value), repr(info.value), str(info.value.__cause__)])

            rows = await fetch(api)
            info = await api.get_token_usage_api_v2_usage_tokens_get_with_http_info(
                start_time=START, end_time=END
            )
            texts.extend([repr(rows), repr(info), repr(dict(info.headers or {}))])
            fake_engine.inject(Fault.status(503))
            fake_engine.inject(Fault.reset())
            await fetch(api)
            fake_engine.inject(Fault.status(401))
            await expect(UnauthorizedException)
            fake_engine.inject(Fault.status(500), times=3)
            await expect(ServiceException)
            fake_engine.inject(Fault.status(429, headers={"Retry-After": "600"}))
            await expect(TooManyRequestsException)
            body = '{"detail": [{"loc": [], "msg": "m", "type": "t"}]}'
            fake_engine.inject(Fault.status(422, body=body))
            await expect(UnprocessableEntityException)
            fake_engine.inject(Fault.body('[{"count": '))
            await expect(ResponseValidationError)
            fake_engine.inject(Fault.reset(), times=3)
            await expect(ApiConnectionError)
            fake_engine.inject(Fault.hang())
            await expect(ApiTimeoutError, _deadline=0.3, _request_timeout=5)
            await expect(ApiValueError, _headers={"X-Bad": f"{token}\r\nX-Injected: 1"})
            wrong = {"in": "header", "key": "Authorization", "value": "Bearer " + token[::-1]}
            fake_engine.inject(Fault.status(401))
            await expect(UnauthorizedException, _request_auth=wrong)

    try:
        asyncio.run(scenario())
    finally:
        config.logger_file = None
        config.debug = False
    out, err = capfd.readouterr()
    logged = [record.getMessage() for record in caplog.records]
    assert len(failures) == 9
    assert any("attempt 1/3 -> HTTP 503" in message for message in logged), "debug was on"
    assert "attempt 1/3" in err and "attempt 1/3" in log_file.read_text()
    assert any("'Authorization': '***'" in message for message in logged)
    for text in [*texts, *logged, out, err, log_file.read_text()]:
        assert token not in text
        assert token[::-1] not in text


def test_socket_options_are_applied_to_each_connection(
    fake_engine: FakeUsageEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket

    applied: list[Any] = []
    from _generated.aio import rest

    original = rest._socket_factory

    def recording(options: list[Any]) -> Any:
        factory = original(options)

        def make(addr_info: Any) -> socket.socket:
            sock = factory(addr_info)
            applied.append(sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE))
            return sock

        return make

    async def scenario() -> None:
        options = [(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)]
        async with aio.ApiClient(fake_engine.configuration(socket_options=options)) as client:
            assert await fetch(aio.UsageApi(client))

    monkeypatch.setattr(rest, "_socket_factory", recording)
    asyncio.run(scenario())
    assert applied == [1]


# -- waiting for a pooled connection, closing, timeouts ----------------------------------------


def test_a_number_as_the_timeout_does_not_count_the_wait_for_a_free_connection(
    sample_data: Any,
) -> None:
    # 12 calls through 2 connections, 0.2 s each: the last waits 1 s, more than timeout=0.5.
    with FakeUsageEngine(sample_data, latency=0.2) as engine:

        async def scenario() -> list[Any]:
            config = engine.configuration(connection_pool_maxsize=2, timeout=0.5, retries=0)
            async with aio.ApiClient(config) as client:
                api = aio.UsageApi(client)
                return await asyncio.gather(*(fetch(api) for _ in range(12)))

        assert len(asyncio.run(scenario())) == 12
        assert engine.attempts == 12
        assert len({request.client for request in engine.requests}) == 2


def test_the_deadline_bounds_the_wait_for_a_free_connection(sample_data: Any) -> None:
    with FakeUsageEngine(sample_data, latency=0.5) as engine:

        async def scenario() -> list[Any]:
            config = engine.configuration(connection_pool_maxsize=1, retries=0)
            async with aio.ApiClient(config) as client:
                api = aio.UsageApi(client)
                calls = (
                    api.get_token_usage_api_v2_usage_tokens_get(
                        start_time=START, end_time=END, _deadline=0.3 if i else 5
                    )
                    for i in range(3)
                )
                return await asyncio.gather(*calls, return_exceptions=True)

        first, *waiting = asyncio.run(scenario())
        assert isinstance(first, list)
        for error in waiting:
            assert isinstance(error, ApiTimeoutError), error
            assert "waiting for a free connection" in str(error)
        assert engine.attempts == 1


def test_closing_the_client_fails_the_calls_still_running_with_an_sdk_error(
    sample_data: Any,
) -> None:
    with FakeUsageEngine(sample_data, latency=0.5) as engine:

        async def scenario() -> list[Any]:
            client = aio.ApiClient(engine.configuration(connection_pool_maxsize=1, retries=0))
            api = aio.UsageApi(client)
            calls = [asyncio.ensure_future(fetch(api)) for _ in range(3)]
            while engine.attempts == 0:
                await asyncio.sleep(0.01)
            await client.close()
            return await asyncio.wait_for(asyncio.gather(*calls, return_exceptions=True), 10)

        results = asyncio.run(scenario())
    # Never a CancelledError nobody asked for, nor a server blamed for it.
    assert all(isinstance(result, ApiValueError) for result in results), results
    assert all("closed while the call" in str(result) for result in results)


def test_a_read_timeout_with_a_deadline_is_said_as_a_read_timeout(
    fake_engine: FakeUsageEngine,
) -> None:
    fake_engine.inject(Fault.slow_body(1.0, chunk_size=8))

    async def scenario() -> None:
        async with aio.ApiClient(fake_engine.configuration(retries=0)) as client:
            await aio.UsageApi(client).get_token_usage_api_v2_usage_tokens_get(
                start_time=START, end_time=END, _request_timeout=(5, 0.2), _deadline=60
            )

    with pytest.raises(ApiTimeoutError) as raised:
        asyncio.run(scenario())
    assert "raise _request_timeout" in str(raised.value) and "deadline" not in str(raised.value)
    assert raised.value.__cause__ is not None


def test_closing_from_another_event_loop_says_so(fake_engine: FakeUsageEngine) -> None:
    client = aio.ApiClient(fake_engine.configuration())
    first = asyncio.new_event_loop()
    try:
        assert first.run_until_complete(fetch(aio.UsageApi(client)))
        with pytest.raises(ApiValueError, match="opened in another event loop: close it"):
            asyncio.run(client.close())
    finally:
        first.run_until_complete(client.close())
        first.close()


@pytest.mark.parametrize("bound", [{"_deadline": 1.0}, {"_request_timeout": 1.0}])
def test_a_chain_of_slow_redirects_shares_one_bound(
    sample_data: Any, bound: dict[str, float]
) -> None:
    # Four answers of 0.4 s each (three redirects, then the rows): 1.6 s against 1 s.
    import time

    with FakeUsageEngine(sample_data, latency=0.4) as engine:
        engine.inject(Fault.status(307, headers={"Location": engine.url()}), times=3)

        async def scenario() -> None:
            async with aio.ApiClient(engine.configuration(retries=0)) as client:
                await fetch(aio.UsageApi(client), **bound)

        started = time.monotonic()
        with pytest.raises(ApiTimeoutError):
            asyncio.run(scenario())
        assert time.monotonic() - started < 1.4
