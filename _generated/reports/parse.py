"""A report window's body validated straight into columns, without a model per row.

The body is validated by one cached pydantic ``TypeAdapter`` over a lean row shape (the
current counts, the two group fields): the same rules as ``TokenUsageResponse`` for what a
report uses (strict ints and strings, unknown fields ignored, the deprecated counts not
needed), and the same :class:`~_generated.exceptions.ResponseValidationError` for a body
that does not match. No I/O here: the sync fetcher, the cache and an async fetcher share it.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Optional

import pydantic
from pydantic import StrictInt, StrictStr, TypeAdapter
from typing_extensions import NotRequired, TypedDict

from _generated._http import is_json_content_type
from _generated._parsing import describe_invalid
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


@functools.lru_cache(maxsize=1)
def _adapter() -> TypeAdapter[list[_LeanRow]]:
    return TypeAdapter(list[_LeanRow])


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
        items = _adapter().validate_json(body)
    except pydantic.ValidationError as exc:
        raise invalid(describe_invalid(exc, _TYPE_NAME)) from exc
    try:
        return table.ingest(window, items)
    except OverflowError as exc:
        raise invalid(f"a count does not fit in 64 bits: {exc}") from exc
