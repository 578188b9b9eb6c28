"""A server that echoes the credential it was sent (in a reason, header or body) does not get
it into the SDK's exception text, the reports' errors or the CLI's output.

The credential is replaced in the exception's attributes (``reason``, ``body``, ``headers``,
``detail``), so neither ``str()``, ``repr()``, a traceback, a pickle nor a log line holds it,
and the exception does not keep it either. Against ``FakeUsageEngine`` on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import json
import pickle
import sys
import traceback
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from _helpers import END, START

from _generated import ApiClient, Configuration, UsageApi
from _generated.exceptions import (
    ApiException,
    BadRequestException,
    ResponseValidationError,
    UnauthorizedException,
)
from _generated.reports import fetch_usage
from _generated.testing import FakeUsageEngine, Fault

sys.path.insert(0, str(Path(__file__).parent / "cli"))
from cli_helpers import RANGE, engine_env, run_cli

TOKEN = f"echoed-{uuid.uuid4().hex}"
ECHOES = {
    "401 detail": Fault.status(401, body=json.dumps({"detail": f"bad token {TOKEN}"})),
    "400 detail": Fault.status(400, body=json.dumps({"detail": f"Bearer {TOKEN} is not valid"})),
    "header": Fault.status(403, headers={"X-Seen-Authorization": f"Bearer {TOKEN}"}),
    "bad 200 body": Fault.status(200, body=f'{{"you sent": "{TOKEN}"}}'),
    # Short enough for pydantic to quote whole in the parse error chained to the SDK's.
    "bad 200 body, short": Fault.status(200, body=f'"{TOKEN}"'),
    "bad 200 row": Fault.status(200, body=f'[{{"k": "Bearer {TOKEN}"}}]'),
}


@pytest.fixture
def engine() -> Iterator[FakeUsageEngine]:
    with FakeUsageEngine(token=TOKEN) as fake:
        yield fake


def shown(exc: BaseException) -> str:
    """What a user sees of an exception: str, repr and the formatted traceback."""
    detail = getattr(exc, "detail", None)
    parts = [str(exc), repr(exc), "".join(traceback.format_exception(exc)), str(detail or "")]
    return "\n".join(parts)


@pytest.mark.parametrize("echo", list(ECHOES))
def test_the_sync_client_blanks_an_echoed_token(engine: FakeUsageEngine, echo: str) -> None:
    engine.inject(ECHOES[echo])
    api = UsageApi(ApiClient(engine.configuration(retries=0)))
    with pytest.raises(ApiException) as info:
        api.get_token_usage_api_v2_usage_tokens_get(start_time=START, end_time=END)
    text = shown(info.value) + repr(vars(info.value))
    assert TOKEN not in text
    assert "[redacted]" in text
    assert TOKEN not in str(pickle.loads(pickle.dumps(info.value)).__dict__)


def test_the_kinds_of_error_are_unchanged(engine: FakeUsageEngine) -> None:
    api = UsageApi(ApiClient(engine.configuration(retries=0)))
    for echo, kind in (
        ("401 detail", UnauthorizedException),
        ("400 detail", BadRequestException),
        ("bad 200 body", ResponseValidationError),
    ):
        engine.inject(ECHOES[echo])
        with pytest.raises(kind) as info:
            api.get_token_usage_api_v2_usage_tokens_get(start_time=START, end_time=END)
        assert TOKEN not in str(info.value)
    engine.inject(ECHOES["400 detail"])
    with pytest.raises(BadRequestException) as bad:
        api.get_token_usage_api_v2_usage_tokens_get(start_time=START, end_time=END)
    assert bad.value.detail == "Bearer [redacted] is not valid"


@pytest.mark.parametrize("echo", ["401 detail", "bad 200 body"])
def test_the_async_client_blanks_an_echoed_token(engine: FakeUsageEngine, echo: str) -> None:
    pytest.importorskip("aiohttp")
    from _generated import aio

    async def call() -> None:
        async with aio.ApiClient(engine.configuration(retries=0)) as client:
            await aio.UsageApi(client).get_token_usage_api_v2_usage_tokens_get(
                start_time=START, end_time=END
            )

    engine.inject(ECHOES[echo])
    with pytest.raises(ApiException) as info:
        asyncio.run(call())
    assert TOKEN not in shown(info.value)


def test_a_report_window_with_an_echoed_token_in_a_bad_body(engine: FakeUsageEngine) -> None:
    engine.inject(ECHOES["bad 200 body"])
    client = ApiClient(engine.configuration(retries=0))
    with pytest.raises(ApiException) as info:
        fetch_usage(client, START, END, workers=1)
    assert TOKEN not in shown(info.value)
    cause = info.value.__cause__ or info.value.__context__
    while cause is not None:
        assert TOKEN not in str(cause) and TOKEN not in repr(cause)
        cause = cause.__cause__ or cause.__context__


def test_a_configured_password_and_api_key_are_blanked_too(engine: FakeUsageEngine) -> None:
    secret = f"key-{uuid.uuid4().hex}"
    engine.inject(Fault.status(401, body=json.dumps({"detail": f"{secret} is wrong"})))
    config = Configuration(host=engine.host, api_key={"API Key": secret}, retries=0)
    with pytest.raises(UnauthorizedException) as info:
        UsageApi(ApiClient(config)).get_token_usage_api_v2_usage_tokens_get(
            start_time=START, end_time=END
        )
    assert secret not in shown(info.value)


def test_the_cli_never_prints_an_echoed_token(engine: FakeUsageEngine) -> None:
    body = json.dumps({"detail": f"the token {TOKEN} is not valid"})
    engine.inject(Fault.status(400, body=body), times=10)
    result = run_cli("tokens", *RANGE, "--no-cache", env=engine_env(engine))
    assert result.returncode != 0
    assert TOKEN not in result.stdout + result.stderr
    assert "the token [redacted] is not valid" in result.stderr


@pytest.mark.parametrize(
    "flags",
    [
        ["--format", "table"],
        ["--format", "csv"],
        ["--format", "json"],
        ["--format", "html"],
        ["--format", "table", "--price", "inference=2/1M"],
        ["--format", "table", "--compare", "previous"],
    ],
    ids=["table", "csv", "json", "html", "cost-table", "compare-table"],
)
def test_the_cli_output_never_holds_a_token_echoed_as_a_group_name(
    engine: FakeUsageEngine, flags: list[str]
) -> None:
    # CSV is streamed window by window; the others are rendered from the whole report. The
    # tables cut a long name to 80 columns: blanked before the cut, no start of it shows.
    count = {"inference": 1, "eval_prompt": 2, "eval_completion": 3}
    row = {"rule_type": f"Bearer {TOKEN}", "task_id": f"task-{TOKEN}", "count": count}
    engine.inject(Fault.body(json.dumps([row])), times=10)
    group_by = ["--group-by", "rule_type", "--group-by", "task"]
    result = run_cli(
        "tokens", *RANGE, "--no-cache", *flags, *group_by, "-q", env=engine_env(engine)
    )
    assert result.returncode == 0, result.stderr
    assert TOKEN[:12] not in result.stdout + result.stderr
    assert "[redacted]" in result.stdout


@pytest.mark.parametrize("how", ["_headers", "_request_auth"])
def test_a_token_passed_for_one_call_is_blanked_too(engine: FakeUsageEngine, how: str) -> None:
    # The engine checks the configured token; a per-call one is echoed in its 401.
    per_call = f"call-{uuid.uuid4().hex}"
    engine.inject(Fault.status(401, body=json.dumps({"detail": f"unknown token {per_call}"})))
    passed = (
        {"_headers": {"Authorization": f"Bearer {per_call}"}}
        if how == "_headers"
        else {
            "_request_auth": {"in": "header", "key": "Authorization", "value": f"Bearer {per_call}"}
        }
    )
    api = UsageApi(ApiClient(engine.configuration(retries=0)))
    with pytest.raises(UnauthorizedException) as info:
        api.get_token_usage_api_v2_usage_tokens_get(start_time=START, end_time=END, **passed)
    assert per_call not in shown(info.value) + repr(vars(info.value))
    assert "unknown token [redacted]" in str(info.value)


def test_the_async_client_blanks_a_token_passed_for_one_call(engine: FakeUsageEngine) -> None:
    pytest.importorskip("aiohttp")
    from _generated import aio

    per_call = f"call-{uuid.uuid4().hex}"
    engine.inject(Fault.status(401, body=json.dumps({"detail": f"unknown token {per_call}"})))

    async def call() -> None:
        async with aio.ApiClient(engine.configuration(retries=0)) as client:
            await aio.UsageApi(client).get_token_usage_api_v2_usage_tokens_get_with_http_info(
                start_time=START, end_time=END, _headers={"Authorization": f"Bearer {per_call}"}
            )

    with pytest.raises(UnauthorizedException) as info:
        asyncio.run(call())
    assert per_call not in shown(info.value) + repr(vars(info.value))
