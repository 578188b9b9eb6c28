"""Response parsing, without I/O: type strings to Python types, and bodies to models.

Model types (``TokenUsageResponse``, ``List[TokenUsageResponse]``, ...) are validated
straight from the JSON text by one cached pydantic ``TypeAdapter``; every other type
string follows the generated client's rules (``deserialize_data``). This is the single
place where JSON and pydantic errors become
:class:`~_generated.exceptions.ResponseValidationError`.
"""

from __future__ import annotations

import datetime
import decimal
import functools
import inspect
import re
import uuid
from collections.abc import Mapping
from enum import Enum
from typing import Any, Optional, Union

import pydantic
from pydantic import TypeAdapter
from pydantic_core import SchemaValidator

from _generated._http import is_json_content_type
from _generated.exceptions import ApiException, ApiValueError, ResponseValidationError

__all__ = [
    "NATIVE_TYPES",
    "adapter_for",
    "describe_invalid",
    "deserialize_data",
    "invalid_body",
    "is_json_content_type",
    "parse_body",
    "parse_models",
    "resolve_type",
    "uses_adapter",
]

#: Type names of the generated client's ``NATIVE_TYPES_MAPPING``.
NATIVE_TYPES: dict[str, Any] = {
    "int": int,
    "long": int,
    "float": float,
    "str": str,
    "bool": bool,
    "date": datetime.date,
    "datetime": datetime.datetime,
    "decimal": decimal.Decimal,
    "UUID": uuid.UUID,
    "object": object,
}
_PRIMITIVES = (float, bool, bytes, str, int)
_OPTIONAL = re.compile(r"^Optional\[(.*)]$")
_LIST = re.compile(r"^List\[(.*)]$")
_DICT = re.compile(r"^Dict\[([^,]*), (.*)]$")
_MAX_ERRORS_SHOWN = 3


def _model(name: str) -> Any:
    from _generated import models  # the models load on first use

    try:
        return getattr(models, name)
    except AttributeError:
        raise ApiValueError(f"unknown response type {name!r}") from None


def resolve_type(type_string: str) -> Any:
    """The Python type a generated-client type string names, e.g. ``List[TokenUsageResponse]``."""
    type_string = type_string.strip()
    for pattern, build in ((_OPTIONAL, None), (_LIST, list)):
        match = pattern.match(type_string)
        if match:
            inner = resolve_type(match.group(1))
            return Optional[inner] if build is None else list[inner]  # type: ignore[valid-type]
    match = _DICT.match(type_string)
    if match:
        return dict[str, resolve_type(match.group(2))]  # type: ignore[misc]
    if type_string in NATIVE_TYPES:
        native = NATIVE_TYPES[type_string]
        return Any if native is object else native
    return _model(type_string)


@functools.lru_cache(maxsize=64)
def uses_adapter(type_string: str) -> bool:
    """Whether ``type_string`` is a model, or a list or dict of models: those are validated
    from the JSON text in one pass; the rest take the generated client's path."""
    inner = type_string.strip()
    for pattern, group in ((_LIST, 1), (_DICT, 2)):
        match = pattern.match(inner)
        if match:
            inner = match.group(group).strip()
            break
    if inner in NATIVE_TYPES or not inner.isidentifier():
        return False
    from _generated import models  # the models load on first use

    cls = getattr(models, inner, None)
    return isinstance(cls, type) and issubclass(cls, pydantic.BaseModel)


@functools.lru_cache(maxsize=64)
def adapter_for(type_string: str) -> TypeAdapter[Any]:
    """The cached ``TypeAdapter`` for a type string."""
    return TypeAdapter(resolve_type(type_string))


def invalid_body(
    *,
    status: int,
    reason: Optional[str],
    headers: Optional[Mapping[str, str]],
    body: Union[bytes, str],
    detail: str,
) -> ResponseValidationError:
    """The ``ResponseValidationError`` for a body that is not what the API documents."""
    raw = body.encode("utf-8", "replace") if isinstance(body, str) else body
    return ResponseValidationError(
        status=status, reason=reason, headers=headers, body=raw, detail=detail
    )


def _forbids_extra_at_runtime() -> bool:
    try:
        return "extra" in inspect.signature(SchemaValidator.validate_json).parameters
    except (TypeError, ValueError):  # no signature to read: take the plain path
        return False


#: Whether this pydantic-core takes ``extra=`` per call; without it every body takes one pass.
_RUNTIME_EXTRA = _forbids_extra_at_runtime()
#: Type strings whose bodies carried unknown fields: they skip the first, strict pass.
_EXTRAS_SEEN: set[str] = set()
#: Smaller bodies skip the strict pass: the collector barely runs while they are parsed.
_STRICT_PASS_MIN_SIZE = 32_768


def _only_extras(exc: pydantic.ValidationError) -> bool:
    errors = exc.errors(include_url=False, include_context=False, include_input=False)
    return all(error["type"] == "extra_forbidden" for error in errors)


def parse_models(text: Union[str, bytes], type_string: str) -> Any:
    """Validate JSON ``text`` as ``type_string`` (see :func:`uses_adapter`); every property
    of the parsed models counts as set. Raises ``ResponseValidationError`` (status 0)."""
    from _generated.models._base import empty_extras, mark_parsed  # the models load on first use

    # The adapter's validator directly: TypeAdapter.validate_json only forwards its defaults.
    validate = adapter_for(type_string).validator.validate_json
    if _RUNTIME_EXTRA and len(text) >= _STRICT_PASS_MIN_SIZE and type_string not in _EXTRAS_SEEN:
        # Bodies rarely carry unknown fields, and keeping them (extra="allow") makes the
        # collector run far more during a parse: 35,000 rows took 224 ms against 161 ms.
        try:
            return mark_parsed(empty_extras(validate(text, extra="forbid")))
        except pydantic.ValidationError as exc:
            if _only_extras(exc):
                _EXTRAS_SEEN.add(type_string)
    try:
        return mark_parsed(validate(text))
    except pydantic.ValidationError as exc:
        raise invalid_body(
            status=0,
            reason=None,
            headers=None,
            body=text,
            detail=describe_invalid(exc, type_string),
        ) from exc


def parse_body(
    raw: bytes,
    type_string: str,
    *,
    status: int,
    reason: Optional[str],
    headers: Optional[Mapping[str, str]],
) -> Any:
    """Validate a JSON body as ``type_string`` or raise ``ResponseValidationError``."""
    content_type = headers.get("Content-Type") if headers else None
    if not is_json_content_type(content_type):
        raise invalid_body(
            status=status,
            reason=reason,
            headers=headers,
            body=raw,
            detail=f"expected a JSON body (application/json), got content type {content_type!r}",
        )
    try:
        return parse_models(raw, type_string)
    except ResponseValidationError as exc:
        raise invalid_body(
            status=status, reason=reason, headers=headers, body=raw, detail=exc.detail
        ) from exc.__cause__


def deserialize_data(data: Any, klass: Any) -> Any:
    """``data`` (decoded JSON, or text) as ``klass`` (a type string or a class), by the
    generated client's rules: ``None`` stays ``None``, models use ``from_dict``, dates and
    datetimes are read by dateutil, primitives are converted with their constructor."""
    if data is None:
        return None
    if isinstance(klass, str):
        for pattern in (_OPTIONAL, _LIST, _DICT):
            match = pattern.match(klass)
            if match is None:
                continue
            if pattern is _OPTIONAL:
                return deserialize_data(data, match.group(1))
            if pattern is _LIST:
                return [deserialize_data(item, match.group(1)) for item in data]
            return {key: deserialize_data(item, match.group(2)) for key, item in data.items()}
        klass = NATIVE_TYPES[klass] if klass in NATIVE_TYPES else _model(klass)
    if klass in _PRIMITIVES:
        try:
            return klass(data)
        except UnicodeEncodeError:
            return str(data)
        except TypeError:
            return data
    if klass is object:
        return data
    if klass is datetime.date or klass is datetime.datetime:
        return _dateutil(data, klass)
    if klass is decimal.Decimal:
        return decimal.Decimal(data)
    if klass is uuid.UUID:
        return uuid.UUID(data)
    if isinstance(klass, type) and issubclass(klass, Enum):
        try:
            return klass(data)
        except ValueError:
            raise ApiException(status=0, reason=f"Failed to parse `{data}` as `{klass}`") from None
    return klass.from_dict(data)


def _dateutil(data: Any, klass: type) -> Any:
    from dateutil.parser import parse  # dateutil loads only for date types

    kind = "date" if klass is datetime.date else "datetime"
    try:
        parsed = parse(data)
    except ValueError:
        raise ApiException(status=0, reason=f"Failed to parse `{data}` as {kind} object") from None
    return parsed.date() if klass is datetime.date else parsed


def describe_invalid(exc: pydantic.ValidationError, type_string: str) -> str:
    """What did not match, in one line: the first few errors' locations and messages."""
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
