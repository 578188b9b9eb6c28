"""Response bodies generated from the OpenAPI schema: valid ones parse, invalid ones are refused.

The strategies are built from ``components/schemas`` of ``usage.openapi.json`` (not from the
SDK's models): valid ``List[TokenUsageResponse]`` bodies, with unknown properties sprinkled
in, must parse to exactly the models built here by hand; invalid variants (a required field
missing, a field of the wrong JSON type, a body that is not a list, a body cut short) must
raise ``ResponseValidationError`` -- never a bare ``JSONDecodeError`` or pydantic error.

Most examples go through ``ApiClient.deserialize`` for speed; a smaller set is served over
HTTP by the fake engine and fetched with the API method.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

import pydantic
import pytest
from _helpers import reference_file
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _generated import ApiClient, Configuration, UsageApi, _parsing
from _generated.exceptions import ResponseValidationError
from _generated.models import TokenUsageCount, TokenUsageResponse
from _generated.testing import FakeUsageEngine, Fault

SPEC = json.loads(reference_file("usage.openapi.json").read_text())
SCHEMAS: dict[str, Any] = SPEC["components"]["schemas"]
RESPONSE_TYPE = "List[TokenUsageResponse]"
ROW_SCHEMA = {"$ref": "#/components/schemas/TokenUsageResponse"}
# Deprecated counts the schema marks required but the SDK fills from their successors
# (TokenUsageCount's documented leniency, so a server that stops sending them still works).
FILLED_FROM = {"user_input": "inference", "prompt": "eval_prompt", "completion": "eval_completion"}
INT64 = 2**63 - 1


def resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = SCHEMAS[schema["$ref"].rsplit("/", 1)[1]]
    return schema


def json_types(schema: dict[str, Any]) -> set[str]:
    """The JSON types a schema allows."""
    schema = resolve(schema)
    if "anyOf" in schema:
        return set().union(*(json_types(option) for option in schema["anyOf"]))
    return {schema["type"]}


# -- valid instances, from the schema -------------------------------------------------------------

extra_keys = st.text(min_size=1, max_size=12)
json_scalars = st.one_of(st.none(), st.booleans(), st.integers(-1000, 1000), st.text(max_size=10))


def valid(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Instances of ``schema``; objects may carry properties the schema does not declare."""
    schema = resolve(schema)
    if "anyOf" in schema:
        return st.one_of([valid(option) for option in schema["anyOf"]])
    kind = schema.get("type")
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    if kind == "string":
        return st.text(max_size=24)
    if kind == "integer":
        return st.integers(min_value=-INT64 - 1, max_value=INT64)
    if kind == "null":
        return st.none()
    if kind == "array":
        return st.lists(valid(schema["items"]), max_size=4)
    if kind == "object":
        properties = schema.get("properties", {})
        required = set(schema.get("required", ()))
        declared = st.fixed_dictionaries(
            {name: valid(sub) for name, sub in properties.items() if name in required},
            optional={name: valid(sub) for name, sub in properties.items() if name not in required},
        )
        unknown = st.dictionaries(
            extra_keys.filter(lambda key: key not in properties), json_scalars, max_size=2
        )
        return st.tuples(declared, unknown).map(lambda parts: {**parts[1], **parts[0]})
    raise AssertionError(f"schema construct not covered by the test: {schema}")


valid_rows = valid(ROW_SCHEMA)
valid_bodies = st.lists(valid_rows, max_size=6)


def expected_row(row: dict[str, Any]) -> TokenUsageResponse:
    """The model a row should parse to, built field by field (not by parsing)."""
    count_fields = set(resolve(SCHEMAS["TokenUsageCount"])["properties"])
    row_fields = set(resolve(SCHEMAS["TokenUsageResponse"])["properties"])
    counts = row["count"]
    count = TokenUsageCount(
        inference=counts["inference"],
        eval_prompt=counts["eval_prompt"],
        eval_completion=counts["eval_completion"],
        user_input=counts["user_input"],
        prompt=counts["prompt"],
        completion=counts["completion"],
        **{key: value for key, value in counts.items() if key not in count_fields},
    )
    named = {key: row[key] for key in ("rule_type", "task_id") if key in row}
    extra = {key: value for key, value in row.items() if key not in row_fields}
    return TokenUsageResponse(count=count, **named, **extra)


def assert_parsed_as(parsed: list[TokenUsageResponse], body: list[dict[str, Any]]) -> None:
    assert isinstance(parsed, list) and len(parsed) == len(body)
    for model, row in zip(parsed, body, strict=True):
        assert isinstance(model, TokenUsageResponse)
        assert model == expected_row(row)
        assert model.rule_type == row.get("rule_type")
        assert model.task_id == row.get("task_id")
        for name, value in row["count"].items():
            if name in TokenUsageCount.model_fields:
                assert getattr(model.count, name) == value
            else:
                assert (model.count.model_extra or {})[name] == value
        # Unknown fields are kept; parsing sets every property, so both nullable keys appear.
        assert model.to_dict() == {"rule_type": None, "task_id": None, **row}


# -- invalid variants -----------------------------------------------------------------------------

wrong_values: dict[str, st.SearchStrategy[Any]] = {
    "string": st.text(max_size=8),
    "integer": st.integers(-1000, 1000),
    "number": st.floats(allow_nan=False, allow_infinity=False).filter(
        lambda x: not float(x).is_integer()
    ),
    "boolean": st.booleans(),
    "null": st.none(),
    "array": st.lists(st.integers(0, 9), max_size=2),
    "object": st.dictionaries(st.text(max_size=4), st.integers(0, 9), max_size=2),
}


def wrong_type(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """JSON values whose type ``schema`` does not allow (``number`` is never integral here)."""
    allowed = json_types(schema)
    return st.one_of([strategy for kind, strategy in wrong_values.items() if kind not in allowed])


def field_paths() -> list[tuple[tuple[str, ...], dict[str, Any], bool]]:
    """Every declared field below a row: (path, schema, required-and-not-filled-by-the-SDK)."""
    paths = []
    row = resolve(SCHEMAS["TokenUsageResponse"])
    for name, sub in row["properties"].items():
        paths.append(((name,), sub, name in row.get("required", ())))
    count = resolve(SCHEMAS["TokenUsageCount"])
    for name, sub in count["properties"].items():
        required = name in count.get("required", ()) and name not in FILLED_FROM
        paths.append((("count", name), sub, required))
    return paths


FIELD_PATHS = field_paths()
REQUIRED_PATHS = [path for path, _, required in FIELD_PATHS if required]


@st.composite
def invalid_bodies(draw: st.DrawFn) -> tuple[str, str]:
    """``(kind, body text)`` of a body that does not match ``List[TokenUsageResponse]``."""
    kind = draw(st.sampled_from(["missing", "wrong_type", "not_a_list", "cut_short"]))
    rows = draw(st.lists(valid_rows, min_size=1, max_size=4))
    if kind == "not_a_list":
        value = draw(
            st.one_of(valid_rows, st.none(), st.booleans(), st.integers(), st.text(max_size=8))
        )
        return kind, json.dumps(value)
    if kind == "cut_short":
        text = json.dumps(rows)
        return kind, text[: draw(st.integers(0, len(text) - 1))]
    row = draw(st.sampled_from(rows))
    if kind == "missing":
        path = draw(st.sampled_from(REQUIRED_PATHS))
        parent = row if len(path) == 1 else row["count"]
        del parent[path[-1]]
    else:
        path, schema, _ = draw(st.sampled_from(FIELD_PATHS))
        parent = row if len(path) == 1 else row["count"]
        parent[path[-1]] = draw(wrong_type(schema))
    return kind, json.dumps(rows)


# -- through ApiClient.deserialize ----------------------------------------------------------------


@pytest.fixture(scope="module")
def client() -> Iterator[ApiClient]:
    with ApiClient(Configuration(host="http://127.0.0.1:9")) as api_client:
        yield api_client


#: How a body is validated: first a pass refusing unknown fields (the common case, no
#: extras dict per model), then the usual one if that fails; or the usual pass alone.
PASSES = ["strict-pass-first", "one-pass"]


@contextmanager
def parse_pass(name: str) -> Iterator[None]:
    """Parse with pass ``name``, as in a fresh process (no unknown fields seen yet)."""
    if name == "strict-pass-first" and not _parsing._RUNTIME_EXTRA:
        pytest.skip("this pydantic-core takes no per-call extra=: only the one pass exists")
    strict = name == "strict-pass-first"
    with (
        mock.patch.object(_parsing, "_RUNTIME_EXTRA", strict),
        mock.patch.object(_parsing, "_EXTRAS_SEEN", set()),
        mock.patch.object(_parsing, "_STRICT_PASS_MIN_SIZE", 0),  # these bodies are small
    ):
        yield


@pytest.mark.parametrize("passes", PASSES)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=valid_bodies)
def test_every_valid_body_parses_to_the_expected_models(
    client: ApiClient, passes: str, body: list[dict[str, Any]]
) -> None:
    with parse_pass(passes):
        parsed = client.deserialize(json.dumps(body), RESPONSE_TYPE, "application/json")
    assert_parsed_as(parsed, body)


def test_rows_of_the_strict_pass_are_the_rows_of_the_usual_one(client: ApiClient) -> None:
    plain = {"inference": 1, "eval_prompt": 2, "eval_completion": 3}
    known = json.dumps([{"rule_type": "RegexRule", "task_id": None, "count": plain}])
    newer = json.dumps([{"rule_type": None, "task_id": "t", "region": "eu", "count": plain}])
    results: dict[str, list[list[TokenUsageResponse]]] = {}
    for name in PASSES:
        with parse_pass(name):
            # A body with unknown fields between two without: each is parsed as itself.
            results[name] = [
                client.deserialize(text, RESPONSE_TYPE, "application/json")
                for text in (known, newer, known)
            ]
    for strict, usual in zip(*results.values(), strict=True):
        assert strict == usual
        for a, b in zip(strict, usual, strict=True):
            assert a.to_dict() == b.to_dict() and a.to_json() == b.to_json()
            assert a.model_extra == b.model_extra and a.count.model_extra == b.count.model_extra
            assert a.model_fields_set == b.model_fields_set
    first, newest, again = results["strict-pass-first"]
    assert first[0].model_extra == {} and first[0].count.model_extra == {}
    assert newest[0].model_extra == {"region": "eu"}
    assert again[0] == first[0]
    first[0].note = "kept"  # an unknown attribute is kept as on any model
    assert first[0].model_extra == {"note": "kept"}
    assert first[0].to_dict()["note"] == "kept"
    assert "note" not in again[0].to_dict()


def test_nested_models_of_the_strict_pass_are_those_of_the_usual_one(client: ApiClient) -> None:
    text = json.dumps(
        {"detail": [{"loc": ["query", "start_time", 0], "msg": "bad", "type": "value_error"}]}
    )
    parsed: dict[str, Any] = {}
    for name in PASSES:
        with parse_pass(name):
            parsed[name] = client.deserialize(text, "HTTPValidationError", "application/json")
    strict, usual = parsed.values()
    assert strict == usual and strict.to_dict() == usual.to_dict()
    assert strict.to_dict()["detail"][0]["loc"] == ["query", "start_time", 0]
    assert strict.model_extra == {} and strict.detail[0].model_extra == {}
    assert strict.detail[0].loc[0].model_extra is usual.detail[0].loc[0].model_extra is None


@pytest.mark.parametrize("passes", PASSES)
@settings(max_examples=80, deadline=None)
@given(case=invalid_bodies())
def test_every_invalid_body_raises_response_validation_error(
    client: ApiClient, passes: str, case: tuple[str, str]
) -> None:
    kind, text = case
    with parse_pass(passes), pytest.raises(ResponseValidationError) as info:
        client.deserialize(text, RESPONSE_TYPE, "application/json")
    exc = info.value
    with parse_pass("one-pass"), pytest.raises(ResponseValidationError) as usual:
        client.deserialize(text, RESPONSE_TYPE, "application/json")
    assert exc.detail == usual.value.detail
    assert not isinstance(exc, (json.JSONDecodeError, pydantic.ValidationError))
    assert isinstance(exc.__cause__, pydantic.ValidationError)
    if kind == "cut_short":
        assert exc.detail.startswith("the body is not valid JSON")
    else:
        assert exc.detail.startswith(f"the body does not match {RESPONSE_TYPE}: ")
    assert exc.body == text[: len(exc.body)]


@settings(max_examples=30, deadline=None)
@given(
    body=st.lists(valid_rows, min_size=1, max_size=3),
    dropped=st.sets(st.sampled_from(sorted(FILLED_FROM)), min_size=1),
)
def test_missing_deprecated_counts_are_filled_from_their_successors(
    client: ApiClient, body: list[dict[str, Any]], dropped: set[str]
) -> None:
    for row in body:
        for name in dropped:
            del row["count"][name]
    parsed = client.deserialize(json.dumps(body), RESPONSE_TYPE, "application/json")
    for model, row in zip(parsed, body, strict=True):
        for name in dropped:
            assert getattr(model.count, name) == row["count"][FILLED_FROM[name]]


def test_the_schema_strategies_cover_every_property() -> None:
    covered = {path[-1] for path, _, _ in FIELD_PATHS}
    declared = set(resolve(SCHEMAS["TokenUsageResponse"])["properties"]) | set(
        resolve(SCHEMAS["TokenUsageCount"])["properties"]
    )
    assert covered == declared
    assert ("count",) in REQUIRED_PATHS
    assert {("count", "inference"), ("count", "eval_prompt"), ("count", "eval_completion")} <= set(
        REQUIRED_PATHS
    )


# -- over HTTP ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[FakeUsageEngine, UsageApi]]:
    with FakeUsageEngine() as engine, engine.api_client(retries=0) as api_client:
        yield engine, UsageApi(api_client)


@settings(max_examples=12, deadline=None)
@given(body=valid_bodies)
def test_valid_bodies_served_over_http_parse(
    served: tuple[FakeUsageEngine, UsageApi], body: list[dict[str, Any]]
) -> None:
    engine, api = served
    engine.inject(Fault.body(json.dumps(body)))
    info = api.get_token_usage_api_v2_usage_tokens_get_with_http_info()
    assert info.status_code == 200
    assert_parsed_as(info.data, body)


@settings(max_examples=12, deadline=None)
@given(case=invalid_bodies())
def test_invalid_bodies_served_over_http_raise(
    served: tuple[FakeUsageEngine, UsageApi], case: tuple[str, str]
) -> None:
    engine, api = served
    _, text = case
    engine.inject(Fault.body(text))
    with pytest.raises(ResponseValidationError) as info:
        api.get_token_usage_api_v2_usage_tokens_get()
    exc = info.value
    assert exc.status == 200
    assert exc.headers is not None and exc.headers["Content-Type"] == "application/json"
    assert exc.body == text[: len(exc.body or "")]
    assert_cause_chain_ends(exc)


def assert_cause_chain_ends(exc: BaseException) -> None:
    """Walking ``__cause__`` reaches the end (a loop would hang the usual root-cause walk)."""
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None:
        assert all(current is not other for other in seen), "a __cause__ loop"
        seen.append(current)
        current = current.__cause__


@pytest.mark.parametrize("content_type", ["text/html", "text/plain; charset=utf-8", ""])
def test_a_sign_in_page_instead_of_json_is_an_error_whose_cause_is_not_itself(
    served: tuple[FakeUsageEngine, UsageApi], content_type: str
) -> None:
    engine, api = served
    engine.inject(Fault.body("<html>Sign in to the proxy</html>", content_type))
    with pytest.raises(ResponseValidationError) as info:
        api.get_token_usage_api_v2_usage_tokens_get()
    assert info.value.status == 200 and info.value.__cause__ is not info.value
    assert_cause_chain_ends(info.value)


def test_large_bodies_over_http_parse_the_same_with_and_without_unknown_fields(
    served: tuple[FakeUsageEngine, UsageApi],
) -> None:
    engine, api = served
    rows = [
        {
            "rule_type": "RegexRule",
            "task_id": f"task-{number:05d}",
            "count": {
                "inference": number,
                "eval_prompt": 2,
                "eval_completion": 3,
                "user_input": number,
                "prompt": 2,
                "completion": 3,
            },
        }
        for number in range(400)
    ]
    newer = [dict(row) for row in rows]
    newer[-1] = {**newer[-1], "region": "eu"}
    bodies = [json.dumps(rows), json.dumps(newer), json.dumps(rows)]
    assert all(len(body) >= _parsing._STRICT_PASS_MIN_SIZE for body in bodies)
    with mock.patch.object(_parsing, "_EXTRAS_SEEN", set()):  # as in a fresh process
        for body in bodies:
            engine.inject(Fault.body(body))
            assert_parsed_as(api.get_token_usage_api_v2_usage_tokens_get(), json.loads(body))
        assert {RESPONSE_TYPE} == _parsing._EXTRAS_SEEN  # later bodies take one pass
