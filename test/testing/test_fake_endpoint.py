"""The fake validates, routes, filters and orders as the FastAPI reference engine does.

Engine mode (the default of both) follows shared/reference/ENGINE_BEHAVIOUR.md; spec mode the
OpenAPI description. Each case runs against the fake and against FastAPI in the same mode
(keys and roles: test_fake_auth.py).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Optional

import pytest
import urllib3
from _helpers import UTC
from _raw_http import NOV, RANGE, assert_same_answer, canonical, errors_part, fetch, record
from conftest import EngineServer

from _generated.testing import (
    ENDPOINT_PATH,
    FakeUsageEngine,
    UsageRecord,
)

# -- validation: 400 (engine) or 422 (spec), compared with FastAPI ----------------------------

BAD_QUERIES = [
    "start_time=junk",
    "start_time=",
    "end_time=2026-13-01T00:00:00",
    "end_time=2026-02-30",
    "start_time=2026-11-01T24:00:00Z",
    "start_time=20261101T000000",
    "start_time=%202026-11-01",
    "start_time=2026-11-01T00:00:00%2B24:00",
    "start_time=2026-11-01T00:00:00+01:00",  # unencoded "+" is a space
    "start_time=2026-11-01T00:00:00%2B053030",  # an offset with seconds
    "group_by=user",
    "group_by=",
    "group_by=RULE_TYPE",
    "group_by=rule_type,task",  # one comma-joined value is not a scope
    "group_by=task&group_by=bogus&group_by=rule_type&group_by=x",
    "start_time=x&end_time=y&group_by=z",
    "start_time=2026-11-01T00:00:00Z&start_time=junk",
    "start_time=%C3%A9t%C3%A9",
    "start_time=%FF",
]


@pytest.mark.parametrize("query", BAD_QUERIES)
def test_invalid_parameters_are_refused_like_fastapi(
    query: str, shared_pair: tuple[FakeUsageEngine, EngineServer], http_pool: urllib3.PoolManager
) -> None:
    fake_server, real_server = shared_pair
    fake = fetch(http_pool, fake_server, query)
    real = fetch(http_pool, real_server, query)
    assert real[0] == (422 if real_server.spec_mode else 400)
    assert_same_answer(fake, real)
    if fake_server.spec_mode:
        assert fake[1] == real[1]  # the whole HTTPValidationError, loc lists and all
    else:
        detail = fake[1]["detail"]
        assert isinstance(detail, str) and "validation error" in detail.splitlines()[0]


def test_400_detail_is_fastapis_message_as_one_string(
    fake_engine: FakeUsageEngine, http_pool: urllib3.PoolManager
) -> None:
    status, body, _ = fetch(http_pool, fake_engine, "group_by=task&group_by=user")
    assert status == 400
    assert body == {
        "detail": "1 validation error:\n"
        "  {'type': 'enum', 'loc': ('query', 'group_by', 1), "
        "'msg': \"Input should be 'rule_type' or 'task'\", 'input': 'user', "
        "'ctx': {'expected': \"'rule_type' or 'task'\"}}\n"
        "\n"
        "  Endpoint: GET /api/v2/usage/tokens"
    }
    assert errors_part(body["detail"]).count("\n") == 1


def test_422_group_by_shape(spec_fake: FakeUsageEngine, http_pool: urllib3.PoolManager) -> None:
    status, body, _ = fetch(http_pool, spec_fake, "group_by=task&group_by=user")
    assert status == 422
    assert body == {
        "detail": [
            {
                "type": "enum",
                "loc": ["query", "group_by", 1],
                "msg": "Input should be 'rule_type' or 'task'",
                "input": "user",
                "ctx": {"expected": "'rule_type' or 'task'"},
            }
        ]
    }


@pytest.mark.parametrize(
    ("path", "method", "auth"),
    [
        ("/api/v2/usage/other", "GET", "good"),
        ("/", "GET", None),
        ("/api/v2//usage/tokens", "GET", "good"),  # a double slash: 404
        ("/" + ENDPOINT_PATH, "GET", "good"),  # a leading one too (http.server drops it)
        (ENDPOINT_PATH, "POST", "good"),
        (ENDPOINT_PATH, "DELETE", None),
        (ENDPOINT_PATH, "GET", None),  # engine: 400 before auth; spec: 401 first
        (ENDPOINT_PATH, "GET", "Bearer unknown"),
    ],
)
def test_routing_and_precedence_match_fastapi(
    path: str,
    method: str,
    auth: Optional[str],
    shared_pair: tuple[FakeUsageEngine, EngineServer],
    http_pool: urllib3.PoolManager,
) -> None:
    fake_server, real_server = shared_pair
    query = "group_by=bogus"
    fake = fetch(http_pool, fake_server, query, path=path, method=method, auth=auth)
    real = fetch(http_pool, real_server, query, path=path, method=method, auth=auth)
    assert fake[0] != 200
    assert_same_answer(fake, real)
    if path == ENDPOINT_PATH and method == "GET":
        assert fake[0] == (401 if fake_server.spec_mode else 400)


@pytest.mark.parametrize("path", [ENDPOINT_PATH + "/", ENDPOINT_PATH + "//", ENDPOINT_PATH + "%2F"])
def test_a_trailing_slash_is_redirected_to_the_path_without_it(
    path: str, shared_pair: tuple[FakeUsageEngine, EngineServer], http_pool: urllib3.PoolManager
) -> None:
    fake_server, real_server = shared_pair
    for server in (fake_server, real_server):
        query = "group_by=task&start_time=2026-11-01"
        status, body, response = fetch(http_pool, server, query, path=path, auth=None)
        assert (status, body) == (307, None)
        location = f"{server.host}{ENDPOINT_PATH}?group_by=task&start_time=2026-11-01"
        assert response.headers["Location"] == location
        assert response.headers["Content-Length"] == "0"


def test_a_percent_encoded_path_is_routed_decoded_and_recorded_as_sent(
    shared_pair: tuple[FakeUsageEngine, EngineServer], http_pool: urllib3.PoolManager
) -> None:
    fake_server, real_server = shared_pair
    path = ENDPOINT_PATH.replace("tokens", "tok%65ns")
    fake = fetch(http_pool, fake_server, RANGE, path=path)
    assert fake[0] == 200 and fake[1]
    assert_same_answer(fake, fetch(http_pool, real_server, RANGE, path=path))
    assert fake_server.requests[-1].path == path


def test_a_leading_double_slash_is_recorded_as_sent(
    fake_engine: FakeUsageEngine, http_pool: urllib3.PoolManager
) -> None:
    for path in ("/" + ENDPOINT_PATH, "//evil" + ENDPOINT_PATH):
        assert fetch(http_pool, fake_engine, RANGE, path=path)[0] == 404
    assert [r.path for r in fake_engine.requests] == ["/" + ENDPOINT_PATH, "//evil" + ENDPOINT_PATH]
    assert [r.query_string for r in fake_engine.requests] == [RANGE, RANGE]


@pytest.mark.parametrize(
    "query",
    [
        "start_time=0001-01-01T00:00:00%2B01:00&end_time=2027-01-01",
        "start_time=2026-01-01&end_time=9999-12-31T23:59:59-01:00",
        "start_time=0001-01-01T00:30:00%2B01:00&end_time=9999-12-31T23:00:00-01:00",
    ],
)
def test_bounds_at_the_ends_of_the_datetime_range_are_answered_like_fastapi(
    query: str, shared_pair: tuple[FakeUsageEngine, EngineServer], http_pool: urllib3.PoolManager
) -> None:
    # In UTC these instants are before year 1 or after 9999: they cannot be converted.
    fake_server, real_server = shared_pair
    fake = fetch(http_pool, fake_server, query)
    assert fake[0] == 200 and fake[1]
    assert_same_answer(fake, fetch(http_pool, real_server, query))


# -- ranges, defaults, rows --------------------------------------------------------------------


def test_start_inclusive_end_exclusive_at_a_record(
    shared_pair: tuple[FakeUsageEngine, EngineServer], http_pool: urllib3.PoolManager
) -> None:
    records = shared_pair[0].records
    instant = records[100].timestamp
    same = [r for r in records if r.timestamp == instant]
    at = instant.isoformat()
    for server in shared_pair:
        status, included, _ = fetch(
            http_pool,
            server,
            [("start_time", at), ("end_time", (instant + timedelta(seconds=1)).isoformat())],
        )
        assert status == 200
        assert sum(row["count"]["inference"] for row in included) == sum(r.inference for r in same)
        _, excluded, _ = fetch(
            http_pool,
            server,
            [("start_time", (instant - timedelta(seconds=1)).isoformat()), ("end_time", at)],
        )
        assert sum(row["count"]["inference"] for row in excluded) == sum(
            r.inference for r in records if instant - timedelta(seconds=1) <= r.timestamp < instant
        )


def test_offsets_and_naive_times(
    fake_engine: FakeUsageEngine, http_pool: urllib3.PoolManager
) -> None:
    expected = fake_engine.expected(NOV + timedelta(days=3), NOV + timedelta(days=5), ["task"])
    assert expected
    for start, end in [
        ("2026-11-04T00:00:00Z", "2026-11-06T00:00:00Z"),
        ("2026-11-04T05:30:00+05:30", "2026-11-05T19:00:00-05:00"),
        ("2026-11-04T05:30:00+0530", "2026-11-05T19:00:00-0500"),  # the generated client's form
        ("2026-11-04T00:00:00", "2026-11-06"),
        ("2026-11-04 00:00", "2026-11-06t00:00:00z"),
    ]:
        status, body, _ = fetch(
            http_pool, fake_engine, [("start_time", start), ("end_time", end), ("group_by", "task")]
        )
        assert (status, body) == (200, expected), (start, end)


@pytest.mark.parametrize(
    "query",
    [
        "start_time=2026-11-04&end_time=2026-11-06",  # dates
        "start_time=1793750400&end_time=1793923200",  # epoch seconds: 4 and 6 November
        "start_time=2026-11-04T05:30:00%2B0530&end_time=2026-11-05T19:00:00-0500",
    ],
)
def test_dates_epoch_numbers_and_offsets_without_colon_are_accepted_like_fastapi(
    query: str, shared_pair: tuple[FakeUsageEngine, EngineServer], http_pool: urllib3.PoolManager
) -> None:
    fake_server, real_server = shared_pair
    fake = fetch(http_pool, fake_server, query + "&group_by=task")
    assert_same_answer(fake, fetch(http_pool, real_server, query + "&group_by=task"))
    expected = fake_server.expected(NOV + timedelta(days=3), NOV + timedelta(days=5), ["task"])
    assert fake[:2] == (200, expected)


def test_expected_without_a_scope_is_what_a_request_naming_none_gets(
    sample_data: tuple[UsageRecord, ...], http_pool: urllib3.PoolManager
) -> None:
    def broken_clock() -> datetime:
        raise RuntimeError("the engine-mode fake read its clock")

    # Engine mode never reads the clock: a broken one does not break an answer.
    with FakeUsageEngine(sample_data, now=broken_clock) as engine:
        status, body, _ = fetch(http_pool, engine, RANGE)
        day = (NOV + timedelta(days=1), NOV + timedelta(days=2))
        assert (status, body) == (200, engine.expected(*day, group_by=[]))
        assert body == engine.expected(*day) and {row["task_id"] for row in body} == {None}
        with pytest.raises(TypeError, match="group_by must be a list of scopes"):
            engine.expected(*day, group_by="task")


def test_omitted_bounds_are_no_bound_in_engine_mode(
    fake_engine: FakeUsageEngine, engine_server: EngineServer, http_pool: urllib3.PoolManager
) -> None:
    everything = fake_engine.expected(None, None, ["task"])
    assert sum(row["count"]["inference"] for row in everything) == sum(
        r.inference for r in fake_engine.records
    )
    for query, start, end in [
        ("group_by=task", None, None),
        ("group_by=task&start_time=2026-11-10", datetime(2026, 11, 10, tzinfo=UTC), None),
        ("group_by=task&end_time=2026-11-10", None, datetime(2026, 11, 10, tzinfo=UTC)),
    ]:
        fake = fetch(http_pool, fake_engine, query)
        real = fetch(http_pool, engine_server, query)
        assert fake[:2] == (200, fake_engine.expected(start, end, ["task"]))
        assert_same_answer(fake, real)
    fake_engine.now = datetime(2040, 1, 1, tzinfo=UTC)  # the clock plays no part
    assert fetch(http_pool, fake_engine, "group_by=task")[1] == everything


def test_spec_mode_defaults_to_the_current_day_of_its_clock(
    sample_data: tuple[UsageRecord, ...], http_pool: urllib3.PoolManager
) -> None:
    nov3 = NOV + timedelta(days=2, hours=15)
    day = NOV + timedelta(days=2)
    with FakeUsageEngine(sample_data, spec_mode=True, now=nov3, seed=1) as engine:
        expected = engine.expected(day, day + timedelta(days=1), ["task"])
        assert expected and engine.expected(None, None, ["task"]) == expected
        assert engine.now == nov3
        assert fetch(http_pool, engine, "group_by=task")[:2] == (200, expected)
        start_only = [("group_by", "task"), ("start_time", (day + timedelta(hours=12)).isoformat())]
        assert fetch(http_pool, engine, start_only)[1] == engine.expected(
            day + timedelta(hours=12), day + timedelta(days=1), ["task"]
        )
        clock = iter([nov3 + timedelta(days=1), nov3 + timedelta(days=40)])
        engine.now = lambda: next(clock)  # a callable is asked on every request
        assert fetch(http_pool, engine, "group_by=task")[1] != expected
        assert fetch(http_pool, engine, "group_by=task")[1] == []


def test_spec_mode_day_matches_fastapis_on_the_same_day(
    spec_fake: FakeUsageEngine, spec_server: EngineServer, http_pool: urllib3.PoolManager
) -> None:
    # The FastAPI app reads the system clock; records around that day show the agreement.
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    records = [
        record(today - timedelta(seconds=1), n=1),
        record(today, n=2),
        record(today + timedelta(hours=6), n=4),
        record(today + timedelta(days=1), n=8),
    ]
    spec_fake.records = records
    status, body, _ = fetch(http_pool, spec_fake)
    if datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) != today:
        pytest.skip("the UTC day changed during the test")
    assert status == 200
    assert [row["count"]["inference"] for row in body] == [6]
    spec_fake.records = spec_server.records
    assert_same_answer(fetch(http_pool, spec_fake), fetch(http_pool, spec_server))


def test_rows_have_explicit_nulls_and_equal_deprecated_copies(
    shared_pair: tuple[FakeUsageEngine, EngineServer], http_pool: urllib3.PoolManager
) -> None:
    for server in shared_pair:
        for group_by, null in (("task", "rule_type"), ("rule_type", "task_id")):
            status, rows, _ = fetch(http_pool, server, f"{RANGE}&group_by={group_by}")
            assert status == 200 and rows
            for row in rows:
                assert set(row) == {"rule_type", "task_id", "count"}
                assert row[null] is None
                count = row["count"]
                assert (count["user_input"], count["prompt"], count["completion"]) == (
                    count["inference"],
                    count["eval_prompt"],
                    count["eval_completion"],
                )


def test_group_by_in_either_order_and_repeated_is_the_same_grouping(
    shared_pair: tuple[FakeUsageEngine, EngineServer], http_pool: urllib3.PoolManager
) -> None:
    for server in shared_pair:
        answers = [
            canonical(fetch(http_pool, server, f"{RANGE}&{query}")[1])
            for query in (
                "group_by=rule_type&group_by=task",
                "group_by=task&group_by=rule_type",
                "group_by=task&group_by=rule_type&group_by=task",
            )
        ]
        assert answers[0] == answers[1] == answers[2] != []


def test_order_is_arbitrary_fixed_per_instance_and_by_seed(
    sample_data: tuple[UsageRecord, ...], http_pool: urllib3.PoolManager
) -> None:
    query = "group_by=rule_type&group_by=task"

    def order(engine: FakeUsageEngine) -> list[tuple[str, str]]:
        rows = fetch(http_pool, engine, query)[1]
        return [(row["rule_type"], row["task_id"]) for row in rows]

    with (
        FakeUsageEngine(sample_data, seed=5) as first,
        FakeUsageEngine(sample_data, seed=5) as again,
        FakeUsageEngine(sample_data, seed=6) as other,
        FakeUsageEngine(sample_data) as unseeded,
        FakeUsageEngine(sample_data) as unseeded_too,
    ):
        seen = order(first)
        assert len(seen) == 28
        assert order(first) == seen  # one instance: one order, like one engine process
        assert order(again) == seen  # the same seed: the same order
        assert seen != sorted(seen)
        assert order(other) != seen
        assert order(unseeded) != order(unseeded_too)  # 1 in 28! to be equal by chance
        assert [
            (r["rule_type"], r["task_id"])
            for r in first.expected(None, None, ["rule_type", "task"])
        ] == seen
