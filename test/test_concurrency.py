"""One ``ApiClient`` shared by many threads: correct answers, a bounded pool, no poisoning.

The fake engine's server is wrapped to count the TCP connections it accepts (distinct client
addresses), so the pool bound is checked where it matters: at the server. Every thread is
joined with a timeout, so a deadlock fails the test instead of hanging the suite.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from _generated import UsageApi
from _generated.exceptions import ApiException
from _generated.retry import RetryPolicy
from _generated.testing import FakeUsageEngine, Fault, sample_records

THREADS = 16
CALLS = 2000
POOL_SIZE = 4
JOIN_TIMEOUT = 30.0
DAY0 = datetime(2026, 11, 1, tzinfo=timezone.utc)
RECORDS = tuple(sample_records(seed=7, count=400))
GROUPINGS: tuple[tuple[str, ...], ...] = (("rule_type",), ("task",), ("rule_type", "task"))


@pytest.fixture
def engine() -> Iterator[FakeUsageEngine]:
    with FakeUsageEngine(RECORDS) as fake:
        yield fake


def connections(fake: FakeUsageEngine) -> set[tuple[str, int]]:
    """The client connections the fake received requests on (one client port each)."""
    return {request.client for request in fake.requests}


def window(index: int) -> tuple[datetime, datetime, tuple[str, ...]]:
    """A distinct (start, end, group_by) per call index, so answers differ between calls."""
    start = DAY0 + timedelta(days=index % 29, hours=index % 7)
    end = start + timedelta(days=1 + index % 3)
    return start, end, GROUPINGS[index % len(GROUPINGS)]


def expected(fake: FakeUsageEngine, index: int) -> list[dict[str, Any]]:
    """The rows of call ``index``, in the fake's own (arbitrary, per-instance) order."""
    return fake.expected(*window(index))


def run_threads(
    target: Callable[[int], None], progress: Callable[[], int], count: int = THREADS
) -> None:
    """Run ``target(thread_index)`` in ``count`` threads; fail if they are stuck: nothing
    moved ``progress()`` (requests the server received) for ``JOIN_TIMEOUT`` seconds. A
    stall, not the run's length, is the failure: a slow machine (or libfaketime) is not."""
    errors: list[BaseException] = []

    def guarded(index: int) -> None:
        try:
            target(index)
        except BaseException as exc:  # reported below, with the thread's failure
            errors.append(exc)

    threads = [
        threading.Thread(target=guarded, args=(i,), daemon=True, name=f"caller-{i}")
        for i in range(count)
    ]
    for thread in threads:
        thread.start()
    seen, moved = progress(), time.monotonic()
    while any(thread.is_alive() for thread in threads):
        if time.monotonic() - moved > JOIN_TIMEOUT:
            break
        for thread in threads:
            thread.join(0.1)
        if progress() != seen:
            seen, moved = progress(), time.monotonic()
    stuck = [thread.name for thread in threads if thread.is_alive()]
    assert not stuck, f"threads made no progress for {JOIN_TIMEOUT} s: {stuck}"
    if errors:
        raise errors[0]


def test_shared_client_serves_2000_calls_from_16_threads_correctly(
    engine: FakeUsageEngine,
) -> None:
    fake = engine
    answers: dict[int, list[dict[str, Any]]] = {}
    lock = threading.Lock()
    with fake.api_client(retries=0, connection_pool_maxsize=POOL_SIZE) as client:
        api = UsageApi(client)

        def caller(thread_index: int) -> None:
            for index in range(thread_index, CALLS, THREADS):
                start, end, group_by = window(index)
                rows = api.get_token_usage_api_v2_usage_tokens_get(
                    start_time=start, end_time=end, group_by=list(group_by)
                )
                with lock:
                    answers[index] = [row.to_dict() for row in rows]

        run_threads(caller, lambda: fake.attempts)
        pool = client.rest_client.pool_manager.connection_from_url(fake.host)
        client_side_connections = pool.num_connections

    assert len(answers) == CALLS
    wrong = [i for i in range(CALLS) if answers[i] != expected(fake, i)]
    assert not wrong, f"{len(wrong)} calls got another call's answer, e.g. #{wrong[0]}"
    assert sum(1 for i in range(CALLS) if answers[i]) > CALLS // 2, "most windows have data"
    assert fake.attempts == CALLS
    assert 1 <= len(connections(fake)) <= POOL_SIZE
    assert client_side_connections <= POOL_SIZE


FAULTS = [
    Fault.reset(),
    Fault.drop(),
    Fault.truncate(),
    Fault.hang(),
    Fault.status(503),
    Fault.status(401),
    Fault.body("[{not json"),
    Fault.body("plain", "text/plain"),
    Fault.slow_body(0.05, chunk_size=1024),
]
ROUNDS = 3
CALLS_WITH_FAULTS = 400


def test_failures_under_load_poison_nothing(
    engine: FakeUsageEngine,
) -> None:
    fake = engine
    for fault in FAULTS * ROUNDS:
        fake.inject(fault)
    slow_body_faults = ROUNDS  # a body trickling within the read timeout is a success
    failures: list[ApiException] = []
    successes = 0
    lock = threading.Lock()
    with fake.api_client(retries=0, connection_pool_maxsize=POOL_SIZE) as client:
        api = UsageApi(client)

        def caller(thread_index: int) -> None:
            nonlocal successes
            for index in range(thread_index, CALLS_WITH_FAULTS, THREADS):
                start, end, group_by = window(index)
                try:
                    rows = api.get_token_usage_api_v2_usage_tokens_get(
                        start_time=start,
                        end_time=end,
                        group_by=list(group_by),
                        _request_timeout=(2, 0.5),
                    )
                except ApiException as exc:
                    with lock:
                        failures.append(exc)
                    continue
                assert [row.to_dict() for row in rows] == expected(fake, index)
                with lock:
                    successes += 1

        run_threads(caller, lambda: fake.attempts)
        assert fake.pending_faults == 0
        assert len(failures) == len(FAULTS) * ROUNDS - slow_body_faults
        assert successes == CALLS_WITH_FAULTS - len(failures)

        # Afterwards every connection in the pool is healthy: sequential calls all succeed
        # at once (a leaked connection would block, a poisoned one would fail).
        started = time.monotonic()
        for index in range(4 * POOL_SIZE):
            start, end, group_by = window(index)
            rows = api.get_token_usage_api_v2_usage_tokens_get(
                start_time=start, end_time=end, group_by=list(group_by), _retries=0
            )
            assert [row.to_dict() for row in rows] == expected(fake, index)
        assert time.monotonic() - started < 2.0
    assert len({type(exc).__name__ for exc in failures}) >= 4


def test_retries_from_many_threads_each_get_their_own_backoff(
    engine: FakeUsageEngine,
) -> None:
    fake = engine
    fake.inject(Fault.status(503), times=THREADS)
    delays: list[float] = []
    lock = threading.Lock()

    def sleep(seconds: float) -> None:
        with lock:
            delays.append(seconds)

    # Enough retries that even one thread meeting every 503 succeeds.
    policy = RetryPolicy(max_retries=THREADS, sleep=sleep, random=lambda: 0.0)
    with fake.api_client(retries=policy, connection_pool_maxsize=POOL_SIZE) as client:
        api = UsageApi(client)

        def caller(thread_index: int) -> None:
            start, end, group_by = window(thread_index)
            rows = api.get_token_usage_api_v2_usage_tokens_get(
                start_time=start, end_time=end, group_by=list(group_by)
            )
            assert [row.to_dict() for row in rows] == expected(fake, thread_index)

        run_threads(caller, lambda: fake.attempts)
    # 16 failed attempts, each retried after its own thread's backoff: 0.5 s, 1 s, 2 s...
    assert len(delays) == THREADS
    assert set(delays) <= {0.5, 1.0, 2.0, 4.0, 8.0}
    assert 0.5 in delays
    assert fake.attempts == 2 * THREADS
    assert len(connections(fake)) <= POOL_SIZE


@pytest.mark.parametrize("maxsize", [0, -1])
def test_a_pool_size_below_one_means_no_bound_not_a_hang(
    engine: FakeUsageEngine, maxsize: int
) -> None:
    # The generated client's urllib3 pool is unbounded for these sizes; it must not block.
    results: list[int] = []
    client = engine.api_client(connection_pool_maxsize=maxsize)

    def call() -> None:
        results.append(len(UsageApi(client).get_token_usage_api_v2_usage_tokens_get()))

    threads = [threading.Thread(target=call, daemon=True) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(JOIN_TIMEOUT)
    client.close()
    assert len(results) == 3 and all(results)
    assert len(connections(engine)) >= 1
