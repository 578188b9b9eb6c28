"""A report window's body validated straight into columns, without a model per row.

The body is validated by one cached pydantic ``TypeAdapter`` over a lean row shape (the
current counts, the two group fields): the same rules as ``TokenUsageResponse`` for what a
report uses (strict ints and strings, unknown fields ignored, the deprecated counts not
needed), and the same :class:`~_generated.exceptions.ResponseValidationError` for a body
that does not match. No I/O here: the sync fetcher, the cache and an async fetcher share it.

Each row is validated into one flat dict (the counts read through ``count`` by an
``AliasPath``): a dict holding only strings, ints and ``None`` is not tracked by the garbage
collector, so a window's 35,000 rows add nothing to collect, where nested dicts made every
window trigger a full collection of the heap. A body the flat shape refuses is validated
again with the nested shape, whose errors name the fields as the models do.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any, Optional

import pydantic
from pydantic import AliasPath, Field, StrictInt, StrictStr, TypeAdapter
from typing_extensions import Annotated, NotRequired, TypedDict

from _generated._http import is_json_content_type
from _generated._parsing import describe_invalid
from _generated._textsafety import echoes
from _generated.exceptions import ResponseValidationError
from _generated.reports.periods import Window
from _generated.reports.store import GroupTable, WindowColumns

__all__ = ["parse_window"]

_TYPE_NAME = "List[TokenUsageResponse]"


class _LeanCount(TypedDict):
    inference: StrictInt
    eval_prompt: StrictInt
    eval_completion: StrictInt


class _LeanRow(TypedDict):
    rule_type: NotRequired[Optional[StrictStr]]
    task_id: NotRequired[Optional[StrictStr]]
    count: _LeanCount


class _FlatRow(TypedDict):
    rule_type: NotRequired[Optional[StrictStr]]
    task_id: NotRequired[Optional[StrictStr]]
    inference: Annotated[StrictInt, Field(validation_alias=AliasPath("count", "inference"))]
    eval_prompt: Annotated[StrictInt, Field(validation_alias=AliasPath("count", "eval_prompt"))]
    eval_completion: Annotated[
        StrictInt, Field(validation_alias=AliasPath("count", "eval_completion"))
    ]


@functools.lru_cache(maxsize=1)
def _flat_adapter() -> TypeAdapter[list[_FlatRow]]:
    return TypeAdapter(list[_FlatRow])


@functools.lru_cache(maxsize=1)
def _nested_adapter() -> TypeAdapter[list[_LeanRow]]:
    return TypeAdapter(list[_LeanRow])


def _validate(body: bytes) -> list[Any]:
    """The rows as flat dicts; raises the nested shape's ``ValidationError`` if invalid."""
    try:
        return _flat_adapter().validate_json(body)
    except pydantic.ValidationError as flat_error:
        _nested_adapter().validate_json(body)  # raises the errors to report
        raise flat_error  # not reached: both shapes accept the same bodies (test_columnar)


def parse_window(
    body: bytes,
    window: Window,
    table: GroupTable,
    *,
    status: int = 200,
    reason: Optional[str] = None,
    headers: Optional[Mapping[str, str]] = None,
    credentials: Sequence[str] = (),
) -> WindowColumns:
    """The rows of one window's 2xx body as columns, group keys interned in ``table``.

    Raises ``ResponseValidationError`` (with the response's status, headers and a body
    excerpt, ``credentials`` blanked out of its text) when the body is not the documented
    JSON list.
    """

    def invalid(detail: str) -> ResponseValidationError:
        error = ResponseValidationError(
            status=status, reason=reason, headers=headers, body=body, detail=detail
        )
        error.hide_credentials(credentials)
        return error

    content_type = headers.get("Content-Type") if headers else None
    if not is_json_content_type(content_type):
        raise invalid(f"expected a JSON body (application/json), got content type {content_type!r}")
    try:
        items = _validate(body)
    except pydantic.ValidationError as exc:
        # The parse error quotes the body: not chained when that holds a credential.
        cause = None if echoes(body, credentials) else exc
        raise invalid(describe_invalid(exc, _TYPE_NAME)) from cause
    try:
        return table.ingest(window, items)
    except OverflowError as exc:
        raise invalid(f"a count does not fit in 64 bits: {exc}") from exc
