"""Properties: the fake answers as the FastAPI engine does in both modes; the SDK on the fake.

Rows are compared as multisets (the order is arbitrary in both servers) and 400 details
without FastAPI's endpoint location (a source path the fake cannot know).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta, timezone
from typing import Any, Optional

import pytest
import urllib3
from _helpers import UTC
from _raw_http import NOV, assert_same_answer, fetch
from conftest import EngineServer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _generated.testing import REDACTED, FakeUsageEngine, Fault, UsageRecord

OFFSET_MINUTES = st.integers(min_value=-(23 * 60 + 59), max_value=23 * 60 + 59)


@st.composite
def instants(draw: st.DrawFn, records: Sequence[UsageRecord]) -> Optional[str]:
    """A query value for start_time/end_time, in one of the spellings clients use."""
    kind = draw(st.sampled_from(["aware", "aware", "z", "naive", "date", "record", "none"]))
    if kind == "none":
        return None
    if kind == "record":
        when = draw(st.sampled_from(records)).timestamp
    else:
        when = draw(
            st.datetimes(min_value=datetime(2026, 10, 30), max_value=datetime(2026, 12, 2))
        ).replace(tzinfo=UTC)
    if kind == "date":
        day: date = when.date()
        return day.isoformat()
    if kind == "naive":
        return when.replace(tzinfo=None).isoformat()
    if kind == "z":
        return when.replace(tzinfo=None).isoformat() + "Z"
    offset = timezone(timedelta(minutes=draw(OFFSET_MINUTES)))
    return when.astimezone(offset).isoformat()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_fake_answers_like_fastapi(
    data: st.DataObject,
    shared_pair: tuple[FakeUsageEngine, EngineServer],
    http_pool: urllib3.PoolManager,
) -> None:
    fake_server, real_server = shared_pair
    records = real_server.records
    start = data.draw(instants(records), label="start_time")
    end = data.draw(instants(records), label="end_time")
    group_by = data.draw(st.lists(st.sampled_from(["rule_type", "task"]), max_size=4))
    query: list[tuple[str, str]] = []
    if start is not None:
        query.append(("start_time", start))
    if end is not None:
        query.append(("end_time", end))
    query.extend(("group_by", g) for g in group_by)
    fake = fetch(http_pool, fake_server, query)
    real = fetch(http_pool, real_server, query)
    assert fake[0] == 200
    assert_same_answer(fake, real)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    start=st.text(alphabet="0123456789-:.,+ TtZz_eé", max_size=30),
    group_by=st.lists(st.text(alphabet="abcdefrsktuy_, ", max_size=10), max_size=3),
    auth=st.sampled_from(["good", None, "Bearer nope", "Basic x"]),
)
def test_fake_rejects_like_fastapi(
    start: str,
    group_by: list[str],
    auth: Optional[str],
    shared_pair: tuple[FakeUsageEngine, EngineServer],
    http_pool: urllib3.PoolManager,
) -> None:
    fake_server, real_server = shared_pair
    query = [("start_time", start), *(("group_by", g) for g in group_by)]
    assert_same_answer(
        fetch(http_pool, fake_server, query, auth=auth),
        fetch(http_pool, real_server, query, auth=auth),
    )


# -- through the SDK ---


def test_sdk_against_the_fake(fake_engine: FakeUsageEngine) -> None:
    from _generated import UsageApi

    start, end = NOV, NOV + timedelta(days=7)
    with fake_engine.api_client() as client:
        rows = UsageApi(client).get_token_usage_api_v2_usage_tokens_get(
            start_time=start, end_time=end, group_by=["rule_type", "task"]
        )
    assert [row.to_dict() for row in rows] == fake_engine.expected(
        start, end, ["rule_type", "task"]
    )
    (request,) = fake_engine.requests
    assert request.query["group_by"] == ["rule_type", "task"]
    assert request.authorized and request.headers["Authorization"] == REDACTED


def test_sdk_retries_a_503_from_the_fake(fake_engine: FakeUsageEngine) -> None:
    from _generated import UsageApi

    fake_engine.inject(Fault.status(503, headers={"Retry-After": "0"}))
    with fake_engine.api_client() as client:
        rows = UsageApi(client).get_token_usage_api_v2_usage_tokens_get(
            start_time=NOV, end_time=NOV + timedelta(days=1)
        )
    assert rows and fake_engine.attempts == 2
    assert [r.fault for r in fake_engine.requests] == ["status", None]


def test_sdk_wrong_token_is_unauthorized(fake_engine: FakeUsageEngine) -> None:
    from _generated import UsageApi
    from _generated.exceptions import UnauthorizedException

    with (
        fake_engine.api_client(access_token="not-the-token") as client,
        pytest.raises(UnauthorizedException) as info,
    ):
        UsageApi(client).get_token_usage_api_v2_usage_tokens_get()
    assert info.value.status == 401
    assert "not-the-token" not in str(info.value)
    assert not fake_engine.requests[0].authorized


def test_sdk_same_rows_from_both_servers(
    fake_engine: FakeUsageEngine, api: Any, bearer_env: str
) -> None:
    from _generated import UsageApi

    kwargs: dict[str, Any] = {
        "start_time": "2026-11-03T12:00:00+02:00",
        "end_time": datetime(2026, 11, 20),
        "group_by": ["task"],
    }
    real = api.get_token_usage_api_v2_usage_tokens_get(**kwargs)
    with fake_engine.api_client() as client:
        fake = UsageApi(client).get_token_usage_api_v2_usage_tokens_get(**kwargs)
    assert sorted(str(r.to_dict()) for r in fake) == sorted(str(r.to_dict()) for r in real)
    assert real and all(r.rule_type is None and r.task_id for r in real)
    assert bearer_env == api.api_client.configuration.access_token


def test_server_handles_do_not_show_tokens(
    fake_engine: FakeUsageEngine, engine_server: EngineServer
) -> None:
    assert fake_engine.token not in repr(fake_engine)
    assert engine_server.token not in repr(engine_server)
    assert engine_server.host in repr(engine_server)


def test_sdk_without_bounds_gets_all_data_from_the_engine_mode_fake(
    fake_engine: FakeUsageEngine,
) -> None:
    from _generated import UsageApi

    with fake_engine.api_client() as client:
        rows = UsageApi(client).get_token_usage_api_v2_usage_tokens_get(group_by=["task"])
    assert sum(row.count.inference for row in rows) == sum(r.inference for r in fake_engine.records)
    (request,) = fake_engine.requests
    assert "start_time" not in request.query and "end_time" not in request.query


def test_sdk_meets_the_engines_400_and_403(sample_data: tuple[UsageRecord, ...]) -> None:
    from _generated.exceptions import BadRequestException, ForbiddenException

    with FakeUsageEngine(
        sample_data, tokens={"reader": "ORG-AUDITOR", "ops-key-7c1": "TASK-ADMIN"}
    ) as fake:
        with fake.api_client(retries=0) as client:
            response = client.call_api("GET", fake.url("/api/v2/usage/tokens?group_by=user"))
            assert response.status == 400
            with pytest.raises(BadRequestException) as bad:
                client.response_deserialize(response, {"200": "List[TokenUsageResponse]"})
        assert bad.value.status == 400
        assert "Input should be 'rule_type' or 'task'" in (bad.value.body or "")
        with fake.api_client(access_token="ops-key-7c1", retries=0) as client:
            from _generated import UsageApi

            with pytest.raises(ForbiddenException) as forbidden:
                UsageApi(client).get_token_usage_api_v2_usage_tokens_get(
                    start_time=NOV, end_time=NOV + timedelta(days=1)
                )
        assert forbidden.value.status == 403
        assert "ops-key-7c1" not in str(forbidden.value)
