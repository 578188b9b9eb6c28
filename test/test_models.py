"""The six schema models: fields, validation, the generated client's helper methods, and
round trips of hypothesis-generated instances."""

from __future__ import annotations

import json
import pprint
from typing import TYPE_CHECKING, Any

import pydantic
import pytest
from _helpers import reference_file, rows_of
from hypothesis import given, settings
from hypothesis import strategies as st

from _generated import (
    HTTPValidationError,
    LocationInner,
    TokenUsageCount,
    TokenUsageResponse,
    TokenUsageScope,
    UsageApi,
    ValidationError,
)
from _generated.testing import Fault

if TYPE_CHECKING:
    from _generated.testing import FakeUsageEngine

SCHEMAS: dict[str, Any] = json.loads(reference_file("usage.openapi.json").read_text())[
    "components"
]["schemas"]
OBJECT_MODELS: list[type[pydantic.BaseModel]] = [
    TokenUsageResponse,
    TokenUsageCount,
    HTTPValidationError,
    ValidationError,
]
COUNT = {
    "inference": 10,
    "eval_prompt": 20,
    "eval_completion": 3,
    "user_input": 10,
    "prompt": 20,
    "completion": 3,
}


def count(**overrides: int) -> TokenUsageCount:
    return TokenUsageCount(**{**COUNT, **overrides})


# -- fields -----------------------------------------------------------------------------------


@pytest.mark.parametrize("model", OBJECT_MODELS, ids=lambda m: m.__name__)
def test_field_names_are_the_json_names_of_the_schema(model: type[pydantic.BaseModel]) -> None:
    schema = SCHEMAS[model.__name__]
    assert set(model.model_fields) == set(schema["properties"])
    for name, field in model.model_fields.items():
        assert field.alias in (None, name)


def test_models_are_pydantic_v2_with_validate_assignment() -> None:
    for model in OBJECT_MODELS:
        assert issubclass(model, pydantic.BaseModel)
        assert model.model_config.get("validate_assignment") is True
    assert issubclass(LocationInner, pydantic.BaseModel)


def test_required_fields_are_required() -> None:
    with pytest.raises(pydantic.ValidationError, match="count"):
        TokenUsageResponse.from_dict({"rule_type": "x"})
    with pytest.raises(pydantic.ValidationError, match="msg"):
        ValidationError.from_dict({"loc": ["query"], "type": "missing"})
    for name in ("inference", "eval_prompt", "eval_completion"):
        data = {k: v for k, v in COUNT.items() if k != name}
        with pytest.raises(pydantic.ValidationError, match=name):
            TokenUsageCount.from_dict(data)


def test_assignment_is_validated() -> None:
    c = count()
    with pytest.raises(pydantic.ValidationError, match="inference"):
        c.inference = "12"  # type: ignore[assignment]
    with pytest.raises(pydantic.ValidationError):
        c.eval_prompt = 1.5  # type: ignore[assignment]
    assert c.inference == 10
    c.inference = 11
    assert c.inference == 11

    row = TokenUsageResponse(count=count())
    with pytest.raises(pydantic.ValidationError, match="rule_type"):
        row.rule_type = 3  # type: ignore[assignment]
    row.count = {**COUNT, "inference": 99}  # type: ignore[assignment]
    assert isinstance(row.count, TokenUsageCount) and row.count.inference == 99


@pytest.mark.parametrize("bad", ["5", 5.0, True, None])
def test_counts_are_strict_integers(bad: Any) -> None:
    with pytest.raises(pydantic.ValidationError):
        TokenUsageCount.from_dict({**COUNT, "inference": bad})


# -- deprecated counts and unknown fields -----------------------------------------------------


def test_deprecated_counts_are_parsed_when_present() -> None:
    c = TokenUsageCount.from_dict({**COUNT, "user_input": 1, "prompt": 2, "completion": 4})
    assert c is not None
    assert (c.user_input, c.prompt, c.completion) == (1, 2, 4)
    assert (c.inference, c.eval_prompt, c.eval_completion) == (10, 20, 3)


def test_deprecated_counts_are_filled_from_their_successors_when_absent() -> None:
    c = TokenUsageCount.from_dict({"inference": 7, "eval_prompt": 8, "eval_completion": 9})
    assert c is not None
    assert (c.user_input, c.prompt, c.completion) == (7, 8, 9)
    assert c.to_dict() == {
        "inference": 7,
        "eval_prompt": 8,
        "eval_completion": 9,
        "user_input": 7,
        "prompt": 8,
        "completion": 9,
    }


def test_unknown_fields_are_kept() -> None:
    row = TokenUsageResponse.from_dict(
        {"rule_type": "R", "count": {**COUNT, "cached": 5}, "region": "eu", "tags": ["a"]}
    )
    assert row is not None
    assert row.model_extra == {"region": "eu", "tags": ["a"]}
    assert row.count.model_extra == {"cached": 5}
    assert row.to_dict()["region"] == "eu"
    assert row.to_dict()["count"]["cached"] == 5
    assert json.loads(row.to_json())["tags"] == ["a"]


def test_a_newer_server_body_is_parsed_end_to_end(fake_engine: FakeUsageEngine) -> None:
    # No deprecated counts any more, plus fields this client does not know yet.
    body = [
        {
            "rule_type": "PIIDataRule",
            "task_id": None,
            "count": {"inference": 5, "eval_prompt": 6, "eval_completion": 7, "cached": 1},
            "region": "eu-west-1",
        },
        {
            "rule_type": "RegexRule",
            "task_id": None,
            "count": {
                "inference": 1,
                "eval_prompt": 0,
                "eval_completion": 0,
                "user_input": 1,
                "prompt": 0,
                "completion": 0,
            },
        },
    ]
    fake_engine.inject(Fault.body(json.dumps(body)))
    with fake_engine.api_client(retries=0) as client:
        rows = UsageApi(client).get_token_usage_api_v2_usage_tokens_get()

    assert rows_of(rows) == [("PIIDataRule", None, 5, 6, 7), ("RegexRule", None, 1, 0, 0)]
    first = rows[0]
    assert (first.count.user_input, first.count.prompt, first.count.completion) == (5, 6, 7)
    assert first.model_extra == {"region": "eu-west-1"}
    assert first.count.model_extra == {"cached": 1}
    assert rows[1].count.to_dict() == body[1]["count"]


# -- to_dict / from_dict / to_json / from_json / to_str ---------------------------------------


def test_to_dict_omits_unset_fields_and_keeps_explicit_none() -> None:
    unset = TokenUsageResponse(count=count())
    assert unset.to_dict() == {"count": COUNT}
    assert unset.rule_type is None

    explicit = TokenUsageResponse(rule_type=None, task_id="t-1", count=count())
    assert explicit.to_dict() == {"rule_type": None, "task_id": "t-1", "count": COUNT}

    parsed = TokenUsageResponse.from_dict({"rule_type": None, "task_id": None, "count": COUNT})
    assert parsed is not None
    assert parsed.to_dict() == {"rule_type": None, "task_id": None, "count": COUNT}


def test_nested_models_become_dicts() -> None:
    error = HTTPValidationError(
        detail=[ValidationError(loc=[LocationInner("query"), LocationInner(0)], msg="m", type="t")]
    )
    assert error.to_dict() == {"detail": [{"loc": ["query", 0], "msg": "m", "type": "t"}]}
    assert isinstance(TokenUsageResponse(count=count()).to_dict()["count"], dict)


def test_from_dict_accepts_none_and_instances() -> None:
    for model in OBJECT_MODELS:
        assert model.from_dict(None) is None  # type: ignore[attr-defined]
    row = TokenUsageResponse(count=count())
    assert TokenUsageResponse.from_dict(row) is row
    c = count()
    assert TokenUsageCount.from_dict(c) is c


def test_from_dict_validates() -> None:
    with pytest.raises(pydantic.ValidationError):
        TokenUsageResponse.from_dict({"count": {"inference": "lots"}})
    with pytest.raises(pydantic.ValidationError):
        TokenUsageResponse.from_dict("not a dict")


def test_json_and_str_helpers() -> None:
    row = TokenUsageResponse(rule_type="PIIDataRule", count=count())
    assert row.to_json() == json.dumps(row.to_dict())
    assert TokenUsageResponse.from_json(row.to_json()) == row
    # As the generated client: to_str pretty-prints model_dump, unset fields included.
    assert row.to_str() == pprint.pformat(row.model_dump(by_alias=True))
    assert "'task_id': None" in row.to_str()
    assert "PIIDataRule" in row.to_str()
    assert HTTPValidationError.from_json('{"detail": []}') == HTTPValidationError(detail=[])
    assert HTTPValidationError.from_json("null") is None


def test_http_validation_error_detail_is_optional() -> None:
    error = HTTPValidationError.from_dict({})
    assert error is not None and error.detail is None
    assert error.to_dict() == {}


# -- TokenUsageScope and LocationInner --------------------------------------------------------


def test_scopes_and_their_literal_follow_the_enum() -> None:
    from typing import get_args

    from _generated.models.token_usage_scope import SCOPES, ScopeName

    assert SCOPES == tuple(m.value for m in TokenUsageScope) == ("rule_type", "task")
    assert get_args(ScopeName) == SCOPES


def test_token_usage_scope() -> None:
    assert [m.name for m in TokenUsageScope] == ["RULE_TYPE", "TASK"]
    assert TokenUsageScope.RULE_TYPE.value == "rule_type"
    assert TokenUsageScope.TASK.value == "task"
    assert [m.value for m in TokenUsageScope] == SCHEMAS["TokenUsageScope"]["enum"]
    assert isinstance(TokenUsageScope.TASK, str)
    assert TokenUsageScope.TASK == "task"
    assert TokenUsageScope("rule_type") is TokenUsageScope.RULE_TYPE
    assert TokenUsageScope.from_json('"task"') is TokenUsageScope.TASK
    assert json.dumps(TokenUsageScope.TASK) == '"task"'
    with pytest.raises(ValueError):
        TokenUsageScope.from_json('"RULE_TYPE"')


@pytest.mark.parametrize("value", ["query", "group_by", 0, 7])
def test_location_inner_holds_a_str_or_an_int(value: Any) -> None:
    for loc in (
        LocationInner(value),
        LocationInner(actual_instance=value),
        LocationInner.from_dict(value),
        LocationInner.from_json(json.dumps(value)),
    ):
        assert loc.actual_instance == value
        assert type(loc.actual_instance) is type(value)
        assert loc.to_dict() == value
        assert loc.to_json() == json.dumps(value)
        assert loc.to_str() == pprint.pformat(loc.model_dump())
        assert "actual_instance" in loc.to_str()


@pytest.mark.parametrize("value", [1.5, True, ["a"], {"a": 1}])
def test_location_inner_rejects_other_types(value: Any) -> None:
    with pytest.raises((pydantic.ValidationError, ValueError)):
        LocationInner.from_dict(value)


def test_location_inner_from_null_is_empty_as_in_the_generated_client() -> None:
    # Its validators are Optional, so null matches the first one (differential tests too).
    for loc in (LocationInner.from_dict(None), LocationInner.from_json("null")):
        assert loc.actual_instance is None and loc.to_json() == "null"
        assert loc.model_fields_set == {"anyof_schema_1_validator", "actual_instance"}


def test_validation_error_loc_entries_are_location_inners() -> None:
    error = ValidationError.from_dict(
        {"loc": ["query", "group_by", 1], "msg": "bad", "type": "enum", "input": "x"}
    )
    assert error is not None
    assert all(isinstance(step, LocationInner) for step in error.loc)
    assert [type(step.actual_instance) for step in error.loc] == [str, str, int]
    assert error.to_dict()["loc"] == ["query", "group_by", 1]


# -- hypothesis round trips -------------------------------------------------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner),
    max_leaves=8,
)
counts = st.integers(min_value=0, max_value=2**53)
extras = st.dictionaries(st.from_regex(r"x_[a-z]{1,6}", fullmatch=True), json_values, max_size=2)


def with_extras(base: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    return st.builds(lambda data, extra: {**extra, **data}, base, extras)


count_dicts = with_extras(
    st.fixed_dictionaries(
        {"inference": counts, "eval_prompt": counts, "eval_completion": counts},
        optional={"user_input": counts, "prompt": counts, "completion": counts},
    )
)
response_dicts = with_extras(
    st.fixed_dictionaries(
        {"count": count_dicts},
        optional={
            "rule_type": st.none() | st.text(max_size=20),
            "task_id": st.none() | st.uuids().map(str),
        },
    )
)
locations = st.text(max_size=10) | st.integers(min_value=-5, max_value=2**31)
validation_error_dicts = st.fixed_dictionaries(
    {"loc": st.lists(locations, max_size=4), "msg": st.text(max_size=30), "type": st.text()},
    optional={"input": json_values, "ctx": st.dictionaries(st.text(max_size=8), json_values)},
)
http_validation_error_dicts = st.fixed_dictionaries(
    {}, optional={"detail": st.lists(validation_error_dicts, max_size=3)}
)

ROUND_TRIP_CASES = [
    (TokenUsageResponse, response_dicts),
    (TokenUsageCount, count_dicts),
    (ValidationError, validation_error_dicts),
    (HTTPValidationError, http_validation_error_dicts),
]


@pytest.mark.parametrize(
    ("model", "dicts"), ROUND_TRIP_CASES, ids=[m.__name__ for m, _ in ROUND_TRIP_CASES]
)
@settings(max_examples=60, deadline=None, derandomize=True)
@given(data=st.data())
def test_object_models_round_trip_through_json(
    model: Any, dicts: st.SearchStrategy[dict[str, Any]], data: st.DataObject
) -> None:
    source = data.draw(dicts)
    instance = model.from_dict(source)
    assert instance is not None

    again = model.from_json(instance.to_json())
    assert again == instance
    assert again.to_dict() == instance.to_dict()
    assert model.from_dict(instance.to_dict()) == instance
    # what was given is what comes out (deprecated counts filled in if absent)
    assert _contains(instance.to_dict(), json.loads(json.dumps(source)))


def _contains(actual: Any, expected: Any) -> bool:
    """``actual`` equals ``expected`` except that dicts may have more keys."""
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(
            key in actual and _contains(actual[key], value) for key, value in expected.items()
        )
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(actual) == len(expected)
            and all(_contains(a, e) for a, e in zip(actual, expected, strict=True))
        )
    return bool(actual == expected and type(actual) is type(expected))


@settings(max_examples=40, deadline=None, derandomize=True)
@given(value=locations)
def test_location_inner_round_trips(value: Any) -> None:
    loc = LocationInner(value)
    assert LocationInner.from_json(loc.to_json()).actual_instance == loc.actual_instance
    assert LocationInner.from_dict(loc.to_dict()).actual_instance == value


@settings(max_examples=10, deadline=None, derandomize=True)
@given(member=st.sampled_from(TokenUsageScope))
def test_token_usage_scope_round_trips(member: TokenUsageScope) -> None:
    assert TokenUsageScope.from_json(json.dumps(member.value)) is member
    assert TokenUsageScope.from_json(json.dumps(member)) is member
