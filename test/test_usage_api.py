"""``UsageApi`` end to end against the FastAPI reference server (``engine_server``).

Each test asserts both sides: what the server received (query string, the instants FastAPI
parsed, the scopes, the headers) and what the caller got back.
"""

from __future__ import annotations

import io
import json
import re
import time
from contextlib import redirect_stdout
from datetime import date, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

import pydantic
import pytest
import urllib3
from _helpers import (
    DATA_DIR,
    NOV1,
    NOV3,
    UTC,
    as_instant,
    assert_rfc3339,
    call_tagged,
    call_tagged_raises,
    expected_rows,
    query_pairs,
    query_values,
    reference_dir,
    reference_file,
    rows_of,
    tz,
)

from _generated import (
    ApiArgumentError,
    ApiClient,
    ApiResponse,
    ApiTimeoutError,
    TokenUsageCount,
    TokenUsageResponse,
    TokenUsageScope,
    UsageApi,
)
from _generated.exceptions import UnauthorizedException
from _generated.testing import Fault

if TYPE_CHECKING:
    from conftest import EngineServer

    from _generated.testing import FakeUsageEngine


def get(api: UsageApi) -> Any:
    return api.get_token_usage_api_v2_usage_tokens_get


# -- group_by ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("group_by", "sent"),
    [
        (["rule_type"], ["rule_type"]),
        (["task"], ["task"]),
        (["rule_type", "task"], ["rule_type", "task"]),
        (["task", "rule_type"], ["task", "rule_type"]),
        ([TokenUsageScope.RULE_TYPE, TokenUsageScope.TASK], ["rule_type", "task"]),
        ([TokenUsageScope.TASK, "rule_type"], ["task", "rule_type"]),
        (("task",), ["task"]),
    ],
)
def test_group_by_is_sent_as_repeated_parameters(
    engine_server: EngineServer, api: UsageApi, group_by: Any, sent: list[str]
) -> None:
    rows, received = call_tagged(
        engine_server, get(api), start_time=NOV1, end_time=NOV3, group_by=group_by
    )

    assert query_values(received, "group_by") == sent
    assert "&".join(f"group_by={s}" for s in sent) in received.raw_query
    assert received.group_by == sent
    assert received.status == 200
    assert rows_of(rows) == expected_rows(engine_server.records, NOV1, NOV3, sent)
    by_rule, by_task = "rule_type" in sent, "task" in sent
    assert rows
    for row in rows:
        assert isinstance(row, TokenUsageResponse)
        assert (row.rule_type is not None) == by_rule
        assert (row.task_id is not None) == by_task


def test_group_by_from_a_generator_is_read_once_and_sent(
    engine_server: EngineServer, api: UsageApi
) -> None:
    # The generated client's lax list takes any iterable; a generator is a common one.
    scopes = (scope for scope in ("task", "rule_type"))
    rows, received = call_tagged(
        engine_server, get(api), start_time=NOV1, end_time=NOV3, group_by=scopes
    )
    assert query_values(received, "group_by") == ["task", "rule_type"] and rows
    with pytest.raises(ApiArgumentError, match=r"group_by\.1\n.*'rule_type' or 'task'"):
        get(api)(group_by=(scope for scope in ("task", "user")))


def test_group_by_omitted_is_not_sent_and_server_default_applies(
    engine_server: EngineServer, api: UsageApi
) -> None:
    rows, received = call_tagged(engine_server, get(api), start_time=NOV1, end_time=NOV3)

    assert "group_by" not in received.raw_query
    assert received.group_by == ["rule_type"]
    assert rows_of(rows) == expected_rows(engine_server.records, NOV1, NOV3, ["rule_type"])
    assert {row.task_id for row in rows} == {None}


# -- start_time / end_time --------------------------------------------------------------------

# (argument, the instant it means, the offset the wire value should carry)
TIME_CASES = [
    pytest.param(datetime(2026, 11, 1, 5, 0, tzinfo=UTC), NOV1 + timedelta(hours=5), 0, id="utc"),
    pytest.param(
        datetime(2026, 11, 1, 5, 45, tzinfo=tz(5 * 60 + 45)), NOV1, 5 * 60 + 45, id="+05:45"
    ),
    pytest.param(
        datetime(2026, 10, 31, 20, 30, tzinfo=tz(-(3 * 60 + 30))), NOV1, -(3 * 60 + 30), id="-03:30"
    ),
    pytest.param(
        datetime(2026, 11, 2, 13, 59, tzinfo=tz(14 * 60)),
        datetime(2026, 11, 1, 23, 59, tzinfo=UTC),
        14 * 60,
        id="+14:00",
    ),
    pytest.param(
        datetime(2026, 11, 1, 12, 0, 0, 250000, tzinfo=tz(60)),
        datetime(2026, 11, 1, 11, 0, 0, 250000, tzinfo=UTC),
        60,
        id="microseconds",
    ),
    pytest.param(
        datetime(2026, 11, 1, 7, 30), NOV1 + timedelta(hours=7, minutes=30), 0, id="naive"
    ),
    pytest.param(date(2026, 11, 2), NOV1 + timedelta(days=1), 0, id="date"),
    pytest.param("2026-11-01T05:00:00Z", NOV1 + timedelta(hours=5), 0, id="str-Z"),
    pytest.param("2026-11-01T05:45:00+05:45", NOV1, 5 * 60 + 45, id="str-offset"),
    pytest.param("2026-11-01T05:45:00+0545", NOV1, 5 * 60 + 45, id="str-offset-no-colon"),
    pytest.param("2026-11-01T06:00:00", NOV1 + timedelta(hours=6), 0, id="str-naive"),
    pytest.param("2026-11-02", NOV1 + timedelta(days=1), 0, id="str-date"),
    pytest.param("20261101T050000Z", NOV1 + timedelta(hours=5), 0, id="str-basic-format"),
    pytest.param("  2026-11-01T05:00:00+00:00 ", NOV1 + timedelta(hours=5), 0, id="str-spaces"),
]


@pytest.mark.parametrize(("value", "instant", "offset_minutes"), TIME_CASES)
@pytest.mark.parametrize("name", ["start_time", "end_time"])
def test_time_arguments_arrive_as_rfc3339_with_the_same_instant(
    engine_server: EngineServer,
    api: UsageApi,
    name: str,
    value: Any,
    instant: datetime,
    offset_minutes: int,
) -> None:
    other = {"end_time": NOV3} if name == "start_time" else {"start_time": NOV1 - timedelta(days=1)}
    rows, received = call_tagged(engine_server, get(api), **{name: value}, **other)

    [wire] = query_values(received, name)
    sent = assert_rfc3339(wire)
    assert sent == instant
    assert sent.utcoffset() == timedelta(minutes=offset_minutes)
    parsed = received.start_time if name == "start_time" else received.end_time
    assert parsed == instant
    assert parsed is not None and parsed.utcoffset() == timedelta(minutes=offset_minutes)
    start, end = (instant, NOV3) if name == "start_time" else (NOV1 - timedelta(days=1), instant)
    assert rows_of(rows) == expected_rows(engine_server.records, start, end, ["rule_type"])


@pytest.mark.parametrize(
    "odd",
    [
        datetime(2026, 11, 1, 1, 0, 30, tzinfo=tz(60, 30)),
        datetime(2026, 10, 31, 20, 30, 30, tzinfo=tz(-(3 * 60 + 30), 30)),
        datetime(2026, 11, 1, 1, 0, 0, 1, tzinfo=timezone(timedelta(hours=1, microseconds=1))),
    ],
    ids=["+01:00:30", "-03:29:30", "+01:00:00.000001"],
)
def test_offset_with_seconds_is_sent_as_the_same_instant_in_utc(
    engine_server: EngineServer, api: UsageApi, odd: datetime
) -> None:
    # RFC 3339 offsets have no seconds; the SDK must still keep the instant.
    _, received = call_tagged(engine_server, get(api), start_time=odd, end_time=NOV3)

    [wire] = query_values(received, "start_time")
    assert assert_rfc3339(wire) == as_instant(odd)
    assert received.start_time == as_instant(odd) == NOV1


def test_times_at_the_ends_of_the_range_are_sent_or_refused_before_sending(
    fake_engine: FakeUsageEngine,
) -> None:
    # Sent with their own offset, these need no UTC form: the engine answers them.
    far = datetime.max.replace(tzinfo=tz(-5 * 60))
    early = datetime.min.replace(tzinfo=tz(60))
    with fake_engine.api_client() as client:
        api = UsageApi(client)
        rows = api.get_token_usage_api_v2_usage_tokens_get(
            start_time=early, end_time=far, group_by=["task"]
        )
        expected = fake_engine.expected(early, far, ["task"])
        assert sorted(row.to_dict()["task_id"] for row in rows) == sorted(
            row["task_id"] for row in expected
        )
        assert [row.to_dict() for row in rows] == expected  # the fake's own order
        # An offset with seconds is sent as UTC, which has no year 0: refused by name.
        fake_engine.clear()
        early_lmt = datetime.min.replace(tzinfo=tz(53, 28))
        with pytest.raises(ApiArgumentError, match=r"start_time=.*between years 1 and 9999"):
            api.get_token_usage_api_v2_usage_tokens_get(start_time=early_lmt)
        far_lmt = datetime.max.replace(tzinfo=tz(-1, -30))
        with pytest.raises(ApiArgumentError, match=r"end_time=.*between years 1 and 9999"):
            api.get_token_usage_api_v2_usage_tokens_get(end_time=far_lmt)
    assert fake_engine.attempts == 0


def test_omitted_times_are_not_sent_and_the_server_uses_the_current_utc_day(
    spec_server: EngineServer, spec_api: UsageApi
) -> None:
    before = datetime.now(UTC)
    rows, received = call_tagged(spec_server, get(spec_api), group_by=["task"])
    after = datetime.now(UTC)

    names = [key for key, _ in query_pairs(received)]
    assert names == ["group_by"]
    assert received.start_time is None and received.end_time is None
    assert received.start is not None and received.end is not None
    assert received.end - received.start == timedelta(days=1)
    day_starts = {d.replace(hour=0, minute=0, second=0, microsecond=0) for d in (before, after)}
    assert received.start in day_starts
    assert rows_of(rows) == expected_rows(
        spec_server.records, received.start, received.end, ["task"]
    )


def test_start_is_inclusive_and_end_exclusive(engine_server: EngineServer, api: UsageApi) -> None:
    record = engine_server.records[len(engine_server.records) // 2]
    at = record.timestamp
    local = at.astimezone(tz(-(9 * 60 + 30)))

    inclusive = get(api)(start_time=local, end_time=at + timedelta(seconds=1), group_by=["task"])
    exclusive = get(api)(start_time=at - timedelta(days=1), end_time=local, group_by=["task"])

    assert rows_of(inclusive) == expected_rows(
        engine_server.records, at, at + timedelta(seconds=1), ["task"]
    )
    assert record.task_id in {row.task_id for row in inclusive}
    assert rows_of(exclusive) == expected_rows(
        engine_server.records, at - timedelta(days=1), at, ["task"]
    )


# -- per-call options -------------------------------------------------------------------------


@pytest.mark.parametrize("timeout", [10, 7.5, (3, 20), (3.0, None)])
def test_request_timeout_accepts_seconds_or_a_connect_read_pair(
    engine_server: EngineServer, api: UsageApi, timeout: Any
) -> None:
    rows, received = call_tagged(
        engine_server, get(api), start_time=NOV1, end_time=NOV3, _request_timeout=timeout
    )
    assert received.status == 200
    assert rows_of(rows) == expected_rows(engine_server.records, NOV1, NOV3, ["rule_type"])


@pytest.mark.parametrize("timeout", [0.3, (5, 0.3)])
def test_request_timeout_bounds_the_wait_for_a_slow_server(
    fake_engine: FakeUsageEngine, timeout: Any
) -> None:
    fake_engine.inject(Fault.delay(3.0))
    with fake_engine.api_client() as client:
        started = time.monotonic()
        with pytest.raises(ApiTimeoutError):
            UsageApi(client).get_token_usage_api_v2_usage_tokens_get(
                _request_timeout=timeout, _retries=0
            )
        elapsed = time.monotonic() - started
    assert elapsed < 2.0
    assert fake_engine.attempts == 1


def test_request_auth_replaces_the_configured_token_for_one_call(
    engine_server: EngineServer, api: UsageApi
) -> None:
    wrong = {"type": "bearer", "in": "header", "key": "Authorization", "value": "Bearer nope"}

    error, received = call_tagged_raises(
        engine_server, UnauthorizedException, get(api), _request_auth=wrong
    )
    assert error.status == 401
    assert received.headers.get("authorization") is not None
    assert received.authorized is False

    # the next call is back on the configured token
    rows, received = call_tagged(engine_server, get(api), start_time=NOV1, end_time=NOV3)
    assert received.authorized is True
    assert rows


def test_request_auth_supplies_a_token_the_configuration_lacks(
    engine_server: EngineServer,
) -> None:
    right = {
        "type": "bearer",
        "in": "header",
        "key": "Authorization",
        "value": f"Bearer {engine_server.token}",
    }
    with engine_server.api_client(access_token=None) as client:
        api = UsageApi(client)
        rows, received = call_tagged(
            engine_server, get(api), start_time=NOV1, end_time=NOV3, _request_auth=right
        )
        assert received.authorized is True
        assert rows_of(rows) == expected_rows(engine_server.records, NOV1, NOV3, ["rule_type"])

        _, received = call_tagged_raises(engine_server, UnauthorizedException, get(api))
        assert "authorization" not in received.headers


def test_request_auth_in_another_header_removes_the_configured_authorization(
    engine_server: EngineServer, api: UsageApi
) -> None:
    other = {"type": "api_key", "in": "header", "key": "X-Api-Key", "value": "k-123"}
    _, received = call_tagged_raises(
        engine_server, UnauthorizedException, get(api), _request_auth=other
    )
    assert received.headers.get("x-api-key") == "k-123"
    assert "authorization" not in received.headers


def test_request_auth_in_query_is_sent_in_the_query(
    engine_server: EngineServer, api: UsageApi
) -> None:
    setting = {"type": "api_key", "in": "query", "key": "api_key", "value": "q-1"}
    _, received = call_tagged_raises(
        engine_server, UnauthorizedException, get(api), group_by=["task"], _request_auth=setting
    )
    assert query_values(received, "api_key") == ["q-1"]
    assert query_values(received, "group_by") == ["task"]


def test_extra_headers_reach_the_server(engine_server: EngineServer, api: UsageApi) -> None:
    _, received = call_tagged(
        engine_server,
        get(api),
        start_time=NOV1,
        end_time=NOV3,
        _headers={"X-Request-Id": "req-42", "X-Team": "billing"},
    )
    assert received.headers["x-request-id"] == "req-42"
    assert received.headers["x-team"] == "billing"
    assert received.headers["accept"] == "application/json"
    assert received.authorized is True


def test_content_type_is_accepted_but_a_get_sends_none(
    engine_server: EngineServer, api: UsageApi
) -> None:
    # As in the generated client: _content_type only applies to operations with a body.
    _, received = call_tagged(
        engine_server, get(api), start_time=NOV1, end_time=NOV3, _content_type="application/json"
    )
    assert "content-type" not in received.headers
    assert received.status == 200


def test_host_index_zero_is_accepted(engine_server: EngineServer, api: UsageApi) -> None:
    rows, received = call_tagged(
        engine_server, get(api), start_time=NOV1, end_time=NOV3, _host_index=0
    )
    assert received.status == 200
    assert rows


@pytest.mark.parametrize("index", [1, 2, -1])
def test_other_host_indexes_are_rejected_before_the_network(
    engine_server: EngineServer, api: UsageApi, index: int
) -> None:
    engine_server.reset()
    with pytest.raises(ApiArgumentError) as caught:
        get(api)(_host_index=index)
    assert caught.value.argument == "_host_index"
    assert "_host_index" in str(caught.value)
    assert isinstance(caught.value, ValueError)
    assert isinstance(caught.value, pydantic.ValidationError)
    assert engine_server.received == []


# -- the three variants -----------------------------------------------------------------------


def test_plain_variant_returns_a_list_of_models(engine_server: EngineServer, api: UsageApi) -> None:
    rows = get(api)(start_time=NOV1, end_time=NOV3, group_by=["rule_type", "task"])
    assert isinstance(rows, list)
    assert all(isinstance(row, TokenUsageResponse) for row in rows)
    assert all(isinstance(row.count, TokenUsageCount) for row in rows)
    assert rows_of(rows) == expected_rows(engine_server.records, NOV1, NOV3, ["rule_type", "task"])


def test_with_http_info_returns_status_headers_data_and_the_raw_bytes(
    engine_server: EngineServer, api: UsageApi
) -> None:
    kwargs: dict[str, Any] = {"start_time": NOV1, "end_time": NOV3, "group_by": ["task"]}
    info, received = call_tagged(
        engine_server, api.get_token_usage_api_v2_usage_tokens_get_with_http_info, **kwargs
    )

    assert isinstance(info, ApiResponse)
    assert info.status_code == 200
    assert info.headers is not None
    assert info.headers["Content-Type"] == "application/json"
    assert int(info.headers["content-length"]) == len(info.raw_data)
    assert isinstance(info.raw_data, bytes)
    assert rows_of(info.data) == expected_rows(engine_server.records, NOV1, NOV3, ["task"])
    assert json.loads(info.raw_data) == [row.to_dict() for row in info.data]
    # The bytes are the server's: the same request made directly returns the same body.
    direct = urllib3.request(
        "GET",
        f"{engine_server.host}{received.path}?{received.raw_query}",
        headers=engine_server.auth_headers,
    )
    assert info.raw_data == direct.data


def test_with_http_info_raw_data_is_exactly_what_the_server_sent(
    fake_engine: FakeUsageEngine,
) -> None:
    body = (
        b'[ {"rule_type": "PIIDataRule", "task_id": null,\n'
        b'   "count": {"inference": 1, "eval_prompt": 2, "eval_completion": 3,'
        b' "user_input": 1, "prompt": 2, "completion": 3}} ]\n'
    )
    fake_engine.inject(Fault.body(body, headers={"X-Engine": "fake"}))
    with fake_engine.api_client() as client:
        info = UsageApi(client).get_token_usage_api_v2_usage_tokens_get_with_http_info()
    assert info.raw_data == body
    assert info.status_code == 200
    assert info.headers is not None and info.headers["x-engine"] == "fake"
    assert [row.to_dict() for row in info.data] == json.loads(body)


def test_without_preload_content_returns_the_unread_urllib3_response(
    engine_server: EngineServer, api: UsageApi
) -> None:
    kwargs: dict[str, Any] = {"start_time": NOV1, "end_time": NOV3}
    response, received = call_tagged(
        engine_server, api.get_token_usage_api_v2_usage_tokens_get_without_preload_content, **kwargs
    )
    try:
        assert isinstance(response, urllib3.BaseHTTPResponse)
        assert response.status == 200
        assert response.tell() == 0  # nothing of the body consumed yet
        body = response.read()
    finally:
        response.release_conn()
    assert len(body) == int(response.headers["Content-Length"])
    assert response.tell() == len(body)
    data = sorted(json.loads(body), key=lambda d: d["rule_type"])  # the order is arbitrary
    assert [
        (d["rule_type"], d["task_id"], *(d["count"][k] for k in ("inference", "eval_prompt")))
        for d in data
    ] == [r[:4] for r in expected_rows(engine_server.records, NOV1, NOV3, ["rule_type"])]
    assert received.authorized is True


def test_without_preload_content_does_not_raise_for_error_statuses(
    spec_server: EngineServer,
) -> None:
    with spec_server.api_client(access_token=None) as client:
        response = UsageApi(
            client
        ).get_token_usage_api_v2_usage_tokens_get_without_preload_content()
        try:
            assert response.status == 401
            assert json.loads(response.read()) == {"detail": "Not authenticated"}
        finally:
            response.release_conn()


def test_the_three_variants_agree(engine_server: EngineServer, api: UsageApi) -> None:
    kwargs: dict[str, Any] = {"start_time": NOV1, "end_time": NOV3, "group_by": ["task"]}
    plain = api.get_token_usage_api_v2_usage_tokens_get(**kwargs)
    info = api.get_token_usage_api_v2_usage_tokens_get_with_http_info(**kwargs)
    raw = api.get_token_usage_api_v2_usage_tokens_get_without_preload_content(**kwargs)
    try:
        raw_body = raw.read()
    finally:
        raw.release_conn()
    assert plain == info.data
    assert raw_body == info.raw_data


def test_default_client_is_used_when_none_is_given(engine_server: EngineServer) -> None:
    previous = ApiClient._default
    client = engine_server.api_client()
    try:
        ApiClient.set_default(client)
        api = UsageApi()
        assert api.api_client is client
        rows, received = call_tagged(engine_server, get(api), start_time=NOV1, end_time=NOV3)
        assert received.authorized is True
        assert rows
    finally:
        ApiClient.set_default(previous)
        client.close()


# -- the documented example -------------------------------------------------------------------

_PYTHON_BLOCK = re.compile(r"```python\n(.*?)```", re.DOTALL)


def test_data_copies_match_the_reference() -> None:
    directory = reference_dir()
    if directory is None:
        pytest.skip("shared/reference is not beside the repository; test/data is the contract")
    for name in ("UsageApi.md", "usage.openapi.json"):
        assert (DATA_DIR / name).read_bytes() == (directory / name).read_bytes(), name


def test_usage_api_md_example_runs_unchanged(
    engine_server: EngineServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = reference_file("UsageApi.md").read_text(encoding="utf-8")
    [code] = _PYTHON_BLOCK.findall(text)
    assert code.count('"http://localhost"') == 1
    # The example builds a second Configuration without a host, i.e. on the default host
    # ("defaults to http://localhost"): point both the literal and the default at the server.
    code = code.replace('"http://localhost"', json.dumps(engine_server.host))
    monkeypatch.setattr("_generated.configuration.DEFAULT_HOST", engine_server.host)
    monkeypatch.setenv("BEARER_TOKEN", engine_server.token)
    import os

    engine_server.reset()
    out = io.StringIO()
    with redirect_stdout(out):
        exec(compile(code, "UsageApi.md", "exec"), {"__name__": "__main__", "os": os})
    printed = out.getvalue()

    assert "Exception when calling" not in printed, printed
    assert printed.startswith(
        "The response of UsageApi->get_token_usage_api_v2_usage_tokens_get:\n"
    )
    # The example's start and end are the same instant: an empty list.
    assert printed.rstrip().endswith("[]")
    assert engine_server.token not in printed
    [received] = engine_server.received
    assert received.authorized is True
    assert received.status == 200
    instant = datetime(2013, 10, 20, 18, 20, 30, tzinfo=UTC)
    assert received.start_time == received.end_time == instant
    assert received.group_by == ["rule_type"]
