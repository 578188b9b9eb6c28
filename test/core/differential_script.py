"""Scripted observations of a ``_generated`` package, printed as one JSON object.

Run as ``python differential_script.py BASE_URL`` with ``PYTHONPATH`` pointing at the
package (the generated reference client or this SDK). Each observation is keyed
``<id>:<what>``; ``<id>`` is the row of docs/compatibility.md that explains a difference
(``same-...`` ids are expected to be identical). BASE_URL is the recording server:
``BASE_URL/s/<scenario>`` answers with that scenario's canned response.
"""

from __future__ import annotations

import datetime
import decimal
import json
import os
import sys
import traceback
import uuid
from collections.abc import Callable
from typing import Any

BASE = sys.argv[1]
UTC = datetime.timezone.utc
NOV1 = datetime.datetime(2026, 11, 1, tzinfo=UTC)
NOV2 = datetime.datetime(2026, 11, 2, tzinfo=UTC)
OBSERVED: dict[str, Any] = {}

os.environ["HTTP_PROXY"] = "http://proxy.invalid:3128"
os.environ["NO_PROXY"] = "127.0.0.1,10.0.0.0/8,example.org:8443"

import pydantic  # noqa: E402

import _generated  # noqa: E402
from _generated import ApiClient, Configuration, UsageApi  # noqa: E402
from _generated import rest as rest_module  # noqa: E402
from _generated.models import (  # noqa: E402
    HTTPValidationError,
    LocationInner,
    TokenUsageCount,
    TokenUsageResponse,
    TokenUsageScope,
    ValidationError,
)

USER_AGENT = ApiClient(Configuration(host="http://127.0.0.1:9")).user_agent


def clean(value: Any) -> Any:
    """``value`` made comparable: this package's and the generator's User-Agent hidden."""
    text = value if isinstance(value, str) else json.dumps(value, default=repr, sort_keys=True)
    return text.replace(USER_AGENT, "<user-agent>")


def describe(exc: BaseException) -> dict[str, Any]:
    out: dict[str, Any] = {"class": type(exc).__name__, "str": str(exc)}
    for name in ("status", "reason", "body"):
        if hasattr(exc, name):
            out[name] = getattr(exc, name)
    if getattr(exc, "data", None) is not None:
        data = exc.data  # type: ignore[attr-defined]
        out["data"] = data.to_dict() if hasattr(data, "to_dict") else repr(data)
    if getattr(exc, "headers", None) is not None:
        out["headers"] = dict(exc.headers)  # type: ignore[attr-defined]
    return out


def observe(key: str, action: Callable[[], Any]) -> None:
    try:
        OBSERVED[key] = clean(action())
    except Exception as exc:  # the exception is the observation
        OBSERVED[key] = clean({"raised": describe(exc)})


def client(scenario: str, **settings: Any) -> ApiClient:
    settings.setdefault("access_token", "diff-token")
    return ApiClient(Configuration(host=f"{BASE}/s/{scenario}", **settings))


def api(scenario: str, **settings: Any) -> UsageApi:
    return UsageApi(client(scenario, **settings))


def rows(result: Any) -> Any:
    return [
        {
            "to_dict": r.to_dict(),
            "to_json": r.to_json(),
            "to_str": r.to_str(),
            "type": type(r).__name__,
        }
        for r in result
    ]


def get(scenario: str, **kwargs: Any) -> Any:
    return rows(api(scenario).get_token_usage_api_v2_usage_tokens_get(**kwargs))


# -- calls over the wire ---------------------------------------------------------------------

scope = [TokenUsageScope.RULE_TYPE, "task"]
observe("same-rows:data", lambda: get("same-rows", group_by=scope))
observe("same-rows-missing-nulls:data", lambda: get("same-rows-missing-nulls"))
observe("rfc3339:data", lambda: get("rfc3339", start_time=NOV1, end_time=NOV2))
observe(
    "same-datetime-format:data",
    lambda: rows(
        UsageApi(
            client("same-datetime-format", datetime_format="%Y-%m-%dT%H:%M:%SZ")
        ).get_token_usage_api_v2_usage_tokens_get(start_time=NOV1, end_time=NOV2)
    ),
)
observe("unknown-fields:data", lambda: get("unknown-fields"))
observe("deprecated-counts:data", lambda: get("deprecated-counts"))
observe("typed-errors:bad-json", lambda: get("typed-errors-bad-json"))
observe(
    "typed-errors:connection",
    lambda: rows(
        UsageApi(
            ApiClient(Configuration(host="http://127.0.0.1:9", retries=0))
        ).get_token_usage_api_v2_usage_tokens_get()
    ),
)
observe("same-401:error", lambda: get("same-401"))
observe("same-422:error", lambda: get("same-422"))
observe("same-422-string-detail:error", lambda: get("same-422-string-detail"))
observe("bad-request-detail:error", lambda: get("bad-request-detail"))
observe(
    "bad-request-detail:attribute",
    lambda: _catch(lambda: get("bad-request-detail"), lambda e: getattr(e, "detail", "<none>")),
)
observe("retries:error", lambda: get("retries"))
observe(
    "per-call-headers-win:user-agent",
    lambda: (
        api("per-call-headers-win")
        .get_token_usage_api_v2_usage_tokens_get_with_http_info(_headers={"User-Agent": "mine/1.0"})
        .status_code
    ),
)


def _catch(action: Callable[[], Any], pick: Callable[[Exception], Any]) -> Any:
    try:
        return {"returned": repr(action())}
    except Exception as exc:
        return pick(exc)


def with_http_info() -> Any:
    result = api("same-http-info").get_token_usage_api_v2_usage_tokens_get_with_http_info()
    return {
        "status": result.status_code,
        "headers": dict(result.headers or {}),
        "raw": result.raw_data.decode(),
        "data": [r.to_dict() for r in result.data],
    }


observe("same-http-info:response", with_http_info)
observe(
    "response-headers:type",
    lambda: (
        type(
            api("response-headers").get_token_usage_api_v2_usage_tokens_get_with_http_info().headers
        ).__name__
    ),
)
observe(
    "api-response-repr:repr",
    lambda: repr(api("api-response-repr").get_token_usage_api_v2_usage_tokens_get_with_http_info()),
)


def without_preload() -> Any:
    raw = api("same-unread").get_token_usage_api_v2_usage_tokens_get_without_preload_content()
    return {"type": type(raw).__name__, "status": raw.status, "body": raw.read().decode()}


observe("same-unread:response", without_preload)


def call_api_by_hand() -> Any:
    c = client("call-api-reads-body")
    params = c.param_serialize("GET", "/api/v2/usage/tokens", auth_settings=["API Key"])
    response = c.call_api(*params)
    return {"data_before_read": response.data is not None, "read": response.read().decode()}


observe("call-api-reads-body:response", call_api_by_hand)


def response_types() -> Any:
    c = client("same-response-types")
    out = {}
    for path, types in (
        ("/int", {"200": "int"}),
        ("/text", {"2XX": "str"}),
        ("/enum", {"200": "TokenUsageScope"}),
        ("/bytes", {"200": "bytearray"}),
        ("/empty", {"200": "List[TokenUsageResponse]", "204": None}),
        ("/default", {"default": "float"}),
    ):
        response = c.call_api("GET", f"{BASE}/s/same-response-types{path}")
        response.read()
        try:
            out[path] = repr(c.response_deserialize(response, types).data)
        except Exception as exc:
            out[path] = describe(exc)
    return out


observe("same-response-types:data", response_types)


# -- hooks ----------------------------------------------------------------------------------


def hooks() -> Any:
    seen: list[Any] = []
    original = {
        name: getattr(ApiClient, name)
        for name in ("param_serialize", "call_api", "response_deserialize", "deserialize")
    }
    original_request = rest_module.RESTClientObject.request

    def spy(name: str) -> Callable[..., Any]:
        def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
            shown = {k: v for k, v in kwargs.items() if k != "response_data"}
            seen.append([name, repr(args[:2]) if name != "response_deserialize" else "", shown])
            return original[name](self, *args, **kwargs)

        return wrapper

    def request_spy(self: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(["RESTClientObject.request", args, kwargs])
        return original_request(self, *args, **kwargs)

    class Manager:
        def __init__(self, inner: Any) -> None:
            self.inner = inner

        def request(self, *args: Any, **kwargs: Any) -> Any:
            seen.append(["pool_manager.request", args, {k: repr(v) for k, v in kwargs.items()}])
            return self.inner.request(*args, **kwargs)

    for name in original:
        setattr(ApiClient, name, spy(name))
    rest_module.RESTClientObject.request = request_spy  # type: ignore[method-assign]
    try:
        c = client("same-hooks")
        c.rest_client.pool_manager = Manager(c.rest_client.pool_manager)  # type: ignore[assignment]
        UsageApi(c).get_token_usage_api_v2_usage_tokens_get(group_by=scope, _request_timeout=7)
    finally:
        for name, value in original.items():
            setattr(ApiClient, name, value)
        rest_module.RESTClientObject.request = original_request  # type: ignore[method-assign]
    return seen


observe("same-hooks:seen", hooks)


def default_timeout() -> Any:
    timeouts: list[str] = []
    c = client("default-timeouts")
    inner = c.rest_client.pool_manager

    class Manager:
        def request(self, *args: Any, **kwargs: Any) -> Any:
            timeouts.append(repr(kwargs.get("timeout")))
            return inner.request(*args, **kwargs)

    c.rest_client.pool_manager = Manager()  # type: ignore[assignment]
    UsageApi(c).get_token_usage_api_v2_usage_tokens_get()
    return timeouts


observe("default-timeouts:timeout", default_timeout)


def serialize_hook() -> Any:
    u = api("same-serialize")
    return repr(
        u._get_token_usage_api_v2_usage_tokens_get_serialize(
            start_time=None,
            end_time=None,
            group_by=[TokenUsageScope.TASK],
            _request_auth=None,
            _content_type=None,
            _headers=None,
            _host_index=0,
        )
    )


observe("same-serialize:request", serialize_hook)


# -- arguments -----------------------------------------------------------------------------


def argument_error(**kwargs: Any) -> Any:
    try:
        api("same-arguments").get_token_usage_api_v2_usage_tokens_get(**kwargs)
    except Exception as exc:
        return {
            "pydantic": isinstance(exc, pydantic.ValidationError),
            "value_error": isinstance(exc, ValueError),
            "str": str(exc),
            "errors": exc.errors(include_url=False, include_context=False)  # type: ignore[attr-defined]
            if isinstance(exc, pydantic.ValidationError)
            else None,
        }
    return "no error"


observe("same-arguments:group_by", lambda: argument_error(group_by=["user"]))
observe("same-arguments:start_time", lambda: argument_error(start_time="bad"))
observe("same-arguments:unknown", lambda: argument_error(bogus=1))
observe("same-arguments:group_by_str", lambda: argument_error(group_by="task"))
observe("same-arguments:host_index", lambda: argument_error(_host_index=1))
observe(
    "argument-error-class:class",
    lambda: _catch(lambda: get("same-arguments", group_by=["user"]), lambda e: type(e).__name__),
)

# -- ApiClient helpers ---------------------------------------------------------------------

helper = ApiClient(Configuration(host="http://127.0.0.1:9"))
observe(
    "same-sanitize:values",
    lambda: repr(
        helper.sanitize_for_serialization(
            [
                pydantic.SecretStr("s3cret"),
                datetime.datetime(2026, 11, 1, 12),
                datetime.datetime(2026, 11, 1, 12, tzinfo=UTC),
                datetime.date(2026, 11, 1),
                decimal.Decimal("1.50"),
                uuid.UUID(int=5),
                TokenUsageScope.TASK,
                (1, "a"),
                {"k": [True, None]},
                TokenUsageResponse(
                    count=TokenUsageCount(
                        inference=1,
                        eval_prompt=2,
                        eval_completion=3,
                        user_input=1,
                        prompt=2,
                        completion=3,
                    )
                ),
            ]
        )
    ),
)
observe(
    "same-url-query:query",
    lambda: [
        helper.parameters_to_url_query(
            [
                ("p", "a/b c"),
                ("l", ["x,y", "z"]),
                ("m", ["1", "2"]),
                ("b", True),
                ("d", {"a": 1}),
                ("n", 3),
                ("e", TokenUsageScope.TASK.value),
            ],
            {"l": "csv", "m": "multi"},
        ),
        helper.parameters_to_tuples(
            [("l", ["a", True]), ("m", ["b"]), ("b", False)], {"l": "pipes", "m": "multi"}
        ),
        helper.explode_query_object("o", {"a": 1, "b": [2, 3], "c": None}),
    ],
)
observe(
    "same-deserialize:values",
    lambda: [
        _catch(lambda t=text, k=kind, c=ctype: helper.deserialize(t, k, c), describe)
        for text, kind, ctype in (
            ("null", "datetime", "application/json"),
            ('"2026-11-01T10:00:00Z"', "date", "application/json"),
            ('"2026-11-01T10:00:00Z"', "datetime", "application/json"),
            ("hello", "str", "text/plain"),
            ("5", "int", "text/plain; charset=utf-8"),
            ("0.1", "decimal", "application/json"),
            ("task", "TokenUsageScope", "text/plain"),
            ("nope", "TokenUsageScope", "text/plain"),
            ("{}", "object", "application/xml"),
            ('{"a": 1}', "Dict[str, int]", None),
            ("not json", "str", None),
            ('"x"', "date", "application/json"),
        )
    ],
)
observe(
    "same-select-headers:values",
    lambda: [
        helper.select_header_accept(["text/plain", "application/json"]),
        helper.select_header_accept([]),
        helper.select_header_content_type(["application/xml"]),
    ],
)

# -- Configuration --------------------------------------------------------------------------


def configuration() -> Any:
    mine = Configuration(host="http://127.0.0.1:9")
    Configuration.set_default(mine)
    same = Configuration.get_default() is mine and Configuration.get_default_copy() is mine
    Configuration.set_default(None)
    far = Configuration(host="http://example.com")
    near = Configuration(host="http://10.1.2.3")
    port = Configuration(host="https://example.org:8443")
    return {
        "default_is_the_object": same,
        "proxy": far.proxy,
        "no_proxy": far.no_proxy,
        "managers": [
            type(ApiClient(c).rest_client.pool_manager).__name__ for c in (far, near, port)
        ],
        "auth": Configuration(access_token="t").auth_settings(),
        "basic": Configuration(username="u", password="p").get_basic_auth_token(),
        "key": Configuration(
            api_key={"k": "v"}, api_key_prefix={"k": "Bearer"}
        ).get_api_key_with_prefix("k"),
    }


observe("same-configuration:values", configuration)
observe("default-host:host", lambda: Configuration().host)
OBSERVED["user-agent:value"] = USER_AGENT  # the one observation that shows it

# -- models ---------------------------------------------------------------------------------


def models() -> Any:
    count = {
        "inference": 1,
        "eval_prompt": 2,
        "eval_completion": 3,
        "user_input": 1,
        "prompt": 2,
        "completion": 3,
    }
    built = TokenUsageResponse(count=TokenUsageCount(**count))
    parsed = TokenUsageResponse.from_dict({"count": count})
    nulls = TokenUsageResponse.from_json(
        json.dumps({"rule_type": None, "task_id": "t", "count": count})
    )
    error = ValidationError.from_dict({"loc": ["query", 0], "msg": "m", "type": "t"})
    http = HTTPValidationError.from_dict(
        {"detail": [{"loc": ["query"], "msg": "m", "type": "t", "input": None}]}
    )
    loc = LocationInner.from_json("0")
    return {
        "built": [built.to_dict(), built.to_json(), built.to_str()],
        "parsed": [parsed.to_dict(), parsed.to_json(), parsed.to_str()],  # type: ignore[union-attr]
        "nulls": [nulls.to_dict(), nulls.to_str()],  # type: ignore[union-attr]
        "error": [error.to_dict(), error.to_json(), error.to_str()],  # type: ignore[union-attr]
        "http": [http.to_dict(), http.to_str()],  # type: ignore[union-attr]
        "loc": [loc.to_dict(), loc.to_json(), loc.to_str(), sorted(LocationInner.model_fields)],
        "loc_error": _catch(
            lambda: LocationInner.from_json("[1]"), lambda e: str(e).split(". Details")[0]
        ),
        "loc_set": _catch(lambda: LocationInner(1.5), lambda e: "No match found" in str(e)),
        "scope": [TokenUsageScope.from_json('"task"').value, TokenUsageScope("rule_type").name],
        "none": TokenUsageResponse.from_dict(None),
        "validate_error": _catch(
            lambda: TokenUsageResponse.from_dict({"count": {"inference": "x"}}),
            lambda e: type(e).__name__,
        ),
    }


observe("same-models:values", models)
observe("scope-str:str", lambda: str(TokenUsageScope.TASK))
observe(
    "exception-repr:repr",
    lambda: _catch(lambda: get("same-401"), repr),
)
observe(
    "same-exports:names",
    lambda: sorted(
        n
        for n in (
            "ApiClient",
            "ApiException",
            "ApiTypeError",
            "ApiValueError",
            "ApiKeyError",
            "ApiAttributeError",
            "Configuration",
            "UsageApi",
            "ApiResponse",
            "OpenApiException",
            "TokenUsageResponse",
            "TokenUsageScope",
        )
        if hasattr(_generated, n)
    ),
)

try:
    print(json.dumps(OBSERVED, sort_keys=True))
except Exception:
    traceback.print_exc()
    raise
