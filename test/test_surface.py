"""The public surface of API_SURFACE.md, name by name: code written against the
OpenAPI-Generator client of this endpoint must find every module, class, function,
keyword argument and attribute it uses."""

from __future__ import annotations

import importlib
import inspect
import typing
from typing import TYPE_CHECKING, Any

import pydantic
import pytest
import urllib3

import _generated
from _generated.testing import Fault

if TYPE_CHECKING:
    from conftest import EngineServer

    from _generated.testing import FakeUsageEngine

PACKAGE_EXPORTS = [
    "Configuration",
    "ApiClient",
    "ApiResponse",
    "UsageApi",
    "OpenApiException",
    "ApiException",
    "ApiTypeError",
    "ApiValueError",
    "ApiKeyError",
    "ApiAttributeError",
    "TokenUsageResponse",
    "TokenUsageCount",
    "TokenUsageScope",
    "HTTPValidationError",
    "ValidationError",
    "LocationInner",
    "__version__",
]

MODULE_NAMES: dict[str, list[str]] = {
    "_generated.configuration": [
        "Configuration",
        "AuthSettings",
        "BearerAuthSetting",
        "BearerFormatAuthSetting",
        "BasicAuthSetting",
        "APIKeyAuthSetting",
        "GenericAuthSetting",
        "HostSetting",
        "HostSettingVariable",
        "ServerVariablesT",
    ],
    "_generated.api_client": ["ApiClient", "RequestSerialized"],
    "_generated.api_response": ["ApiResponse"],
    "_generated.rest": ["RESTClientObject", "RESTResponse", "RESTResponseType", "ApiException"],
    "_generated.exceptions": [
        "OpenApiException",
        "ApiException",
        "BadRequestException",
        "UnauthorizedException",
        "ForbiddenException",
        "NotFoundException",
        "ConflictException",
        "UnprocessableEntityException",
        "ServiceException",
        "ApiTypeError",
        "ApiValueError",
        "ApiKeyError",
        "ApiAttributeError",
        "render_path",
    ],
    "_generated.api": ["UsageApi"],
    "_generated.api.usage_api": ["UsageApi"],
    "_generated.models": [
        "TokenUsageResponse",
        "TokenUsageCount",
        "TokenUsageScope",
        "HTTPValidationError",
        "ValidationError",
        "LocationInner",
    ],
    "_generated.models.token_usage_response": ["TokenUsageResponse"],
    "_generated.models.token_usage_count": ["TokenUsageCount"],
    "_generated.models.token_usage_scope": ["TokenUsageScope"],
    "_generated.models.http_validation_error": ["HTTPValidationError"],
    "_generated.models.validation_error": ["ValidationError"],
    "_generated.models.location_inner": ["LocationInner"],
}

CONFIGURATION_KWARGS = [
    "host",
    "api_key",
    "api_key_prefix",
    "username",
    "password",
    "access_token",
    "server_index",
    "server_variables",
    "server_operation_index",
    "server_operation_variables",
    "ignore_operation_servers",
    "ssl_ca_cert",
    "retries",
    "ca_cert_data",
    "cert_file",
    "key_file",
    "verify_ssl",
    "assert_hostname",
    "tls_server_name",
    "connection_pool_maxsize",
    "proxy",
    "no_proxy",
    "proxy_headers",
    "proxy_ssl_context",
    "safe_chars_for_path_param",
    "client_side_validation",
    "socket_options",
    "datetime_format",
    "date_format",
    "debug",
]
OPERATION_PARAMETERS = [
    "start_time",
    "end_time",
    "group_by",
    "_request_timeout",
    "_request_auth",
    "_content_type",
    "_headers",
    "_host_index",
]
OPERATIONS = [
    "get_token_usage_api_v2_usage_tokens_get",
    "get_token_usage_api_v2_usage_tokens_get_with_http_info",
    "get_token_usage_api_v2_usage_tokens_get_without_preload_content",
]
STATUS_EXCEPTIONS = {
    400: "BadRequestException",
    401: "UnauthorizedException",
    403: "ForbiddenException",
    404: "NotFoundException",
    409: "ConflictException",
    422: "UnprocessableEntityException",
    500: "ServiceException",
    502: "ServiceException",
    503: "ServiceException",
    599: "ServiceException",
    418: "ApiException",
}


def optional_keywords(func: Any) -> dict[str, inspect.Parameter]:
    """Parameters of ``func`` that can be passed by keyword and have a default."""
    return {
        name: p
        for name, p in inspect.signature(func).parameters.items()
        if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and p.default is not p.empty
    }


# -- modules and names ------------------------------------------------------------------------


@pytest.mark.parametrize("name", PACKAGE_EXPORTS)
def test_package_exports(name: str) -> None:
    assert name in _generated.__all__
    assert getattr(_generated, name) is not None


def test_version_is_a_string() -> None:
    assert isinstance(_generated.__version__, str) and _generated.__version__


@pytest.mark.parametrize(("module", "names"), MODULE_NAMES.items(), ids=list(MODULE_NAMES))
def test_module_names(module: str, names: list[str]) -> None:
    mod = importlib.import_module(module)
    for name in names:
        assert getattr(mod, name, None) is not None, f"{module}.{name}"
        if name in _generated.__all__:
            exported = getattr(_generated, name)
            assert getattr(mod, name) is exported, f"{module}.{name} is another object"


def test_names_resolve_to_one_object_everywhere() -> None:
    from _generated.api.usage_api import UsageApi
    from _generated.exceptions import ApiException
    from _generated.models.token_usage_response import TokenUsageResponse
    from _generated.rest import ApiException as RestApiException

    assert _generated.UsageApi is UsageApi is _generated.api.UsageApi
    assert _generated.ApiException is ApiException is RestApiException
    assert (
        _generated.TokenUsageResponse is TokenUsageResponse is _generated.models.TokenUsageResponse
    )


def test_type_aliases() -> None:
    from _generated.api_client import RequestSerialized
    from _generated.rest import RESTResponseType

    assert typing.get_origin(RequestSerialized) is tuple
    assert len(typing.get_args(RequestSerialized)) == 5
    assert RESTResponseType is urllib3.HTTPResponse
    assert set(typing.get_type_hints(_generated.configuration.HostSetting)) >= {
        "url",
        "description",
    }
    bearer = typing.get_type_hints(_generated.configuration.BearerAuthSetting)
    assert set(bearer) == {"type", "in", "key", "value"}


# -- Configuration ----------------------------------------------------------------------------


def test_configuration_keyword_arguments() -> None:
    keywords = optional_keywords(_generated.Configuration)
    missing = [name for name in CONFIGURATION_KWARGS if name not in keywords]
    assert missing == []
    assert keywords["host"].default is None  # None means http://localhost


def test_configuration_attributes_properties_and_methods() -> None:
    cfg = _generated.Configuration(access_token="t")
    for name in CONFIGURATION_KWARGS:
        assert hasattr(cfg, name), name
    for prop in ("host", "debug", "logger_file", "logger_format"):
        assert isinstance(inspect.getattr_static(_generated.Configuration, prop), property), prop
    for method in (
        "auth_settings",
        "get_api_key_with_prefix",
        "get_basic_auth_token",
        "to_debug_report",
        "get_host_settings",
        "get_host_from_settings",
    ):
        assert callable(getattr(cfg, method)), method
    for classmethod_name in ("set_default", "get_default", "get_default_copy"):
        attr = inspect.getattr_static(_generated.Configuration, classmethod_name)
        assert isinstance(attr, classmethod), classmethod_name
    assert list(inspect.signature(cfg.get_api_key_with_prefix).parameters) == [
        "identifier",
        "alias",
    ]
    assert list(inspect.signature(cfg.get_host_from_settings).parameters) == [
        "index",
        "variables",
        "servers",
    ]
    assert cfg.auth_settings() == {
        "API Key": {"type": "bearer", "in": "header", "key": "Authorization", "value": "Bearer t"}
    }
    assert _generated.Configuration().auth_settings() == {}
    with pytest.raises(ValueError):
        cfg.get_host_from_settings(3)


# -- ApiClient --------------------------------------------------------------------------------


def test_api_client_signature_and_methods() -> None:
    assert list(optional_keywords(_generated.ApiClient)) == [
        "configuration",
        "header_name",
        "header_value",
        "cookie",
    ]
    client = _generated.ApiClient(_generated.Configuration())
    try:
        assert isinstance(client.default_headers, dict)
        assert isinstance(client.user_agent, str)
        for method in (
            "set_default_header",
            "param_serialize",
            "call_api",
            "response_deserialize",
            "sanitize_for_serialization",
            "deserialize",
            "parameters_to_tuples",
            "parameters_to_url_query",
            "select_header_accept",
            "select_header_content_type",
            "update_params_for_auth",
            "files_parameters",
            "__enter__",
            "__exit__",
        ):
            assert callable(getattr(client, method)), method
        for classmethod_name in ("get_default", "set_default"):
            attr = inspect.getattr_static(_generated.ApiClient, classmethod_name)
            assert isinstance(attr, classmethod), classmethod_name
        # The generated parameters, in order; this package's additions are keyword-only.
        parameters = inspect.signature(client.call_api).parameters
        assert [name for name, p in parameters.items() if p.kind is not p.KEYWORD_ONLY] == [
            "method",
            "url",
            "header_params",
            "body",
            "post_params",
            "_request_timeout",
        ]
        assert list(inspect.signature(client.response_deserialize).parameters) == [
            "response_data",
            "response_types_map",
        ]
        assert list(inspect.signature(client.deserialize).parameters) == [
            "response_text",
            "response_type",
            "content_type",
        ]
        param_serialize = inspect.signature(client.param_serialize).parameters
        for name in (
            "method",
            "resource_path",
            "path_params",
            "query_params",
            "header_params",
            "body",
            "post_params",
            "files",
            "auth_settings",
            "collection_formats",
            "_host",
            "_request_auth",
        ):
            assert name in param_serialize, name
    finally:
        client.close()


def test_api_response_fields() -> None:
    assert set(_generated.ApiResponse.model_fields) == {
        "status_code",
        "headers",
        "data",
        "raw_data",
    }
    response = _generated.ApiResponse[list[int]](
        status_code=200, headers={"a": "b"}, data=[1], raw_data=b"[1]"
    )
    assert (response.status_code, response.headers, response.data, response.raw_data) == (
        200,
        {"a": "b"},
        [1],
        b"[1]",
    )


def test_rest_response_interface(engine_server: EngineServer) -> None:
    from _generated.rest import RESTResponse

    with engine_server.api_client() as client:
        response = client.call_api(
            "GET",
            engine_server.url("/api/v2/usage/tokens?group_by=task"),
            engine_server.auth_headers,
        )
        assert isinstance(response, RESTResponse)
        assert response.status == 200
        assert response.reason == "OK"
        assert response.data is not None  # read inside the attempt (docs/compatibility.md)
        body = response.read()
        assert isinstance(body, bytes) and body.startswith(b"[")
        assert response.data == body
        assert response.read() == body  # read once, then cached
        assert response.headers["Content-Type"] == "application/json"
        assert response.getheaders()["content-type"] == "application/json"
        assert response.getheader("Content-Length") == str(len(body))
        assert response.getheader("X-Absent") is None
        assert response.getheader("X-Absent", "fallback") == "fallback"


# -- exceptions -------------------------------------------------------------------------------


def test_exception_hierarchy() -> None:
    from _generated import exceptions as exc

    assert issubclass(exc.ApiException, exc.OpenApiException)
    for name in set(STATUS_EXCEPTIONS.values()):
        assert issubclass(getattr(exc, name), exc.ApiException), name
    assert issubclass(exc.ApiTypeError, (exc.OpenApiException, TypeError))
    assert issubclass(exc.ApiValueError, exc.OpenApiException)
    assert issubclass(exc.ApiValueError, ValueError)
    assert issubclass(exc.ApiKeyError, KeyError)
    assert issubclass(exc.ApiAttributeError, AttributeError)
    # argument errors: ValueError and pydantic's ValidationError at once
    assert issubclass(exc.ApiArgumentError, exc.ApiValueError)
    assert issubclass(exc.ApiArgumentError, pydantic.ValidationError)
    assert exc.render_path(["a", 0]) == "['a'][0]"


@pytest.mark.parametrize(("status", "name"), STATUS_EXCEPTIONS.items())
def test_from_response_raises_the_class_for_the_status(
    fake_engine: FakeUsageEngine, status: int, name: str
) -> None:
    from _generated import exceptions as exc

    fake_engine.inject(Fault.status(status, body='{"detail": "x"}'))
    with fake_engine.api_client(retries=0) as client:
        response = client.call_api(
            "GET", fake_engine.url(), {"Authorization": f"Bearer {fake_engine.token}"}
        )
        response.read()
        with pytest.raises(exc.ApiException) as caught:
            exc.ApiException.from_response(http_resp=response, body='{"detail": "x"}', data=None)
    assert type(caught.value).__name__ == name
    assert caught.value.status == status
    assert caught.value.body == '{"detail": "x"}'
    assert caught.value.headers is not None


# -- UsageApi ---------------------------------------------------------------------------------


def test_usage_api_constructor_and_operations() -> None:
    assert list(optional_keywords(_generated.UsageApi)) == ["api_client"]
    for operation in OPERATIONS:
        method = getattr(_generated.UsageApi, operation)
        keywords = optional_keywords(method)
        assert list(keywords)[: len(OPERATION_PARAMETERS)] == OPERATION_PARAMETERS, operation
        for name in OPERATION_PARAMETERS:
            assert keywords[name].default in (None, 0), (operation, name)
        assert keywords["_host_index"].default == 0
        assert method.__doc__


# -- models -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "TokenUsageResponse",
        "TokenUsageCount",
        "HTTPValidationError",
        "ValidationError",
        "LocationInner",
    ],
)
def test_model_methods(name: str) -> None:
    model = getattr(_generated, name)
    assert issubclass(model, pydantic.BaseModel)
    for method in ("to_dict", "to_json", "to_str"):
        assert callable(getattr(model, method)), method
    for class_method in ("from_dict", "from_json"):
        assert isinstance(inspect.getattr_static(model, class_method), classmethod), class_method


def test_model_fields() -> None:
    assert set(_generated.TokenUsageResponse.model_fields) == {"rule_type", "task_id", "count"}
    assert set(_generated.TokenUsageCount.model_fields) == {
        "inference",
        "eval_prompt",
        "eval_completion",
        "user_input",
        "prompt",
        "completion",
    }
    assert set(_generated.HTTPValidationError.model_fields) == {"detail"}
    assert set(_generated.ValidationError.model_fields) == {"loc", "msg", "type", "input", "ctx"}
    assert set(_generated.LocationInner.model_fields) == {
        "actual_instance",
        "anyof_schema_1_validator",
        "anyof_schema_2_validator",
        "any_of_schemas",
    }


def test_token_usage_scope_and_location_inner() -> None:
    scope = _generated.TokenUsageScope
    assert issubclass(scope, str)
    assert {m.name: m.value for m in scope} == {"RULE_TYPE": "rule_type", "TASK": "task"}
    assert scope.from_json('"rule_type"') is scope.RULE_TYPE
    assert _generated.LocationInner("query").actual_instance == "query"
    assert _generated.LocationInner(3).actual_instance == 3


def test_generated_client_style_code_runs_unchanged(engine_server: EngineServer) -> None:
    # The shape of code users wrote against the generated client.
    import _generated as client_pkg
    from _generated.api.usage_api import UsageApi
    from _generated.models.token_usage_scope import TokenUsageScope
    from _generated.rest import ApiException

    configuration = client_pkg.Configuration(host=engine_server.host)
    configuration.access_token = engine_server.token
    with client_pkg.ApiClient(configuration) as api_client:
        api_instance = UsageApi(api_client)
        try:
            api_response = api_instance.get_token_usage_api_v2_usage_tokens_get(
                start_time="2026-11-01T00:00:00+00:00",
                end_time="2026-11-02T00:00:00+00:00",
                group_by=[TokenUsageScope.RULE_TYPE],
            )
        except ApiException as e:
            pytest.fail(f"Exception when calling UsageApi: {e}")
    assert api_response
    assert all(row.count.user_input == row.count.inference for row in api_response)
