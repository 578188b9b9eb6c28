"""Observations that need no server: ApiClient helpers, Configuration and the models."""

from __future__ import annotations

import datetime
import decimal
import json
import uuid
from typing import Any

import pydantic
from differential_common import OBSERVED, USER_AGENT, UTC, _catch, describe, get, observe

import _generated
from _generated import ApiClient, Configuration
from _generated.models import (
    HTTPValidationError,
    LocationInner,
    TokenUsageCount,
    TokenUsageResponse,
    TokenUsageScope,
    ValidationError,
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
        "loc_null": [
            (x.to_dict(), x.to_json(), x.to_str(), sorted(x.model_fields_set))
            for x in (LocationInner.from_json("null"), LocationInner.from_dict(None))
        ],
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
