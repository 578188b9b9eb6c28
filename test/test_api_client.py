"""``ApiClient``: lifecycle, default headers, the request pipeline pieces callers use directly
(``param_serialize`` -> ``call_api`` -> ``response_deserialize``), and the helpers."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

import pytest
from _helpers import (
    NOV1,
    NOV3,
    TAG_HEADER,
    assert_rfc3339,
    call_tagged,
    expected_rows,
    query_values,
    received_with_tag,
    rows_of,
)

from _generated import (
    ApiClient,
    ApiResponse,
    ApiValueError,
    HTTPValidationError,
    LocationInner,
    ResponseValidationError,
    TokenUsageCount,
    TokenUsageResponse,
    TokenUsageScope,
    UsageApi,
    ValidationError,
)
from _generated import __version__ as sdk_version
from _generated.rest import RESTResponse

if TYPE_CHECKING:
    from conftest import EngineServer

    from _generated.testing import FakeUsageEngine

PATH = "/api/v2/usage/tokens"
RESPONSE_TYPES = {"200": "List[TokenUsageResponse]", "422": "HTTPValidationError"}


@pytest.fixture
def restore_default_client() -> Iterator[None]:
    saved = ApiClient._default
    try:
        yield
    finally:
        ApiClient._default = saved


# -- lifecycle --------------------------------------------------------------------------------


def test_context_manager_returns_the_client_and_releases_connections(
    engine_server: EngineServer,
) -> None:
    client = engine_server.api_client()
    with client as entered:
        assert entered is client
        UsageApi(client).get_token_usage_api_v2_usage_tokens_get(group_by=["task"])
        assert len(client.rest_client.pool_manager.pools) == 1
    assert len(client.rest_client.pool_manager.pools) == 0
    # a closed client opens new connections when used again
    rows = UsageApi(client).get_token_usage_api_v2_usage_tokens_get(start_time=NOV1, end_time=NOV3)
    assert rows
    client.close()


def test_one_client_can_be_shared_between_threads(engine_server: EngineServer) -> None:
    expected = expected_rows(engine_server.records, NOV1, NOV3, ["task"])
    results: list[Any] = []
    errors: list[BaseException] = []
    with engine_server.api_client() as client:
        api = UsageApi(client)

        def work() -> None:
            try:
                for _ in range(3):
                    rows = api.get_token_usage_api_v2_usage_tokens_get(
                        start_time=NOV1, end_time=NOV3, group_by=["task"]
                    )
                    results.append(rows_of(rows))
            except BaseException as exc:  # reported below
                errors.append(exc)

        threads = [threading.Thread(target=work) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    assert errors == []
    assert results == [expected] * 18


# -- default headers --------------------------------------------------------------------------


def test_user_agent_default_and_override(engine_server: EngineServer) -> None:
    with engine_server.api_client() as client:
        assert client.user_agent == f"genai-engine-usage-client/{sdk_version}/python"
        assert client.default_headers["User-Agent"] == client.user_agent
        api = UsageApi(client)
        _, received = call_tagged(engine_server, api.get_token_usage_api_v2_usage_tokens_get)
        assert received.headers["user-agent"] == client.user_agent

        client.user_agent = "billing-job/3.1"
        assert client.user_agent == "billing-job/3.1"
        _, received = call_tagged(engine_server, api.get_token_usage_api_v2_usage_tokens_get)
        assert received.headers["user-agent"] == "billing-job/3.1"


def test_default_headers_and_cookie_reach_the_server(engine_server: EngineServer) -> None:
    cfg = engine_server.configuration()
    with ApiClient(
        cfg, header_name="X-Tenant", header_value="acme", cookie="session=abc"
    ) as client:
        assert client.default_headers["X-Tenant"] == "acme"
        client.set_default_header("X-Team", "billing")
        assert client.default_headers["X-Team"] == "billing"
        _, received = call_tagged(
            engine_server, UsageApi(client).get_token_usage_api_v2_usage_tokens_get
        )
    assert received.headers["x-tenant"] == "acme"
    assert received.headers["x-team"] == "billing"
    assert received.headers["cookie"] == "session=abc"
    assert received.authorized is True


def test_per_call_headers_override_default_headers(engine_server: EngineServer) -> None:
    cfg = engine_server.configuration()
    with ApiClient(cfg, header_name="X-Team", header_value="default") as client:
        _, received = call_tagged(
            engine_server,
            UsageApi(client).get_token_usage_api_v2_usage_tokens_get,
            _headers={"X-Team": "override"},
        )
    assert received.headers["x-team"] == "override"


def test_a_per_call_header_replaces_a_default_one_whatever_the_case(
    fake_engine: FakeUsageEngine,
) -> None:
    with fake_engine.api_client() as client:
        client.set_default_header("X-Team", "default")
        UsageApi(client).get_token_usage_api_v2_usage_tokens_get(
            _headers={"x-team": "percall", "user-agent": "mine/1.0"}
        )
    (request,) = fake_engine.requests
    sent = [(name.lower(), value) for name, value in request.headers.items()]
    assert [value for name, value in sent if name == "x-team"] == ["percall"]
    assert [value for name, value in sent if name == "user-agent"] == ["mine/1.0"]


@pytest.mark.usefixtures("restore_default_client")
def test_get_default_and_set_default(engine_server: EngineServer) -> None:
    ApiClient.set_default(None)
    first = ApiClient.get_default()
    assert isinstance(first, ApiClient)
    assert ApiClient.get_default() is first
    with engine_server.api_client() as mine:
        ApiClient.set_default(mine)
        assert ApiClient.get_default() is mine
        assert UsageApi().api_client is mine
    first.close()


# -- param_serialize / call_api / response_deserialize ----------------------------------------


def test_param_serialize_returns_the_five_tuple(engine_server: EngineServer) -> None:
    with engine_server.api_client() as client:
        method, url, headers, body, post_params = client.param_serialize(
            method="GET",
            resource_path=PATH,
            query_params=[
                ("start_time", datetime(2026, 11, 1, 5, 45, tzinfo=timezone(timedelta(hours=5)))),
                ("group_by", [TokenUsageScope.RULE_TYPE, "task"]),
            ],
            header_params={"Accept": "application/json"},
            auth_settings=["API Key"],
            collection_formats={"group_by": "multi"},
        )
    assert method == "GET"
    assert url == (
        f"{engine_server.host}{PATH}"
        "?start_time=2026-11-01T05%3A45%3A00%2B05%3A00&group_by=rule_type&group_by=task"
    )
    assert headers["Authorization"] == f"Bearer {engine_server.token}"
    assert headers["Accept"] == "application/json"
    assert headers["User-Agent"].startswith("genai-engine-usage-client/")
    assert body is None
    assert post_params is None  # returned as given, as the generated client does


def test_param_serialize_request_auth_and_host_override(engine_server: EngineServer) -> None:
    with engine_server.api_client() as client:
        _, url, headers, _, _ = client.param_serialize(
            "GET",
            PATH,
            auth_settings=["API Key"],
            _host="http://127.0.0.1:9",
            _request_auth={"in": "header", "key": "X-Api-Key", "value": "k", "type": "api_key"},
        )
    assert url == f"http://127.0.0.1:9{PATH}"
    assert headers["X-Api-Key"] == "k"
    assert "Authorization" not in headers


def test_serialize_call_and_deserialize_by_hand(engine_server: EngineServer) -> None:
    with engine_server.api_client() as client:
        method, url, headers, _, _ = client.param_serialize(
            "GET",
            PATH,
            query_params=[("start_time", NOV1), ("end_time", NOV3), ("group_by", ["task"])],
            header_params={"Accept": "application/json", TAG_HEADER: "by-hand-1"},
            auth_settings=["API Key"],
            collection_formats={"group_by": "multi"},
        )
        response = client.call_api(method, url, header_params=headers, _request_timeout=(5, 30))
        assert isinstance(response, RESTResponse)
        assert response.status == 200
        assert response.data is not None  # read inside the attempt (docs/compatibility.md)
        result = client.response_deserialize(response, RESPONSE_TYPES)

    assert isinstance(result, ApiResponse)
    assert result.status_code == 200
    assert result.raw_data == response.data
    assert all(isinstance(row, TokenUsageResponse) for row in result.data)
    assert rows_of(result.data) == expected_rows(engine_server.records, NOV1, NOV3, ["task"])
    received = received_with_tag(engine_server, "by-hand-1")
    assert received.authorized is True
    assert query_values(received, "group_by") == ["task"]
    assert assert_rfc3339(query_values(received, "start_time")[0]) == NOV1


def test_response_deserialize_without_a_type_for_the_status_gives_no_data(
    engine_server: EngineServer,
) -> None:
    with engine_server.api_client() as client:
        response = client.call_api(
            "GET",
            engine_server.url(
                PATH
                + "?group_by=task&start_time=2026-11-01T00:00:00Z&end_time=2026-11-03T00:00:00Z"
            ),
            engine_server.auth_headers,
        )
        result = client.response_deserialize(response, {})
    assert result.status_code == 200
    assert result.data is None
    assert json.loads(result.raw_data)


# -- helpers ----------------------------------------------------------------------------------


def test_sanitize_for_serialization() -> None:
    client = ApiClient()
    try:
        plus_one = timezone(timedelta(hours=1))
        row = TokenUsageResponse(
            rule_type="PIIDataRule",
            count=TokenUsageCount(inference=1, eval_prompt=2, eval_completion=3),
        )
        sanitize = client.sanitize_for_serialization
        assert sanitize(None) is None
        assert sanitize(5) == 5 and sanitize("x") == "x" and sanitize(True) is True
        assert sanitize(datetime(2026, 11, 1, 12, tzinfo=plus_one)) == "2026-11-01T12:00:00+01:00"
        assert sanitize(datetime(2026, 11, 1, 12)) == "2026-11-01T12:00:00"  # isoformat()
        assert sanitize(date(2026, 11, 1)) == "2026-11-01"
        assert sanitize(TokenUsageScope.TASK) == "task"
        assert sanitize(Decimal("1.50")) == "1.50"
        assert sanitize([TokenUsageScope.RULE_TYPE, (1, date(2026, 1, 2))]) == [
            "rule_type",
            (1, "2026-01-02"),
        ]
        assert sanitize({"when": date(2026, 1, 2), "rows": [row]}) == {
            "when": "2026-01-02",
            "rows": [row.to_dict()],
        }
        assert sanitize(row) == {
            "rule_type": "PIIDataRule",
            "count": {
                "inference": 1,
                "eval_prompt": 2,
                "eval_completion": 3,
                "user_input": 1,
                "prompt": 2,
                "completion": 3,
            },
        }
        loc_error = ValidationError(
            loc=[LocationInner("query"), LocationInner(0)], msg="m", type="t"
        )
        assert sanitize(loc_error)["loc"] == ["query", 0]
    finally:
        client.close()


def test_deserialize_type_strings() -> None:
    client = ApiClient()
    try:
        body = json.dumps(
            [
                {
                    "rule_type": None,
                    "task_id": "t-1",
                    "count": {"inference": 4, "eval_prompt": 5, "eval_completion": 6},
                }
            ]
        )
        [row] = client.deserialize(body, "List[TokenUsageResponse]", "application/json")
        assert isinstance(row, TokenUsageResponse)
        assert (row.task_id, row.count.inference, row.count.user_input) == ("t-1", 4, 4)

        error = client.deserialize(
            b'{"detail": [{"loc": ["query", 0], "msg": "m", "type": "t"}]}',
            "HTTPValidationError",
            "application/json; charset=utf-8",
        )
        assert isinstance(error, HTTPValidationError)
        assert error.detail is not None
        assert error.detail[0].loc[1].actual_instance == 0

        assert client.deserialize("[1, 2]", "List[int]", None) == [1, 2]
        assert client.deserialize('{"a": 1}', "Dict[str, int]", "application/json") == {"a": 1}

        with pytest.raises(ResponseValidationError):
            client.deserialize("[{]", "List[TokenUsageResponse]", "application/json")
        with pytest.raises(ResponseValidationError):
            client.deserialize('[{"count": {}}]', "List[TokenUsageResponse]", "application/json")
    finally:
        client.close()


def test_parameters_to_tuples_collection_formats() -> None:
    client = ApiClient()
    try:
        params = [("a", ["x", "y"]), ("b", ["x", "y"]), ("c", "plain")]
        to_tuples = client.parameters_to_tuples
        assert to_tuples(params, {"a": "multi"}) == [
            ("a", "x"),
            ("a", "y"),
            ("b", ["x", "y"]),
            ("c", "plain"),
        ]
        assert to_tuples({"a": ["x", "y"]}, {"a": "csv"}) == [("a", "x,y")]
        assert to_tuples({"a": ["x", "y"]}, {"a": "ssv"}) == [("a", "x y")]
        assert to_tuples({"a": ["x", "y"]}, {"a": "tsv"}) == [("a", "x\ty")]
        assert to_tuples({"a": ["x", "y"]}, {"a": "pipes"}) == [("a", "x|y")]
        assert to_tuples({"a": 1}, None) == [("a", 1)]
    finally:
        client.close()


def test_parameters_to_url_query() -> None:
    client = ApiClient()
    try:
        query = client.parameters_to_url_query(
            [
                ("group_by", ["rule_type", "task"]),
                ("start_time", "2026-11-01T00:00:00+05:45"),
                ("flag", True),
                ("scope", TokenUsageScope.TASK),
                ("filter", {"k": "v"}),
            ],
            {"group_by": "multi"},
        )
        assert query.split("&")[:2] == ["group_by=rule_type", "group_by=task"]
        pairs = [part.split("=", 1) for part in query.split("&")]
        decoded = {key: unquote(value) for key, value in pairs[2:]}
        assert decoded == {
            "start_time": "2026-11-01T00:00:00+05:45",
            "flag": "true",
            "scope": "task",
            "filter": '{"k": "v"}',
        }
        assert "+" not in query and ":" not in query  # reserved characters are encoded
    finally:
        client.close()


def test_select_header_accept_and_content_type() -> None:
    client = ApiClient()
    try:
        assert client.select_header_accept([]) is None
        assert client.select_header_accept(["application/json"]) == "application/json"
        assert client.select_header_accept(["text/plain", "application/json"]) == (
            "application/json"
        )
        assert client.select_header_accept(["text/plain", "text/html"]) == "text/plain"
        assert client.select_header_content_type([]) is None
        assert client.select_header_content_type(["text/plain", "application/json"]) == (
            "application/json"
        )
        assert client.select_header_content_type(["application/xml"]) == "application/xml"
    finally:
        client.close()


def test_update_params_for_auth(engine_server: EngineServer) -> None:
    with engine_server.api_client() as client:
        headers: dict[str, Any] = {}
        queries: list[tuple[str, Any]] = []
        client.update_params_for_auth(headers, queries, ["API Key"], PATH, "GET", None)
        assert headers == {"Authorization": f"Bearer {engine_server.token}"}
        assert queries == []

        headers, queries = {}, []
        client.update_params_for_auth(headers, queries, [], PATH, "GET", None)
        assert headers == {} and queries == []

        headers, queries = {}, []
        client.update_params_for_auth(
            headers,
            queries,
            ["API Key"],
            PATH,
            "GET",
            None,
            request_auth={"in": "query", "key": "api_key", "value": "q", "type": "api_key"},
        )
        assert headers == {} and queries == [("api_key", "q")]

        headers = {}
        client.update_params_for_auth(
            headers,
            [],
            ["API Key"],  # without auth settings the generated client applies none
            PATH,
            "GET",
            None,
            request_auth={"in": "cookie", "key": "session", "value": "s=1", "type": "api_key"},
        )
        assert headers == {"Cookie": "session=s=1"}  # key=value, as the generated client

        with pytest.raises(ApiValueError):
            client.update_params_for_auth(
                {},
                [],
                ["API Key"],
                PATH,
                "GET",
                None,
                request_auth={"in": "body", "key": "k", "value": "v"},
            )

    with engine_server.api_client(access_token=None) as anonymous:
        headers = {}
        anonymous.update_params_for_auth(headers, [], ["API Key"], PATH, "GET", None)
        assert headers == {}


def test_files_parameters() -> None:
    client = ApiClient()
    try:
        assert client.files_parameters() == []
        assert client.files_parameters(None) == []
        assert client.files_parameters({}) == []
    finally:
        client.close()
