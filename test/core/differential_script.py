"""Scripted observations of a ``_generated`` package, printed as one JSON object.

Run as ``python differential_script.py BASE_URL`` with ``PYTHONPATH`` pointing at the
package (the generated reference client or this SDK). Each observation is keyed
``<id>:<what>``; ``<id>`` is the row of docs/compatibility.md that explains a difference
(``same-...`` ids are expected to be identical). BASE_URL is the recording server:
``BASE_URL/s/<scenario>`` answers with that scenario's canned response. The calls that
need no server are in ``differential_offline.py``; the shared helpers in
``differential_common.py``.
"""

from __future__ import annotations

import datetime
import json
import os
import sys
import traceback
from collections.abc import Callable
from typing import Any

os.environ["DIFFERENTIAL_BASE"] = sys.argv[1]

import pydantic
from differential_common import (
    BASE,
    NOV1,
    NOV2,
    OBSERVED,
    _catch,
    api,
    client,
    describe,
    get,
    observe,
    rows,
)

from _generated import ApiClient, Configuration, UsageApi
from _generated import rest as rest_module
from _generated.models import TokenUsageScope

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


def post(kind: str) -> Any:
    c = client(f"same-post-{kind}")
    arguments: dict[str, Any] = {
        "json": {
            "header_params": {"Content-Type": "application/json"},
            "body": {"when": datetime.date(2026, 11, 1), "scope": TokenUsageScope.TASK, "n": [1]},
        },
        "form": {
            "header_params": {"Content-Type": "application/x-www-form-urlencoded"},
            "post_params": [("a", "1"), ("b", "x y")],
        },
        "multipart": {
            "header_params": {"Content-Type": "multipart/form-data"},
            "post_params": [("a", "1")],
            "files": {"f": ("r.txt", b"hello")},
        },
    }[kind]
    params = c.param_serialize("POST", "/things/{id}", path_params={"id": "a b"}, **arguments)
    request = repr(params[1:])  # before the call: the generated rest may edit the headers
    response = c.call_api(*params)
    return {
        "request": request,
        "status": response.status,
        "body": response.read().decode(),
    }


for kind in ("json", "form", "multipart"):
    observe(f"same-post-{kind}:response", lambda kind=kind: post(kind))


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


import differential_offline  # noqa: E402, F401  (its observations run on import)

try:
    print(json.dumps(OBSERVED, sort_keys=True))
except Exception:
    traceback.print_exc()
    raise
