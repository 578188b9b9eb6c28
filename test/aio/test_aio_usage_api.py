"""The ``UsageApi`` end-to-end scenarios (test/test_usage_api.py) run against the async client.

Imported, not copied: the ``api`` fixture here is the async ``UsageApi`` on the FastAPI
engine (through :class:`BlockingUsageApi`), so each imported scenario, with both sides
asserted (what the server received, what the caller got), runs once more with
``_generated.aio``. The scenarios about urllib3 responses have async counterparts below.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import aiohttp
import pytest
from _helpers import expected_rows, rows_of
from test_usage_api import (  # noqa: F401  (collected here, with the async client)
    test_content_type_is_accepted_but_a_get_sends_none,
    test_extra_headers_reach_the_server,
    test_group_by_is_sent_as_repeated_parameters,
    test_group_by_omitted_is_not_sent_and_server_default_applies,
    test_host_index_zero_is_accepted,
    test_offset_with_seconds_is_sent_as_the_same_instant_in_utc,
    test_omitted_times_are_not_sent_and_the_server_uses_the_current_utc_day,
    test_other_host_indexes_are_rejected_before_the_network,
    test_plain_variant_returns_a_list_of_models,
    test_request_auth_in_another_header_removes_the_configured_authorization,
    test_request_auth_in_query_is_sent_in_the_query,
    test_request_auth_replaces_the_configured_token_for_one_call,
    test_request_timeout_accepts_seconds_or_a_connect_read_pair,
    test_start_is_inclusive_and_end_exclusive,
    test_time_arguments_arrive_as_rfc3339_with_the_same_instant,
)

from _generated import ApiArgumentError, aio
from _generated.exceptions import UnauthorizedException
from aio._aio_helpers import BlockingUsageApi, blocking_usage_api

if TYPE_CHECKING:
    from conftest import EngineServer

NOV1 = datetime(2026, 11, 1, tzinfo=timezone.utc)
NOV3 = datetime(2026, 11, 3, tzinfo=timezone.utc)


@pytest.fixture
def api(engine_server: EngineServer) -> Iterator[BlockingUsageApi]:
    """The async ``UsageApi`` talking to ``engine_server``, driven to completion per call."""
    with blocking_usage_api(engine_server.configuration()) as blocking:
        yield blocking


def test_methods_are_coroutine_functions_with_the_sync_signatures() -> None:
    import inspect

    from _generated import UsageApi

    for name in (
        "get_token_usage_api_v2_usage_tokens_get",
        "get_token_usage_api_v2_usage_tokens_get_with_http_info",
        "get_token_usage_api_v2_usage_tokens_get_without_preload_content",
    ):
        method = getattr(aio.UsageApi, name)
        assert inspect.iscoroutinefunction(method)
        assert inspect.signature(method) == inspect.signature(getattr(UsageApi, name))


def test_the_three_variants_agree(engine_server: EngineServer) -> None:
    async def scenario() -> None:
        async with aio.ApiClient(engine_server.configuration()) as client:
            api = aio.UsageApi(client)
            kwargs: dict[str, Any] = {"start_time": NOV1, "end_time": NOV3, "group_by": ["task"]}
            plain = await api.get_token_usage_api_v2_usage_tokens_get(**kwargs)
            info = await api.get_token_usage_api_v2_usage_tokens_get_with_http_info(**kwargs)
            raw = await api.get_token_usage_api_v2_usage_tokens_get_without_preload_content(
                **kwargs
            )
            assert isinstance(raw, aiohttp.ClientResponse)
            assert raw.status == 200
            raw_body = await raw.read()
            assert plain == info.data
            assert raw_body == info.raw_data
            assert rows_of(plain) == expected_rows(engine_server.records, NOV1, NOV3, ["task"])

    asyncio.run(scenario())


def test_without_preload_content_does_not_raise_for_error_statuses(
    spec_server: EngineServer,
) -> None:
    async def scenario() -> None:
        async with aio.ApiClient(spec_server.configuration(access_token=None)) as client:
            response = await aio.UsageApi(
                client
            ).get_token_usage_api_v2_usage_tokens_get_without_preload_content()
            try:
                assert response.status == 401
                assert json.loads(await response.read()) == {"detail": "Not authenticated"}
            finally:
                response.release()

    asyncio.run(scenario())


def test_one_except_clause_catches_both_clients_errors(engine_server: EngineServer) -> None:
    async def scenario() -> None:
        async with aio.ApiClient(engine_server.configuration(access_token="wrong")) as client:
            with pytest.raises(UnauthorizedException) as info:
                await aio.UsageApi(client).get_token_usage_api_v2_usage_tokens_get(
                    start_time=NOV1, end_time=NOV3
                )
            assert info.value.status == 401

    asyncio.run(scenario())


@pytest.mark.parametrize(
    "kwargs", [{"group_by": ["nope"]}, {"bogus": 1}, {"_request_auth": {"token": "x"}}]
)
def test_bad_arguments_fail_before_the_network_with_the_sync_clients_error(
    engine_server: EngineServer, kwargs: dict[str, Any]
) -> None:
    from _generated import UsageApi

    engine_server.reset()
    with engine_server.api_client() as sync_client, pytest.raises(ApiArgumentError) as sync:
        UsageApi(sync_client).get_token_usage_api_v2_usage_tokens_get(**kwargs)

    async def scenario() -> ApiArgumentError:
        async with aio.ApiClient(engine_server.configuration()) as client:
            with pytest.raises(ApiArgumentError) as info:
                await aio.UsageApi(client).get_token_usage_api_v2_usage_tokens_get(**kwargs)
            return info.value

    assert str(asyncio.run(scenario())) == str(sync.value)
    assert engine_server.received == []
