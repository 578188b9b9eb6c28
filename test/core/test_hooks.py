"""Every ``UsageApi`` call passes through the generated client's extension points, and a
call has no process-wide side effects. Against ``FakeUsageEngine`` on 127.0.0.1."""

from __future__ import annotations

import gc
import json
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from typing import Any
from unittest import mock

import pytest

from _generated import ApiClient, Configuration, UsageApi
from _generated.exceptions import BadRequestException, UnprocessableEntityException
from _generated.reports import fetch_usage
from _generated.rest import RESTClientObject
from _generated.testing import FakeUsageEngine, Fault, sample_records

START = datetime(2026, 11, 1, tzinfo=timezone.utc)
END = datetime(2026, 11, 3, tzinfo=timezone.utc)
METHODS = (
    "get_token_usage_api_v2_usage_tokens_get",
    "get_token_usage_api_v2_usage_tokens_get_with_http_info",
    "get_token_usage_api_v2_usage_tokens_get_without_preload_content",
)
HOOKS = ("param_serialize", "call_api", "response_deserialize", "deserialize")


@pytest.fixture
def engine() -> Iterator[FakeUsageEngine]:
    with FakeUsageEngine(records=sample_records(seed=0)) as fake:
        yield fake


def _api(engine: FakeUsageEngine) -> UsageApi:
    return UsageApi(ApiClient(Configuration(host=engine.host, access_token=engine.token)))


def _spy(cls: type, name: str, seen: list[str]) -> Any:
    original = getattr(cls, name)

    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(name)
        return original(self, *args, **kwargs)

    return mock.patch.object(cls, name, wrapper)


@pytest.mark.parametrize("method", METHODS)
def test_patched_hooks_see_every_call(engine: FakeUsageEngine, method: str) -> None:
    seen: list[str] = []
    api = _api(engine)
    patches = [_spy(ApiClient, name, seen) for name in HOOKS]
    patches.append(_spy(RESTClientObject, "request", seen))
    patches.append(_spy(UsageApi, "_get_token_usage_api_v2_usage_tokens_get_serialize", seen))
    for patch in patches:
        patch.start()
    try:
        getattr(api, method)(start_time=START, end_time=END, group_by=["task"])
    finally:
        for patch in patches:
            patch.stop()
    expected = [
        "_get_token_usage_api_v2_usage_tokens_get_serialize",
        "param_serialize",
        "call_api",
        "request",
    ]
    if not method.endswith("_without_preload_content"):
        expected += ["response_deserialize", "deserialize"]
    assert seen == expected


def test_a_swapped_pool_manager_sees_the_request(engine: FakeUsageEngine) -> None:
    api = _api(engine)
    real = api.api_client.rest_client.pool_manager
    calls: list[tuple[Any, ...]] = []

    class Recording:
        def request(self, *args: Any, **kwargs: Any) -> Any:
            calls.append((args, kwargs))
            return real.request(*args, **kwargs)

    api.api_client.rest_client.pool_manager = Recording()  # type: ignore[assignment]
    rows = api.get_token_usage_api_v2_usage_tokens_get(
        start_time=START, end_time=END, _request_timeout=7
    )
    assert rows
    [(args, kwargs)] = calls
    assert args[0] == "GET" and args[1].startswith(engine.host + "/api/v2/usage/tokens?")
    assert kwargs["fields"] == {} and kwargs["preload_content"] is False
    assert kwargs["timeout"].total == 7  # a number is the whole attempt, as urllib3 takes it


def test_leaving_with_after_swapping_in_a_minimal_pool_manager_is_quiet(
    engine: FakeUsageEngine,
) -> None:
    # A fake with only request(), as tests of the generated client write it: closing the
    # client on exit must not fail on it (the generated client's __exit__ does nothing).
    calls: list[str] = []
    with ApiClient(Configuration(host=engine.host, access_token=engine.token)) as client:
        real = client.rest_client.pool_manager

        class OnlyRequest:
            def request(self, *args: Any, **kwargs: Any) -> Any:
                calls.append(args[0])
                return real.request(*args, **kwargs)

        client.rest_client.pool_manager = OnlyRequest()  # type: ignore[assignment]
        assert UsageApi(client).get_token_usage_api_v2_usage_tokens_get(
            start_time=START, end_time=END
        )
    assert calls == ["GET"]


def test_a_request_timeout_list_is_a_connect_read_pair(engine: FakeUsageEngine) -> None:
    # pydantic's lax tuple takes a list in the generated client (a timeout read from JSON).
    api = _api(engine)
    real = api.api_client.rest_client.pool_manager
    timeouts: list[Any] = []

    class Recording:
        def request(self, *args: Any, **kwargs: Any) -> Any:
            timeouts.append(kwargs["timeout"])
            return real.request(*args, **kwargs)

    api.api_client.rest_client.pool_manager = Recording()  # type: ignore[assignment]
    assert api.get_token_usage_api_v2_usage_tokens_get(
        start_time=START, end_time=END, _request_timeout=[3, 4]
    )
    [timeout] = timeouts
    assert (timeout.connect_timeout, timeout.read_timeout) == (3.0, 4.0)


def test_a_patched_rest_client_class_is_what_new_clients_build(engine: FakeUsageEngine) -> None:
    # Tests written for the generated client patch the class in its module; new ApiClients
    # must build the patched class, or the patch is silently bypassed.
    urls: list[str] = []

    class Recording(RESTClientObject):
        def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
            urls.append(url)
            return super().request(method, url, *args, **kwargs)

    with mock.patch("_generated.rest.RESTClientObject", Recording):
        api = _api(engine)
    assert type(api.api_client.rest_client) is Recording
    assert api.get_token_usage_api_v2_usage_tokens_get(start_time=START, end_time=END)
    assert len(urls) == 1 and urls[0].startswith(engine.host + "/api/v2/usage/tokens?")
    assert type(_api(engine).api_client.rest_client) is RESTClientObject  # patch undone


def test_a_subclass_overriding_call_api_with_the_generated_signature_works(
    engine: FakeUsageEngine,
) -> None:
    class Logging(ApiClient):
        urls: list[str] = []

        def call_api(  # type: ignore[override]
            self,
            method: str,
            url: str,
            header_params: Any = None,
            body: Any = None,
            post_params: Any = None,
            _request_timeout: Any = None,
        ) -> Any:
            self.urls.append(url)
            return super().call_api(method, url, header_params, body, post_params, _request_timeout)

    client = Logging(Configuration(host=engine.host, access_token=engine.token))
    api = UsageApi(client)
    assert api.get_token_usage_api_v2_usage_tokens_get(start_time=START, end_time=END)
    raw = api.get_token_usage_api_v2_usage_tokens_get_without_preload_content(
        start_time=START, end_time=END
    )
    assert raw.status == 200 and json.loads(raw.read())
    assert len(Logging.urls) == 2
    # Reports go through the same hook, passing it only the generated client's arguments.
    report = fetch_usage(client, START, END, interval="day", workers=1)
    assert len(report.fetched_windows) >= 2
    assert len(Logging.urls) == 2 + len(report.fetched_windows)


def test_parsing_a_large_body_leaves_the_garbage_collector_alone(
    engine: FakeUsageEngine,
) -> None:
    # A library call must not change interpreter-wide state (an earlier version paused the
    # collector for every thread while it parsed bodies over 64 KiB).
    count = {"inference": 1, "eval_prompt": 2, "eval_completion": 3}
    rows = [{"rule_type": None, "task_id": f"task-{n}", "count": count} for n in range(5000)]
    engine.inject(Fault.body(json.dumps(rows)))
    with mock.patch("gc.disable", side_effect=AssertionError("gc.disable called")) as disable:
        parsed = _api(engine).get_token_usage_api_v2_usage_tokens_get(
            start_time=START, end_time=END
        )
    assert len(parsed) == 5000 and parsed[-1].task_id == "task-4999"
    assert disable.call_count == 0 and gc.isenabled()


def test_a_400_carries_the_servers_detail(engine: FakeUsageEngine) -> None:
    reason = "start_time must be before end_time " + "x" * 600
    engine.inject(Fault.status(400, body=json.dumps({"detail": reason})))
    with pytest.raises(BadRequestException) as caught:
        _api(engine).get_token_usage_api_v2_usage_tokens_get(start_time=START, end_time=END)
    error = caught.value
    assert error.status == 400 and error.detail == reason
    [line] = [line for line in str(error).splitlines() if line.startswith("Detail: ")]
    assert line.startswith("Detail: start_time must be before end_time xxx")
    assert len(line) <= len("Detail: ") + 300


@pytest.mark.parametrize(
    ("body", "has_data"),
    [
        ({"detail": "group_by: unknown scope"}, False),  # the engine's body
        ({"detail": [{"loc": ["query", "group_by", 0], "msg": "bad", "type": "enum"}]}, True),
    ],
)
def test_422_bodies_of_either_shape_raise_the_status_error(
    engine: FakeUsageEngine, body: Any, has_data: bool
) -> None:
    engine.inject(Fault.status(422, body=json.dumps(body)))
    with pytest.raises(UnprocessableEntityException) as caught:
        _api(engine).get_token_usage_api_v2_usage_tokens_get(start_time=START, end_time=END)
    assert json.loads(caught.value.body) == body
    assert (caught.value.data is not None) is has_data
    if has_data:
        assert caught.value.data.to_dict()["detail"][0]["loc"] == ["query", "group_by", 0]


@pytest.mark.parametrize("method", METHODS)
def test_an_unknown_keyword_names_the_public_method(engine: FakeUsageEngine, method: str) -> None:
    call: Callable[..., Any] = getattr(_api(engine), method)
    with pytest.raises(ValueError) as caught:
        call(start_time=START, end_time=END, group_bye=["task"])
    assert f"UsageApi.{method}\n" in str(caught.value)
    assert "group_bye" in str(caught.value) and "_prepare" not in str(caught.value)
    assert engine.requests == []


def test_an_invalid_request_auth_is_not_echoed_even_with_other_errors(
    engine: FakeUsageEngine,
) -> None:
    secret = "Bearer do-not-print-me-5151"
    with pytest.raises(ValueError) as caught:
        _api(engine).get_token_usage_api_v2_usage_tokens_get(
            _request_auth=secret,  # type: ignore[arg-type]
            group_by=["user"],
            bogus=1,  # type: ignore[call-arg]
        )
    assert "do-not-print-me-5151" not in str(caught.value)
    assert "do-not-print-me-5151" not in repr(caught.value)
    assert engine.requests == []
