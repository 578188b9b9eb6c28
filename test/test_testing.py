"""Tests of ``_generated.testing``: the fake engine, its faults, and its agreement with the
FastAPI reference server (``test/engine_app.py``).

These talk raw HTTP (urllib3, http.client, sockets) because they test the servers, not the SDK;
the last section goes through the SDK.
"""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
from collections.abc import Iterator, Sequence
from datetime import date, datetime, timedelta, timezone
from typing import Any, Optional, Union
from urllib.parse import urlencode

import pytest
import urllib3
from conftest import EngineServer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _generated.testing import (
    DEFAULT_SAMPLE_START,
    ENDPOINT_PATH,
    REDACTED,
    RULE_TYPES,
    FakeUsageEngine,
    Fault,
    UsageRecord,
    aggregate,
    demo_records,
    sample_records,
)

UTC = timezone.utc
NOV = DEFAULT_SAMPLE_START
Server = Union[FakeUsageEngine, EngineServer]


@pytest.fixture(scope="module")
def http_pool() -> Iterator[urllib3.PoolManager]:
    """Raw HTTP without retries, short timeouts."""
    with urllib3.PoolManager(retries=False, timeout=urllib3.Timeout(connect=2.0, read=5.0)) as pool:
        yield pool


@pytest.fixture(scope="module")
def shared_fake(sample_data: tuple[UsageRecord, ...]) -> Iterator[FakeUsageEngine]:
    """One fake for the whole module, for hypothesis tests (fixtures there can't be per-test)."""
    with FakeUsageEngine(sample_data) as engine:
        yield engine


def fetch(
    pool: urllib3.PoolManager,
    server: Server,
    query: Union[str, Sequence[tuple[str, str]]] = "",
    *,
    auth: Optional[str] = "good",
    path: str = ENDPOINT_PATH,
    method: str = "GET",
) -> tuple[int, Any, urllib3.BaseHTTPResponse]:
    """GET ``path?query`` from ``server``; ``auth``: "good", None, or a raw header value."""
    qs = query if isinstance(query, str) else urlencode(list(query))
    headers = {}
    if auth == "good":
        headers["Authorization"] = f"Bearer {server.token}"
    elif auth is not None:
        headers["Authorization"] = auth
    response = pool.request(method, server.url(path + ("?" + qs if qs else "")), headers=headers)
    body = json.loads(response.data) if response.data else None
    return response.status, body, response


def canonical(rows: Any) -> Any:
    """Order-insensitive form of a 200 body (a list of rows)."""
    if isinstance(rows, list):
        return sorted(rows, key=lambda row: json.dumps(row, sort_keys=True))
    return rows


def record(when: datetime, task: str = "t1", rule: str = "RegexRule", n: int = 1) -> UsageRecord:
    return UsageRecord(when, task, rule, n, 10 * n, 100 * n)


# -- sample_records and aggregate ----------------------------------------------------------


def test_sample_records_are_deterministic_and_plausible() -> None:
    records = sample_records()
    assert records == sample_records(seed=0)
    assert records != sample_records(seed=1)
    assert len(records) == 2000
    assert all(NOV <= r.timestamp < NOV + timedelta(days=30) for r in records)
    assert [r.timestamp for r in records] == sorted(r.timestamp for r in records)
    assert {r.rule_type for r in records} == set(RULE_TYPES)
    assert len({r.task_id for r in records}) == 4
    for r in records:
        if r.rule_type in ("RegexRule", "KeywordRule"):
            assert r.eval_prompt == r.eval_completion == 0
        assert r.timestamp.microsecond == 0


def test_sample_records_options() -> None:
    naive_start = datetime(2025, 1, 1)
    records = sample_records(
        7, start=naive_start, days=2, tasks=["a", "b"], rule_types=["X"], count=50
    )
    assert len(records) == 50
    assert {r.task_id for r in records} <= {"a", "b"}
    assert {r.rule_type for r in records} == {"X"}
    start = naive_start.replace(tzinfo=UTC)
    assert all(start <= r.timestamp < start + timedelta(days=2) for r in records)
    with pytest.raises(ValueError, match="days"):
        sample_records(days=0)
    with pytest.raises(ValueError, match="tasks"):
        sample_records(tasks=0)


def test_usage_record_rejects_naive_timestamp_and_negative_counts() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        UsageRecord(datetime(2026, 11, 1), "t", "r", 1, 1, 1)
    with pytest.raises(ValueError, match="eval_prompt"):
        UsageRecord(NOV, "t", "r", 1, -1, 1)


def test_aggregate_groups_and_bounds() -> None:
    t0 = NOV
    records = [
        record(t0, "t1", "RegexRule", 1),
        record(t0 + timedelta(hours=1), "t2", "RegexRule", 2),
        record(t0 + timedelta(hours=2), "t1", "ToxicityRule", 4),
        record(t0 + timedelta(hours=3), "t2", "ToxicityRule", 8),
    ]
    end = t0 + timedelta(hours=3)  # exclusive: the last record is out
    by_rule = aggregate(records, t0, end, ["rule_type"])
    assert [(r["rule_type"], r["task_id"], r["count"]["inference"]) for r in by_rule] == [
        ("RegexRule", None, 3),
        ("ToxicityRule", None, 4),
    ]
    by_task = aggregate(records, t0, end, ["task"])
    assert [(r["rule_type"], r["task_id"], r["count"]["inference"]) for r in by_task] == [
        (None, "t1", 5),
        (None, "t2", 2),
    ]
    both = aggregate(records, t0, end, ["task", "rule_type", "task"])
    assert both == aggregate(records, t0, end, ["rule_type", "task"])
    assert [(r["rule_type"], r["task_id"]) for r in both] == [
        ("RegexRule", "t1"),
        ("RegexRule", "t2"),
        ("ToxicityRule", "t1"),
    ]
    count = by_rule[1]["count"]
    assert count == {
        "inference": 4,
        "eval_prompt": 40,
        "eval_completion": 400,
        "user_input": 4,
        "prompt": 40,
        "completion": 400,
    }
    # start inclusive (naive = UTC), end exclusive
    assert aggregate(records, datetime(2026, 11, 1, 2), t0 + timedelta(hours=2), ["task"]) == []
    single = aggregate(records, datetime(2026, 11, 1, 2), t0 + timedelta(hours=2, seconds=1))
    assert single == [{"rule_type": "ToxicityRule", "task_id": None, "count": single[0]["count"]}]
    # the same instant written at another offset
    plus2 = timezone(timedelta(hours=2))
    assert aggregate(records, datetime(2026, 11, 1, 4, tzinfo=plus2), end) == aggregate(
        records, t0 + timedelta(hours=2), end
    )
    totals = aggregate(records, t0, end, [])
    assert totals[0]["count"]["inference"] == 7 and totals[0]["rule_type"] is None
    with pytest.raises(ValueError, match="group_by"):
        aggregate(records, t0, end, ["user"])


# -- auth --------------------------------------------------------------------------------------

AUTH_CASES = [
    (None, 401),
    ("Bearer wrong-token", 401),
    ("Basic dXNlcjpwYXNz", 401),
    ("Bearer", 401),
    ("Bearer ", 401),
    ("good", 200),
]


@pytest.mark.parametrize(("auth", "status"), AUTH_CASES)
def test_auth_matches_fastapi(
    auth: Optional[str],
    status: int,
    fake_engine: FakeUsageEngine,
    engine_server: EngineServer,
    http_pool: urllib3.PoolManager,
) -> None:
    query = "start_time=2026-11-02T00:00:00Z&end_time=2026-11-03T00:00:00Z"
    fake = fetch(http_pool, fake_engine, query, auth=auth)
    real = fetch(http_pool, engine_server, query, auth=auth)
    assert fake[0] == real[0] == status
    if status == 401:
        assert fake[1] == real[1] == {"detail": "Not authenticated"}
        assert fake[2].headers["WWW-Authenticate"] == real[2].headers["WWW-Authenticate"]
    else:
        assert canonical(fake[1]) == canonical(real[1]) != []


def test_scheme_is_case_insensitive(
    fake_engine: FakeUsageEngine, http_pool: urllib3.PoolManager
) -> None:
    status, _, _ = fetch(http_pool, fake_engine, auth=f"bearer {fake_engine.token}")
    assert status == 200


def test_requests_are_recorded_with_authorization_redacted(
    fake_engine: FakeUsageEngine, http_pool: urllib3.PoolManager
) -> None:
    fetch(http_pool, fake_engine, "group_by=task&group_by=rule_type&start_time=2026-11-01")
    fetch(http_pool, fake_engine, auth="Bearer nope")
    first, second = fake_engine.requests
    assert fake_engine.attempts == 2
    assert first.method == "GET" and first.path == ENDPOINT_PATH
    assert first.query == {"group_by": ["task", "rule_type"], "start_time": ["2026-11-01"]}
    assert first.query_string == "group_by=task&group_by=rule_type&start_time=2026-11-01"
    assert first.authorized and not second.authorized
    assert first.header("authorization") == REDACTED == second.headers["Authorization"]
    assert str(first.header("USER-AGENT")).startswith("python-urllib3")
    assert first.fault is None
    assert first.time <= second.time
    for recorded in fake_engine.requests:
        assert fake_engine.token not in repr(recorded)
    assert fake_engine.token not in repr(fake_engine)
    fake_engine.clear()
    assert fake_engine.requests == [] and fake_engine.attempts == 0


def test_reference_server_records_what_fastapi_parsed(
    engine_server: EngineServer, http_pool: urllib3.PoolManager
) -> None:
    engine_server.reset()
    query = "start_time=2026-11-01T01:00:00%2B01:00&end_time=2026-11-02T00:00:00&group_by=task"
    status, _, _ = fetch(http_pool, engine_server, query)
    fetch(http_pool, engine_server, "group_by=bogus")
    ok, bad = engine_server.received
    assert status == 200 and ok.status == 200 and bad.status == 422
    assert ok.raw_query == query
    assert ok.start == datetime(2026, 11, 1, tzinfo=UTC)
    assert ok.end == datetime(2026, 11, 2, tzinfo=UTC)
    assert ok.end_time is not None and ok.end_time.tzinfo is None  # naive as sent
    assert ok.group_by == ["task"] and bad.group_by is None
    assert ok.authorized and ok.headers["authorization"] == REDACTED


# -- validation (422) and routing, compared with FastAPI -------------------------------------

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
    "group_by=user",
    "group_by=",
    "group_by=RULE_TYPE",
    "group_by=task&group_by=bogus&group_by=rule_type&group_by=x",
    "start_time=x&end_time=y&group_by=z",
    "start_time=2026-11-01T00:00:00Z&start_time=junk",
    "start_time=%C3%A9t%C3%A9",
    "start_time=%FF",
]


@pytest.mark.parametrize("query", BAD_QUERIES)
def test_422_matches_fastapi(
    query: str,
    fake_engine: FakeUsageEngine,
    engine_server: EngineServer,
    http_pool: urllib3.PoolManager,
) -> None:
    fake = fetch(http_pool, fake_engine, query)
    real = fetch(http_pool, engine_server, query)
    assert real[0] == 422
    assert fake[0] == real[0]
    assert fake[1] == real[1]
    assert fake[2].headers["Content-Type"] == real[2].headers["Content-Type"]


def test_422_group_by_shape(fake_engine: FakeUsageEngine, http_pool: urllib3.PoolManager) -> None:
    status, body, _ = fetch(http_pool, fake_engine, "group_by=task&group_by=user")
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
        (ENDPOINT_PATH, "POST", "good"),
        (ENDPOINT_PATH, "DELETE", None),
        (ENDPOINT_PATH, "GET", None),  # 401 wins over bad parameters
    ],
)
def test_routing_and_precedence_match_fastapi(
    path: str,
    method: str,
    auth: Optional[str],
    fake_engine: FakeUsageEngine,
    engine_server: EngineServer,
    http_pool: urllib3.PoolManager,
) -> None:
    query = "group_by=bogus"
    fake = fetch(http_pool, fake_engine, query, path=path, method=method, auth=auth)
    real = fetch(http_pool, engine_server, query, path=path, method=method, auth=auth)
    assert fake[0] == real[0] != 200
    assert fake[1] == real[1]


# -- range filtering and defaults --------------------------------------------------------------


def test_start_inclusive_end_exclusive_at_a_record(
    fake_engine: FakeUsageEngine,
    engine_server: EngineServer,
    http_pool: urllib3.PoolManager,
) -> None:
    instant = fake_engine.records[100].timestamp
    same = [r for r in fake_engine.records if r.timestamp == instant]
    at = instant.isoformat()
    for server in (fake_engine, engine_server):
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
            r.inference
            for r in fake_engine.records
            if instant - timedelta(seconds=1) <= r.timestamp < instant
        )


def test_offsets_and_naive_times(
    fake_engine: FakeUsageEngine, http_pool: urllib3.PoolManager
) -> None:
    expected = fake_engine.expected(NOV + timedelta(days=3), NOV + timedelta(days=5), ["task"])
    assert expected
    for start, end in [
        ("2026-11-04T00:00:00Z", "2026-11-06T00:00:00Z"),
        ("2026-11-04T05:30:00+05:30", "2026-11-05T19:00:00-05:00"),
        ("2026-11-04T00:00:00", "2026-11-06"),
        ("2026-11-04 00:00", "2026-11-06t00:00:00z"),
    ]:
        status, body, _ = fetch(
            http_pool, fake_engine, [("start_time", start), ("end_time", end), ("group_by", "task")]
        )
        assert (status, body) == (200, expected), (start, end)


def test_default_range_is_the_current_utc_day(
    fake_engine: FakeUsageEngine,
    engine_server: EngineServer,
    http_pool: urllib3.PoolManager,
) -> None:
    today = datetime.now(UTC).date()
    day = datetime(today.year, today.month, today.day, tzinfo=UTC)
    fake_engine.records = [
        record(day - timedelta(seconds=1), n=1),
        record(day, n=2),
        record(day + timedelta(hours=6), n=4),
        record(day + timedelta(days=1), n=8),
    ]
    status, body, _ = fetch(http_pool, fake_engine)
    # The reference server decides "today" on its own; compare on the shared sample data.
    fake_engine.records = engine_server.records
    ours = fetch(http_pool, fake_engine, "group_by=task")
    theirs = fetch(http_pool, engine_server, "group_by=task")
    if datetime.now(UTC).date() != today:
        pytest.skip("the UTC day changed during the test")
    assert status == 200
    assert [row["count"]["inference"] for row in body] == [6]
    assert ours[0] == theirs[0] == 200
    assert canonical(ours[1]) == canonical(theirs[1])


def test_keep_alive_reuses_one_connection(fake_engine: FakeUsageEngine) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", fake_engine.port, timeout=5)
    try:
        sockets = []
        for _ in range(3):
            conn.request("GET", ENDPOINT_PATH, headers=fake_engine.auth_headers)
            response = conn.getresponse()
            assert response.status == 200
            assert response.getheader("Content-Length") == str(len(response.read()))
            assert response.getheader("Connection") is None
            sockets.append(conn.sock)
        assert sockets[0] is not None and sockets.count(sockets[0]) == 3
    finally:
        conn.close()


# -- faults ------------------------------------------------------------------------------------


def chain(exc: BaseException) -> list[BaseException]:
    """``exc`` and every exception it wraps (causes, contexts, exception arguments)."""
    found: list[BaseException] = []
    todo = [exc]
    while todo and len(found) < 20:
        current = todo.pop()
        if any(current is seen for seen in found):
            continue
        found.append(current)
        linked = (current.__cause__, current.__context__, *current.args)
        todo.extend(item for item in linked if isinstance(item, BaseException))
    return found


def test_status_fault_then_normal_answer(
    fake_engine: FakeUsageEngine, http_pool: urllib3.PoolManager
) -> None:
    fake_engine.inject(Fault.status(503, headers={"Retry-After": "1"}))
    assert fake_engine.pending_faults == 1
    status, body, response = fetch(http_pool, fake_engine)
    assert (status, body) == (503, {"detail": "Service Unavailable"})
    assert response.headers["Retry-After"] == "1"
    assert response.headers["Content-Type"] == "application/json"
    assert fetch(http_pool, fake_engine)[0] == 200
    assert [r.fault for r in fake_engine.requests] == ["status", None]
    assert fake_engine.pending_faults == 0


def test_faults_queue_in_order_and_can_target_a_path(
    fake_engine: FakeUsageEngine, http_pool: urllib3.PoolManager
) -> None:
    fake_engine.inject(Fault.status(500), times=2)
    fake_engine.inject(Fault.status(429, body="slow down", content_type="text/plain"))
    fake_engine.inject(Fault.status(502), path="/elsewhere")
    assert fake_engine.pending_faults == 4
    statuses = [fetch(http_pool, fake_engine)[0] for _ in range(2)]
    response = http_pool.request("GET", fake_engine.url(), headers=fake_engine.auth_headers)
    assert statuses == [500, 500]
    assert (response.status, response.data) == (429, b"slow down")
    assert fetch(http_pool, fake_engine)[0] == 200
    assert fetch(http_pool, fake_engine, path="/elsewhere")[0] == 502
    assert fetch(http_pool, fake_engine, path="/elsewhere")[0] == 404
    assert fake_engine.attempts == 6
    fake_engine.inject(Fault.drop(), times=3)
    fake_engine.clear()
    assert fake_engine.pending_faults == 0


@pytest.mark.parametrize(
    ("data", "content_type", "status"),
    [
        (b"OK", "text/plain", 200),
        ("<html><body>Bad gateway</body></html>", "text/html", 500),
        (b'{"unexpected": "shape"}', "application/json", 200),
        (b"[{", "application/json", 200),
        (b"", "application/json", 200),
    ],
)
def test_body_fault_sends_exact_bytes(
    data: Union[bytes, str],
    content_type: str,
    status: int,
    fake_engine: FakeUsageEngine,
    http_pool: urllib3.PoolManager,
) -> None:
    fake_engine.inject(Fault.body(data, content_type, status))
    response = http_pool.request("GET", fake_engine.url(), headers=fake_engine.auth_headers)
    expected = data.encode() if isinstance(data, str) else data
    assert (response.status, response.data) == (status, expected)
    assert response.headers["Content-Type"] == content_type
    assert response.headers["Content-Length"] == str(len(expected))


def test_huge_body_is_streamed(
    fake_engine: FakeUsageEngine, http_pool: urllib3.PoolManager
) -> None:
    size = 50 * 1024 * 1024
    fake_engine.inject(Fault.body(b"x" * size))
    response = http_pool.request(
        "GET", fake_engine.url(), headers=fake_engine.auth_headers, preload_content=False
    )
    assert response.headers["Content-Length"] == str(size)
    received = sum(len(chunk) for chunk in response.stream(1 << 20))
    response.release_conn()
    assert received == size
    assert fetch(http_pool, fake_engine)[0] == 200  # the connection is still usable


def test_delay_fault_and_read_timeout(
    fake_engine: FakeUsageEngine, http_pool: urllib3.PoolManager
) -> None:
    fake_engine.inject(Fault.delay(0.3))
    started = time.monotonic()
    assert fetch(http_pool, fake_engine)[0] == 200
    assert time.monotonic() - started >= 0.3
    fake_engine.inject(Fault.delay(2))
    with pytest.raises(urllib3.exceptions.ReadTimeoutError):
        http_pool.request("GET", fake_engine.url(), headers=fake_engine.auth_headers, timeout=0.2)
    assert [r.fault for r in fake_engine.requests] == ["delay", "delay"]


def test_drop_fault_closes_without_answer(
    fake_engine: FakeUsageEngine, http_pool: urllib3.PoolManager
) -> None:
    fake_engine.inject(Fault.drop())
    with pytest.raises(urllib3.exceptions.ProtocolError) as info:
        fetch(http_pool, fake_engine)
    assert any(isinstance(e, http.client.RemoteDisconnected) for e in chain(info.value))
    assert fake_engine.requests[0].fault == "drop"
    assert fetch(http_pool, fake_engine)[0] == 200


def test_reset_fault_resets_the_connection(
    fake_engine: FakeUsageEngine, http_pool: urllib3.PoolManager
) -> None:
    fake_engine.inject(Fault.reset())
    with pytest.raises(urllib3.exceptions.ProtocolError) as info:
        fetch(http_pool, fake_engine, "start_time=2026-11-01&end_time=2026-11-30&group_by=task")
    assert any(isinstance(e, ConnectionResetError) for e in chain(info.value))
    assert fetch(http_pool, fake_engine)[0] == 200


def test_truncate_fault_sends_less_than_content_length(
    fake_engine: FakeUsageEngine, http_pool: urllib3.PoolManager
) -> None:
    fake_engine.inject(Fault.truncate())
    response = http_pool.request(
        "GET", fake_engine.url(), headers=fake_engine.auth_headers, preload_content=False
    )
    declared = int(response.headers["Content-Length"])
    with pytest.raises(urllib3.exceptions.ProtocolError) as info:
        response.read()
    incomplete = [e for e in chain(info.value) if isinstance(e, http.client.IncompleteRead)]
    assert incomplete and len(incomplete[0].partial) == declared // 2


def test_hang_fault_times_out_and_stop_is_fast(sample_data: tuple[UsageRecord, ...]) -> None:
    engine = FakeUsageEngine(sample_data).start()
    idle = socket.create_connection(("127.0.0.1", engine.port), timeout=5)
    hung = socket.create_connection(("127.0.0.1", engine.port), timeout=5)
    try:
        engine.inject(Fault.hang(), times=2)
        with (
            urllib3.PoolManager(retries=False) as pool,
            pytest.raises(urllib3.exceptions.ReadTimeoutError),
        ):
            pool.request("GET", engine.url(), headers=engine.auth_headers, timeout=0.3)
        hung.sendall(f"GET {ENDPOINT_PATH} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        deadline = time.monotonic() + 2
        while engine.attempts < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert engine.attempts == 2
        started = time.monotonic()
        engine.stop()
        assert time.monotonic() - started < 1.0
        assert hung.recv(100) == b""  # closed without an answer
        assert idle.recv(100) == b""
        assert not engine.running
    finally:
        idle.close()
        hung.close()
        engine.stop()


def test_stop_is_fast_while_a_client_is_not_reading_a_big_body(
    sample_data: tuple[UsageRecord, ...],
) -> None:
    engine = FakeUsageEngine(sample_data).start()
    client = socket.create_connection(("127.0.0.1", engine.port), timeout=5)
    try:
        engine.inject(Fault.body(b"y" * (20 * 1024 * 1024)))
        client.sendall(f"GET {ENDPOINT_PATH} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        assert client.recv(12) == b"HTTP/1.1 200"
        started = time.monotonic()
        engine.stop()
        assert time.monotonic() - started < 1.0
    finally:
        client.close()


def test_slow_body_fault(fake_engine: FakeUsageEngine, http_pool: urllib3.PoolManager) -> None:
    query = [("group_by", "task"), ("start_time", NOV.isoformat()), ("end_time", "2026-11-03")]
    expected = fetch(http_pool, fake_engine, query)[1]
    size = len(json.dumps(expected, separators=(",", ":")).encode())
    chunk = -(-size // 4)
    pieces = -(-size // chunk)  # four for any body of 13 bytes or more
    fake_engine.inject(Fault.slow_body(0.05, chunk_size=chunk))
    started = time.monotonic()
    status, body, _ = fetch(http_pool, fake_engine, query)
    assert (status, body) == (200, expected)
    # The server waits 0.05 s before each of the pieces: a lower bound whatever the load.
    assert time.monotonic() - started >= pieces * 0.05


def test_latency_applies_to_every_request(
    fake_engine: FakeUsageEngine, http_pool: urllib3.PoolManager
) -> None:
    fake_engine.latency = 0.1
    started = time.monotonic()
    for _ in range(2):
        assert fetch(http_pool, fake_engine)[0] == 200
    assert time.monotonic() - started >= 0.2


def test_concurrent_requests_are_served_in_parallel(sample_data: tuple[UsageRecord, ...]) -> None:
    with (
        FakeUsageEngine(sample_data, latency=0.2) as engine,
        urllib3.PoolManager(retries=False, maxsize=8) as pool,
    ):
        statuses: list[int] = []

        def call() -> None:
            statuses.append(pool.request("GET", engine.url(), headers=engine.auth_headers).status)

        threads = [threading.Thread(target=call) for _ in range(8)]
        started = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=5)
        assert statuses == [200] * 8
        assert time.monotonic() - started < 1.0  # 8 x 0.2 s would be 1.6 s if serialized
        assert engine.attempts == 8


def test_fault_and_engine_argument_errors() -> None:
    with pytest.raises(ValueError, match="code"):
        Fault.status(99)
    with pytest.raises(ValueError, match="status"):
        Fault.body(b"", status=700)
    with pytest.raises(ValueError, match="seconds"):
        Fault.delay(-1)
    with pytest.raises(ValueError, match="chunk_size"):
        Fault.slow_body(0.1, chunk_size=0)
    with pytest.raises(ValueError, match="token"):
        FakeUsageEngine(token="")
    engine = FakeUsageEngine()
    with pytest.raises(ValueError, match="times"):
        engine.inject(Fault.drop(), times=0)
    with pytest.raises(TypeError, match="Fault"):
        engine.inject("drop")  # type: ignore[arg-type]
    with pytest.raises(RuntimeError, match="not running"):
        _ = engine.host
    assert "50000000 bytes" in repr(Fault.body(b"z" * 50_000_000))
    assert repr(Fault.status(503, headers={"Retry-After": "2"})).startswith("Fault('status'")


def test_engine_restarts_and_stop_is_idempotent() -> None:
    engine = FakeUsageEngine(records=[])
    with engine:
        first = engine.host
    engine.stop()
    with engine, urllib3.PoolManager(retries=False) as pool:
        response = pool.request("GET", engine.url(), headers=engine.auth_headers)
        assert (response.status, response.data) == (200, b"[]")
        assert engine.host.startswith("http://127.0.0.1:") and first.startswith("http://")


# -- property: the fake answers as FastAPI does --------------------------------------------

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
    shared_fake: FakeUsageEngine,
    engine_server: EngineServer,
    http_pool: urllib3.PoolManager,
) -> None:
    records = engine_server.records
    start = data.draw(instants(records), label="start_time")
    end = data.draw(instants(records), label="end_time")
    group_by = data.draw(st.lists(st.sampled_from(["rule_type", "task"]), max_size=4))
    query: list[tuple[str, str]] = []
    if start is not None:
        query.append(("start_time", start))
    if end is not None:
        query.append(("end_time", end))
    query.extend(("group_by", g) for g in group_by)
    fake_status, fake_body, _ = fetch(http_pool, shared_fake, query)
    real_status, real_body, _ = fetch(http_pool, engine_server, query)
    assert fake_status == real_status == 200
    assert canonical(fake_body) == canonical(real_body)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    start=st.text(alphabet="0123456789-:.,+ TtZz_eé", max_size=30),
    group_by=st.lists(st.text(alphabet="abcdefrsktuy_ ", max_size=10), max_size=3),
)
def test_fake_rejects_like_fastapi(
    start: str,
    group_by: list[str],
    shared_fake: FakeUsageEngine,
    engine_server: EngineServer,
    http_pool: urllib3.PoolManager,
) -> None:
    query = [("start_time", start), *(("group_by", g) for g in group_by)]
    fake = fetch(http_pool, shared_fake, query)
    real = fetch(http_pool, engine_server, query)
    assert fake[0] == real[0]
    assert canonical(fake[1]) == canonical(real[1])


# -- through the SDK ---------------------------------------------------------------------------


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
    assert [r.to_dict() for r in fake] == [r.to_dict() for r in real]
    assert real and all(r.rule_type is None and r.task_id for r in real)
    assert bearer_env == api.api_client.configuration.access_token


def test_server_handles_do_not_show_tokens(
    fake_engine: FakeUsageEngine, engine_server: EngineServer
) -> None:
    assert fake_engine.token not in repr(fake_engine)
    assert engine_server.token not in repr(engine_server)
    assert engine_server.host in repr(engine_server)


# -- the clock and the demo data -----------------------------------------------------------


def test_without_bounds_the_fake_answers_the_day_of_its_clock(
    sample_data: tuple[UsageRecord, ...], http_pool: urllib3.PoolManager
) -> None:
    nov3 = NOV + timedelta(days=2, hours=15)
    day = aggregate(sample_data, NOV + timedelta(days=2), NOV + timedelta(days=3), ["task"])
    with FakeUsageEngine(sample_data, now=nov3) as engine:
        assert engine.now == nov3
        assert fetch(http_pool, engine, "group_by=task")[:2] == (200, day)
        clock = iter([nov3 + timedelta(days=1), nov3 + timedelta(days=40)])
        engine.now = lambda: next(clock)  # a callable is asked on every request
        assert fetch(http_pool, engine, "group_by=task")[1] != day
        assert fetch(http_pool, engine, "group_by=task")[1] == []


def test_the_clock_must_be_a_datetime_or_a_callable() -> None:
    with pytest.raises(TypeError, match="now must be a datetime"):
        FakeUsageEngine(now="2026-11-01")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "now",
    [
        datetime(2031, 3, 30, 1, 30, tzinfo=UTC),
        datetime(2026, 12, 1, 0, 0, 0, 1, tzinfo=UTC),
        datetime(2027, 1, 1, 23, 59, 59, tzinfo=UTC),
    ],
)
def test_demo_records_cover_sixty_days_up_to_now_whatever_the_date(now: datetime) -> None:
    records = demo_records(now)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    assert records == demo_records(now)  # deterministic
    assert all(
        midnight - timedelta(days=60) <= r.timestamp < max(now, midnight + timedelta(seconds=1))
        for r in records
    )
    days = {r.timestamp.date() for r in records}
    assert len(days) >= 58  # weekends are quieter but the data has hardly a gap
    assert aggregate(records, midnight, midnight + timedelta(days=1))  # today is never empty
    # Same day, later: the same past; another day: other numbers.
    later = demo_records(midnight + timedelta(hours=23))
    assert [r for r in later if r.timestamp < midnight] == [
        r for r in records if r.timestamp < midnight
    ]
    assert demo_records(now + timedelta(days=1))[:20] != records[:20]
