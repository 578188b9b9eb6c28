"""Errors a caller sees: HTTP error statuses, 422 bodies, and arguments refused before sending.

Statuses that the reference server produces itself (401, 422) come from it; the others are
served by ``FakeUsageEngine`` faults, with retries off so each test makes one attempt.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

import pydantic
import pytest
from _helpers import call_tagged_raises

from _generated import (
    ApiArgumentError,
    ApiException,
    ApiValueError,
    HTTPValidationError,
    OpenApiException,
    ResponseValidationError,
    UsageApi,
    ValidationError,
)
from _generated.exceptions import (
    BadRequestException,
    ConflictException,
    ForbiddenException,
    NotFoundException,
    ServiceException,
    TooManyRequestsException,
    UnauthorizedException,
    UnprocessableEntityException,
    render_path,
)
from _generated.testing import Fault

if TYPE_CHECKING:
    from conftest import EngineServer

    from _generated import ApiClient
    from _generated.testing import FakeUsageEngine

RESPONSE_TYPES = {"200": "List[TokenUsageResponse]", "422": "HTTPValidationError"}


def get(api: UsageApi) -> Any:
    return api.get_token_usage_api_v2_usage_tokens_get


# -- 401 --------------------------------------------------------------------------------------


def test_missing_token_raises_unauthorized_with_the_servers_answer(
    spec_server: EngineServer,
) -> None:
    with spec_server.api_client(access_token=None) as client:
        error, received = call_tagged_raises(
            spec_server, UnauthorizedException, get(UsageApi(client))
        )

    assert "authorization" not in received.headers
    assert received.status == 401
    assert isinstance(error, ApiException) and isinstance(error, OpenApiException)
    assert error.status == 401
    assert error.reason == "Unauthorized"
    assert json.loads(error.body) == {"detail": "Not authenticated"}
    assert error.headers is not None
    assert error.headers["WWW-Authenticate"] == "Bearer"
    assert error.data is None
    assert "401" in str(error) and "Not authenticated" in str(error)


def test_wrong_token_raises_unauthorized_without_echoing_the_token(
    engine_server: EngineServer,
) -> None:
    secret = "wrong-secret-0f9e8d7c"
    with engine_server.api_client(access_token=secret) as client:
        error, received = call_tagged_raises(
            engine_server, UnauthorizedException, get(UsageApi(client))
        )
    assert received.authorized is False
    assert error.status == 401
    for text in (str(error), repr(error), error.body or ""):
        assert secret not in text


# -- 422 from the reference server ------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "loc", "bad_input"),
    [
        ("group_by=bogus", ["query", "group_by", 0], "bogus"),
        ("group_by=rule_type&group_by=RULE_TYPE", ["query", "group_by", 1], "RULE_TYPE"),
        ("start_time=yesterday", ["query", "start_time"], "yesterday"),
        ("end_time=2026-13-01T00:00:00Z", ["query", "end_time"], "2026-13-01T00:00:00Z"),
    ],
)
def test_server_validation_error_raises_422_with_parsed_data(
    spec_server: EngineServer,
    api_client: ApiClient,
    query: str,
    loc: list[Any],
    bad_input: str,
) -> None:
    response = api_client.call_api(
        "GET", spec_server.url(f"/api/v2/usage/tokens?{query}"), spec_server.auth_headers
    )
    assert response.status == 422

    with pytest.raises(UnprocessableEntityException) as caught:
        api_client.response_deserialize(response, RESPONSE_TYPES)
    error = caught.value

    assert error.status == 422
    assert error.reason == HTTPStatus(422).phrase  # "Unprocessable Content" from Python 3.13 on
    assert error.headers is not None
    assert error.headers["content-type"] == "application/json"
    assert isinstance(error.data, HTTPValidationError)
    assert error.data.detail is not None
    [problem] = error.data.detail
    assert isinstance(problem, ValidationError)
    assert [step.actual_instance for step in problem.loc] == loc
    assert problem.input == bad_input
    assert problem.msg and problem.type
    # the body is the server's text, and the model holds all of it
    assert error.body is not None
    assert error.data.to_dict() == json.loads(error.body)
    assert response.data is not None and error.body == response.data.decode()


def test_422_body_that_is_not_the_documented_shape_still_raises_422(
    fake_engine: FakeUsageEngine,
) -> None:
    fake_engine.inject(Fault.status(422, body="<html>bad</html>", content_type="text/html"))
    with (
        fake_engine.api_client(retries=0) as client,
        pytest.raises(UnprocessableEntityException) as caught,
    ):
        get(UsageApi(client))()
    assert caught.value.status == 422
    assert caught.value.body == "<html>bad</html>"
    assert caught.value.data is None


def test_422_from_the_api_method_carries_the_model(fake_engine: FakeUsageEngine) -> None:
    body = {
        "detail": [
            {
                "type": "enum",
                "loc": ["query", "group_by", 0],
                "msg": "Input should be 'rule_type' or 'task'",
                "input": "x",
                "ctx": {"expected": "'rule_type' or 'task'"},
            }
        ]
    }
    fake_engine.inject(Fault.status(422, body=json.dumps(body)))
    with (
        fake_engine.api_client(retries=0) as client,
        pytest.raises(UnprocessableEntityException) as caught,
    ):
        UsageApi(client).get_token_usage_api_v2_usage_tokens_get_with_http_info()
    assert isinstance(caught.value.data, HTTPValidationError)
    assert caught.value.data.to_dict() == body


# -- every other status -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "exc_class"),
    [
        (400, BadRequestException),
        (403, ForbiddenException),
        (404, NotFoundException),
        (409, ConflictException),
        (429, TooManyRequestsException),
        (500, ServiceException),
        (502, ServiceException),
        (503, ServiceException),
        (504, ServiceException),
        (418, ApiException),
        (301, ApiException),
    ],
)
def test_each_error_status_raises_its_exception(
    fake_engine: FakeUsageEngine, status: int, exc_class: type[ApiException]
) -> None:
    body = json.dumps({"detail": f"status {status}"})
    fake_engine.inject(Fault.status(status, headers={"X-Error-Id": "e-1"}, body=body))
    with fake_engine.api_client(retries=0) as client, pytest.raises(exc_class) as caught:
        get(UsageApi(client))()

    error = caught.value
    assert type(error) is exc_class
    assert error.status == status
    assert error.reason  # the status phrase
    assert error.body == body
    assert error.headers is not None and error.headers["X-Error-Id"] == "e-1"
    assert error.data is None
    assert fake_engine.attempts == 1
    assert fake_engine.token not in str(error)


def test_too_many_requests_exposes_retry_after(fake_engine: FakeUsageEngine) -> None:
    fake_engine.inject(Fault.status(429, headers={"Retry-After": "7"}))
    with (
        fake_engine.api_client(retries=0) as client,
        pytest.raises(TooManyRequestsException) as caught,
    ):
        get(UsageApi(client))()
    assert caught.value.retry_after == 7.0


def test_error_statuses_raise_from_the_with_http_info_variant_too(
    fake_engine: FakeUsageEngine,
) -> None:
    fake_engine.inject(Fault.status(404))
    with fake_engine.api_client(retries=0) as client, pytest.raises(NotFoundException):
        UsageApi(client).get_token_usage_api_v2_usage_tokens_get_with_http_info()


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("<html><body>Gateway says hi</body></html>", "text/html"),
        ("[{]", "application/json"),
        ('{"rule_type": "x"}', "application/json"),
        ('[{"count": {"inference": "many"}}]', "application/json"),
    ],
)
def test_a_2xx_body_that_is_not_the_documented_json_raises_response_validation_error(
    fake_engine: FakeUsageEngine, body: str, content_type: str
) -> None:
    fake_engine.inject(Fault.body(body, content_type))
    with (
        fake_engine.api_client(retries=0) as client,
        pytest.raises(ResponseValidationError) as caught,
    ):
        get(UsageApi(client))()
    error = caught.value
    assert isinstance(error, ApiException)
    assert error.status == 200
    assert error.body == body
    assert error.headers is not None and error.headers["Content-Type"] == content_type


# -- invalid arguments: refused before any traffic --------------------------------------------

BAD_ARGUMENTS = [
    pytest.param("group_by", ["bogus"], id="group_by-unknown-value"),
    pytest.param("group_by", ["rule_type", "RULE_TYPE"], id="group_by-wrong-case"),
    pytest.param("group_by", "rule_type", id="group_by-bare-string"),
    pytest.param("group_by", 5, id="group_by-int"),
    pytest.param("group_by", [None], id="group_by-none-item"),
    pytest.param("start_time", "not a date", id="start_time-unparseable"),
    pytest.param("start_time", "2026-02-30", id="start_time-impossible-date"),
    pytest.param("end_time", "2026-11-01T25:00:00Z", id="end_time-bad-hour"),
    pytest.param("start_time", 1_700_000_000, id="start_time-int"),
    pytest.param("end_time", 3.5, id="end_time-float"),
    pytest.param("end_time", ["2026-11-01"], id="end_time-list"),
    pytest.param("_request_timeout", "soon", id="_request_timeout-str"),
    pytest.param("_request_timeout", (1, 2, 3), id="_request_timeout-triple"),
    pytest.param("_headers", ["X-A: b"], id="_headers-list"),
    pytest.param("_request_auth", "Bearer x", id="_request_auth-str"),
    pytest.param("_host_index", 3, id="_host_index-3"),
]


@pytest.mark.parametrize(("argument", "value"), BAD_ARGUMENTS)
def test_invalid_arguments_fail_before_the_network_naming_the_argument(
    engine_server: EngineServer, api: UsageApi, argument: str, value: Any
) -> None:
    engine_server.reset()
    with pytest.raises(ValueError) as as_value_error:
        get(api)(**{argument: value})
    with pytest.raises(pydantic.ValidationError) as as_pydantic_error:
        api.get_token_usage_api_v2_usage_tokens_get_with_http_info(**{argument: value})
    with pytest.raises(ApiArgumentError):
        api.get_token_usage_api_v2_usage_tokens_get_without_preload_content(**{argument: value})

    assert engine_server.received == []
    for error in (as_value_error.value, as_pydantic_error.value):
        assert isinstance(error, ApiArgumentError)
        assert isinstance(error, ApiValueError) and isinstance(error, OpenApiException)
        assert error.argument == argument
        assert argument in str(error)
        # pydantic's own text where the generated client has it, else this package's words
        assert "Input should be" in str(error) or "expected" in str(error)
        assert error.errors()[0]["loc"][0] == argument


def test_bad_request_auth_does_not_echo_its_value(
    engine_server: EngineServer, api: UsageApi
) -> None:
    secret = "Bearer do-not-print-me-4242"
    engine_server.reset()
    with pytest.raises(ApiArgumentError) as caught:
        get(api)(_request_auth={"value": secret})
    assert caught.value.argument == "_request_auth"
    assert "do-not-print-me-4242" not in str(caught.value)
    assert "do-not-print-me-4242" not in repr(caught.value)
    assert engine_server.received == []


def test_a_header_value_with_a_newline_is_refused_before_the_network(
    engine_server: EngineServer, api: UsageApi
) -> None:
    engine_server.reset()
    with pytest.raises(ValueError, match="X-Bad") as caught:
        get(api)(_headers={"X-Bad": "a\r\nInjected: yes"})
    assert "Injected" not in str(caught.value)
    assert engine_server.received == []


def test_valid_edge_arguments_are_not_refused(engine_server: EngineServer, api: UsageApi) -> None:
    # an empty group_by and a range that ends before it starts are the server's business
    start = datetime(2026, 11, 5, tzinfo=timezone.utc)
    rows = get(api)(start_time=start, end_time=datetime(2026, 11, 1), group_by=[])
    assert rows == []


# -- the classes themselves -------------------------------------------------------------------


def test_render_path_and_path_to_item_messages() -> None:
    from _generated import ApiAttributeError, ApiKeyError, ApiTypeError

    assert render_path(["detail", 0, "loc"]) == "['detail'][0]['loc']"
    assert render_path([]) == "" and render_path(None) == ""
    assert str(ApiValueError("bad", path_to_item=["a", 1])) == "bad at ['a'][1]"
    assert str(ApiTypeError("bad type", path_to_item=["x"])) == "bad type at ['x']"
    assert "['k']" in str(ApiKeyError("missing", path_to_item=["k"]))
    assert str(ApiAttributeError("no attr")) == "no attr"
    assert isinstance(ApiTypeError("m"), TypeError)
    assert isinstance(ApiKeyError("m"), KeyError)
    assert isinstance(ApiAttributeError("m"), AttributeError)
    assert isinstance(ApiValueError("m"), ValueError)


def test_api_exception_built_by_hand_formats_like_the_generated_one() -> None:
    error = ApiException(status=503, reason="Service Unavailable")
    assert error.status == 503 and error.reason == "Service Unavailable"
    assert error.body is None and error.data is None and error.headers is None
    assert str(error).startswith("(503)\nReason: Service Unavailable\n")


# -- errors cross process boundaries ------------------------------------------------------------


def _raised(fake_engine: FakeUsageEngine, fault: Any, **kwargs: Any) -> BaseException:
    if fault is not None:
        fake_engine.inject(fault)
    with fake_engine.api_client(retries=0) as client, pytest.raises(OpenApiException) as caught:
        get(UsageApi(client))(**kwargs)
    return caught.value


@pytest.mark.parametrize(
    ("fault", "kwargs"),
    [
        pytest.param(Fault.status(401), {}, id="401"),
        pytest.param(Fault.status(400, body='{"detail": "bad start"}'), {}, id="400"),
        pytest.param(Fault.body("not json"), {}, id="response-validation"),
        pytest.param(Fault.drop(), {}, id="connection"),
        pytest.param(None, {"group_by": ["user"]}, id="argument"),
        pytest.param(None, {"_request_timeout": "soon"}, id="argument-own-text"),
    ],
)
def test_errors_survive_pickling_and_deepcopy(
    fake_engine: FakeUsageEngine, fault: Any, kwargs: dict[str, Any]
) -> None:
    # A process pool (fetching windows in workers) pickles what a worker raises.
    import copy
    import pickle

    error = _raised(fake_engine, fault, **kwargs)
    for again in (pickle.loads(pickle.dumps(error)), copy.deepcopy(error)):
        assert type(again) is type(error)
        assert str(again) == str(error) and repr(again) == repr(error)
        for name in ("status", "reason", "body", "detail", "host", "argument"):
            assert getattr(again, name, None) == getattr(error, name, None)


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_a_401_after_a_redirect_to_another_origin_names_that_origin(
    fake_engine: FakeUsageEngine, status: int
) -> None:
    import asyncio
    import pickle

    from _generated import aio
    from _generated.testing import FakeUsageEngine as Engine

    with Engine() as elsewhere:
        fake_engine.inject(Fault.status(status, headers={"Location": elsewhere.url()}), times=2)
        client = fake_engine.api_client(retries=0)
        with client, pytest.raises(UnauthorizedException) as sync_error:
            UsageApi(client).get_token_usage_api_v2_usage_tokens_get()

        async def call() -> None:
            async with aio.ApiClient(fake_engine.configuration(retries=0)) as client:
                await aio.UsageApi(client).get_token_usage_api_v2_usage_tokens_get()

        with pytest.raises(UnauthorizedException) as async_error:
            asyncio.run(call())
        # The token was not sent there: the 401 is the redirect's doing, and says where.
        assert not elsewhere.requests[0].authorized
        there = elsewhere.host
    for error in (sync_error.value, async_error.value):
        assert error.redirected_to == there
        assert pickle.loads(pickle.dumps(error)).redirected_to == there


def test_an_error_without_a_redirect_elsewhere_has_no_redirect_attribute(
    fake_engine: FakeUsageEngine,
) -> None:
    # A same-origin redirect (the trailing slash's 307) is not one: vars stay the generator's.
    fake_engine.inject(Fault.status(307, headers={"Location": fake_engine.url()}))
    fake_engine.inject(Fault.status(503))
    client = fake_engine.api_client(retries=0)
    with client, pytest.raises(ApiException) as caught:
        UsageApi(client).get_token_usage_api_v2_usage_tokens_get()
    assert caught.value.status == 503 and caught.value.redirected_to is None
    assert "redirected_to" not in vars(caught.value)


@pytest.mark.parametrize(
    ("asked", "final", "redirected"),
    [
        ("http://example.com:80", "http://Example.COM/api", None),  # aiohttp drops :80
        ("https://example.com", "https://example.com:443/api", None),
        ("http://example.com", "/api/v2/usage/tokens?x=1", None),  # urllib3, no redirect
        ("http://example.com", "https://example.com/api", "https://example.com"),
        ("http://example.com", "http://example.com:8080/api", "http://example.com:8080"),
    ],
)
def test_a_redirect_elsewhere_is_told_by_origin_not_by_spelling(
    asked: str, final: str, redirected: Any
) -> None:
    from types import SimpleNamespace

    from _generated.rest import RESTResponse

    answer = SimpleNamespace(status=401, reason="Unauthorized", url=final, headers={})
    assert RESTResponse(answer, asked).redirected_origin() == redirected  # type: ignore[arg-type]
