"""The fake's faults and its server: keep-alive, streaming, stop, latency, parallel requests."""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
from typing import Union

import pytest
import urllib3
from _raw_http import NOV, chain, fetch

from _generated.testing import (
    ENDPOINT_PATH,
    FakeUsageEngine,
    Fault,
    UsageRecord,
)


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


# -- faults ---


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


def test_fault_headers_replace_the_defaults_of_the_same_name(
    fake_engine: FakeUsageEngine, http_pool: urllib3.PoolManager
) -> None:
    fake_engine.inject(Fault.status(502, headers={"content-type": "text/html"}, body="<p>x</p>"))
    fake_engine.inject(Fault.body(b"[]", headers={"Content-Length": "1"}))
    response = http_pool.request("GET", fake_engine.url(), preload_content=False)
    assert response.headers.getlist("Content-Type") == ["text/html"]
    assert response.read() == b"<p>x</p>"
    response.release_conn()
    # The length given is the one sent, even when it is not the body's.
    response = http_pool.request("GET", fake_engine.url(), preload_content=False)
    assert response.headers.getlist("Content-Length") == ["1"]
    assert response.read() == b"["
    response.release_conn()


def test_more_argument_errors_name_the_argument() -> None:
    for seconds in (float("inf"), float("nan")):
        with pytest.raises(ValueError, match="seconds must be a finite number"):
            Fault.delay(seconds)
        with pytest.raises(ValueError, match="chunk_delay"):
            Fault.slow_body(seconds)
        with pytest.raises(ValueError, match="latency"):
            FakeUsageEngine(latency=seconds)
    with pytest.raises(ValueError, match="kind must be one of"):
        Fault("bogus")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="port"):
        FakeUsageEngine(port=True)
    with pytest.raises(TypeError, match="records must be an iterable of UsageRecord"):
        FakeUsageEngine(records=5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="records must hold UsageRecord objects, got a int"):
        FakeUsageEngine(records=[1, 2])  # type: ignore[list-item]
    engine = FakeUsageEngine(records=[])
    with pytest.raises(TypeError, match="records must hold UsageRecord"):
        engine.records = [object()]  # type: ignore[list-item]
    for latency in ("0.1", -5, True):
        with pytest.raises(ValueError, match="latency"):
            engine.latency = latency  # type: ignore[assignment]
    assert engine.records == () and engine.latency == 0.0
    engine.latency = 1
    assert engine.latency == 1.0
    for path in ("http://127.0.0.1/api/v2/usage/tokens", "api/v2/usage/tokens", "/a?b=1", 123):
        with pytest.raises(ValueError, match="path must be a URL path"):
            engine.inject(Fault.drop(), path=path)  # type: ignore[arg-type]
    assert engine.pending_faults == 0


def test_a_request_with_a_body_too_large_is_recorded_and_refused(
    fake_engine: FakeUsageEngine,
) -> None:
    import socket

    fake_engine.inject(Fault.status(503))
    with socket.create_connection(("127.0.0.1", fake_engine.port), timeout=5) as sock:
        sock.sendall(
            b"GET /api/v2/usage/tokens HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\n\r\n"
        )
        answer = sock.recv(65536)
    assert answer.startswith(b"HTTP/1.1 413 ")
    (request,) = fake_engine.requests
    assert request.path == "/api/v2/usage/tokens" and request.fault is None
    assert fake_engine.pending_faults == 1  # the refused request took no fault


def test_nested_with_blocks_stop_the_engine_at_the_outer_end() -> None:
    engine = FakeUsageEngine(records=[])
    with engine:
        with engine:
            host = engine.host
        assert engine.running and engine.host == host
    assert not engine.running
    engine.start()
    with engine:
        pass
    assert not engine.running  # a with block after start() ends it, as before


def test_engine_restarts_and_stop_is_idempotent() -> None:
    engine = FakeUsageEngine(records=[])
    with engine:
        first = engine.host
    engine.stop()
    with engine, urllib3.PoolManager(retries=False) as pool:
        response = pool.request("GET", engine.url(), headers=engine.auth_headers)
        assert (response.status, response.data) == (200, b"[]")
        assert engine.host.startswith("http://127.0.0.1:") and first.startswith("http://")


def test_the_clock_must_be_a_datetime_or_a_callable() -> None:
    with pytest.raises(TypeError, match="now must be a datetime"):
        FakeUsageEngine(now="2026-11-01")  # type: ignore[arg-type]
