"""Response parsing: one cached pydantic ``TypeAdapter`` per response type, fed the raw bytes.

This is the single place where JSON and pydantic errors become
:class:`~_generated.exceptions.ResponseValidationError`.
"""

from __future__ import annotations

import datetime
import decimal
import functools
import gc
import re
import threading
from collections.abc import Mapping
from types import TracebackType
from typing import Any, Optional

import pydantic
from pydantic import TypeAdapter

from _generated._constants import GC_PAUSE_MIN_BODY
from _generated.exceptions import ApiValueError, ResponseValidationError

__all__ = ["adapter_for", "is_json_content_type", "parse_body", "resolve_type"]

_NATIVE_TYPES: dict[str, Any] = {
    "int": int,
    "long": int,
    "float": float,
    "str": str,
    "bool": bool,
    "bytes": bytes,
    "date": datetime.date,
    "datetime": datetime.datetime,
    "decimal": decimal.Decimal,
    "object": Any,
}
_LIST = re.compile(r"^List\[(.+)\]$")
_DICT = re.compile(r"^Dict\[([^,]+),\s*(.+)\]$")
_MAX_ERRORS_SHOWN = 3


def resolve_type(type_string: str) -> Any:
    """The Python type a generated-client type string names, e.g. ``List[TokenUsageResponse]``."""
    type_string = type_string.strip()
    match = _LIST.match(type_string)
    if match:
        return list[resolve_type(match.group(1))]  # type: ignore[misc]
    match = _DICT.match(type_string)
    if match:
        return dict[str, resolve_type(match.group(2))]  # type: ignore[misc]
    if type_string in _NATIVE_TYPES:
        return _NATIVE_TYPES[type_string]
    from _generated import models

    try:
        return getattr(models, type_string)
    except AttributeError:
        raise ApiValueError(f"unknown response type {type_string!r}") from None


@functools.lru_cache(maxsize=64)
def adapter_for(type_string: str) -> TypeAdapter[Any]:
    """The cached ``TypeAdapter`` for a type string."""
    return TypeAdapter(resolve_type(type_string))


@functools.lru_cache(maxsize=64)
def is_json_content_type(content_type: Optional[str]) -> bool:
    """``application/json`` and ``application/<anything>+json``, any parameters."""
    if not content_type:
        return True  # an unlabelled body is tried as JSON
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


@functools.lru_cache(maxsize=64)
def _charset(content_type: Optional[str]) -> str:
    if content_type:
        for param in content_type.split(";")[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "charset" and value.strip():
                return value.strip().strip('"').lower()
    return "utf-8"


def parse_body(
    raw: bytes,
    type_string: str,
    *,
    status: int,
    reason: Optional[str],
    headers: Optional[Mapping[str, str]],
) -> Any:
    """Validate ``raw`` as ``type_string`` or raise ``ResponseValidationError``."""

    def invalid(detail: str) -> ResponseValidationError:
        return ResponseValidationError(
            status=status, reason=reason, headers=headers, body=raw, detail=detail
        )

    content_type = headers.get("Content-Type") if headers else None
    if not is_json_content_type(content_type):
        raise invalid(f"expected a JSON body (application/json), got content type {content_type!r}")
    # The adapter's validator directly: TypeAdapter.validate_json only forwards its defaults.
    validate = adapter_for(type_string).validator.validate_json
    charset = _charset(content_type)
    try:
        data = raw if charset in ("utf-8", "utf8") else raw.decode(charset)
        if len(raw) < GC_PAUSE_MIN_BODY:
            return validate(data)
        with _GC_PAUSE:
            return validate(data)
    except pydantic.ValidationError as exc:
        raise invalid(_describe(exc, type_string)) from exc
    except (UnicodeDecodeError, LookupError) as exc:
        raise invalid(f"cannot decode the body as {charset}: {exc}") from exc


class _GcPause:
    """Pauses Python's cyclic garbage collector while a large body is validated.

    Validating 35,000 rows creates some 100,000 tracked objects, none of them in a cycle;
    with the collector running, its repeated passes over the growing heap take longer than
    the validation itself. Paused, the new objects are examined once, after the parse.
    Pauses from several threads nest: the collector is re-enabled when the last one ends,
    and only if it was enabled when the first began (an application that turned it off
    keeps it off).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._depth = 0
        self._resume = False

    def __enter__(self) -> None:
        with self._lock:
            if self._depth == 0:
                self._resume = gc.isenabled()
                gc.disable()
            self._depth += 1

    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> None:
        with self._lock:
            self._depth -= 1
            if self._depth == 0 and self._resume:
                gc.enable()


_GC_PAUSE = _GcPause()


def _describe(exc: pydantic.ValidationError, type_string: str) -> str:
    errors = exc.errors(include_input=False, include_url=False)
    if errors and errors[0]["type"] == "json_invalid":
        return f"the body is not valid JSON ({errors[0]['msg']})"
    shown = "; ".join(
        f"{'.'.join(str(part) for part in err['loc']) or '(root)'}: {err['msg']}"
        for err in errors[:_MAX_ERRORS_SHOWN]
    )
    more = len(errors) - _MAX_ERRORS_SHOWN
    suffix = f"; and {more} more" if more > 0 else ""
    return f"the body does not match {type_string}: {shown}{suffix}"
