"""The fake's keys, roles and 401/403 answers, and what it records, against FastAPI in both modes.

Engine mode (the default of both) follows shared/reference/ENGINE_BEHAVIOUR.md; spec mode the
OpenAPI description.
"""

from __future__ import annotations

from datetime import datetime
from typing import Optional

import pytest
import urllib3
from _helpers import UTC
from _raw_http import RANGE, assert_same_answer, fetch
from conftest import EXTRA_KEYS, EngineServer

from _generated.testing import (
    ENDPOINT_PATH,
    REDACTED,
    FakeUsageEngine,
    UsageRecord,
)

# -- authentication ----------------------------------------------------------------------------

AUTH_CASES = [
    # header, status in engine mode and its detail, status in spec mode
    (None, 401, "Requires authentication", 401),
    ("Bearer wrong-token", 401, "Unauthorized", 401),
    ("Basic dXNlcjpwYXNz", 401, "Bad credentials", 401),
    ("Bearer", 401, "Bad credentials", 401),
    ("Bearer ", 401, "Bad credentials", 401),
    ("good", 200, None, 200),
]


@pytest.mark.parametrize(("auth", "engine_status", "engine_detail", "spec_status"), AUTH_CASES)
def test_auth_matches_fastapi(
    auth: Optional[str],
    engine_status: int,
    engine_detail: Optional[str],
    spec_status: int,
    shared_pair: tuple[FakeUsageEngine, EngineServer],
    http_pool: urllib3.PoolManager,
) -> None:
    fake_server, real_server = shared_pair
    fake = fetch(http_pool, fake_server, RANGE, auth=auth)
    real = fetch(http_pool, real_server, RANGE, auth=auth)
    assert_same_answer(fake, real)
    if fake_server.spec_mode:
        assert fake[0] == spec_status
        if spec_status == 401:
            assert fake[1] == {"detail": "Not authenticated"}
            assert fake[2].headers["WWW-Authenticate"] == real[2].headers["WWW-Authenticate"]
    else:
        assert fake[0] == engine_status
        if engine_detail is not None:
            assert fake[1] == {"detail": engine_detail}
    if fake[0] == 200:
        assert fake[1] != []


def test_keys_have_roles(
    sample_data: tuple[UsageRecord, ...], http_pool: urllib3.PoolManager
) -> None:
    tokens = {"key-a": "ORG-AUDITOR", "key-b": "TASK-ADMIN", "key-c": "tenant-user"}
    with FakeUsageEngine(sample_data, tokens=tokens) as engine:
        assert engine.token == "key-a"  # the first key that may read usage
        assert engine.tokens == {**tokens, "key-c": "TENANT-USER"}
        for key, status in [("key-a", 200), ("key-c", 200), ("key-b", 403), ("key-d", 401)]:
            answer = fetch(http_pool, engine, RANGE, auth=f"Bearer {key}")
            assert answer[0] == status, key
        assert [r.authorized for r in engine.requests] == [True, True, False, False]
    # token= is one more key, allowed to read; tokens= can give it another role
    with FakeUsageEngine(sample_data, "mine", tokens={"other": "TASK-ADMIN"}) as engine:
        assert engine.tokens == {"other": "TASK-ADMIN", "mine": "ORG-ADMIN"}
        assert fetch(http_pool, engine, RANGE)[0] == 200
        assert fetch(http_pool, engine, RANGE, auth="Bearer other")[0] == 403
    with FakeUsageEngine(sample_data, "mine", tokens={"mine": "TASK-ADMIN"}) as engine:
        assert fetch(http_pool, engine, RANGE)[0] == 403


def test_a_role_without_usage_read_gets_403_like_fastapi(
    shared_pair: tuple[FakeUsageEngine, EngineServer], http_pool: urllib3.PoolManager
) -> None:
    fake_server, real_server = shared_pair
    with FakeUsageEngine(
        fake_server.records,
        real_server.token,
        tokens=dict(EXTRA_KEYS),
        spec_mode=real_server.spec_mode,
    ) as fake:
        for key in (real_server.token, *EXTRA_KEYS):
            for query in (RANGE, "group_by=bogus"):
                mine = fetch(http_pool, fake, query, auth=f"Bearer {key}")
                real = fetch(http_pool, real_server, query, auth=f"Bearer {key}")
                assert_same_answer(mine, real)
                if query == RANGE:
                    assert mine[0] == (200 if key == real_server.token else 403)
                    assert mine[0] == 200 or mine[1] == {"detail": "Forbidden"}


def test_token_and_tokens_are_checked() -> None:
    with pytest.raises(ValueError, match="token"):
        FakeUsageEngine(token="")
    with pytest.raises(ValueError, match="token"):
        FakeUsageEngine(token="two words")
    with pytest.raises(ValueError, match="key of tokens"):
        FakeUsageEngine(tokens={" spaced": "ORG-ADMIN"})
    with pytest.raises(ValueError, match="roles"):
        FakeUsageEngine(tokens={"key": ""})
    with pytest.raises(TypeError, match="tokens"):
        FakeUsageEngine(tokens=["key"])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="spec_mode"):
        FakeUsageEngine(spec_mode="yes")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="seed"):
        FakeUsageEngine(seed="1")  # type: ignore[arg-type]
    secret = "s3cret-key-value"
    assert secret not in repr(FakeUsageEngine(tokens={secret: "ORG-ADMIN"}))


def test_scheme_is_case_insensitive(
    fake_engine: FakeUsageEngine, http_pool: urllib3.PoolManager
) -> None:
    status, _, _ = fetch(http_pool, fake_engine, auth=f"bEaReR {fake_engine.token}")
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
    engine_server: EngineServer, spec_server: EngineServer, http_pool: urllib3.PoolManager
) -> None:
    query = "start_time=2026-11-01T01:00:00%2B01:00&end_time=2026-11-02T00:00:00&group_by=task"
    for server, refused in ((engine_server, 400), (spec_server, 422)):
        server.reset()
        status, _, _ = fetch(http_pool, server, query)
        fetch(http_pool, server, "group_by=bogus")
        fetch(http_pool, server, "group_by=task")
        ok, bad, unbounded = server.received
        assert status == 200 and ok.status == 200 and bad.status == refused
        assert ok.raw_query == query
        assert ok.start == datetime(2026, 11, 1, tzinfo=UTC)
        assert ok.end == datetime(2026, 11, 2, tzinfo=UTC)
        assert ok.end_time is not None and ok.end_time.tzinfo is None  # naive as sent
        assert ok.group_by == ["task"] and bad.group_by is None
        assert ok.authorized and ok.headers["authorization"] == REDACTED
        if server.spec_mode:
            assert unbounded.start is not None and unbounded.end is not None
        else:
            assert unbounded.start is None and unbounded.end is None
