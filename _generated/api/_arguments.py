"""``UsageApi``'s argument checks: fast on valid arguments, pydantic's words on invalid ones.

Valid arguments are checked and normalized by plain code. When one is invalid, the
arguments are run through a pydantic ``validate_call`` of the generated client's
signature, so the ``ApiArgumentError`` has the generated client's exact text
(``1 validation error for UsageApi.<method>`` ...); arguments only this package has
(``_retries``, ``_deadline``, dates given as ``date``) get this package's own message.
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Callable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from typing import Any, NamedTuple, Optional, Union

from pydantic import Field, StrictFloat, StrictInt, StrictStr, validate_call
from pydantic import ValidationError as PydanticValidationError
from typing_extensions import Annotated

from _generated._datetimes import IN_RANGE, UTC, format_rfc3339, to_aware
from _generated._pipeline import wait_seconds
from _generated._textsafety import REDACTED
from _generated.exceptions import ApiArgumentError
from _generated.models.token_usage_scope import SCOPES, TokenUsageScope
from _generated.retry import RetryPolicy

__all__ = ["CheckedArguments", "checked", "unexpected_arguments"]

_AUTH_KEYS = frozenset({"in", "key", "value"})
_SECRET_ARGUMENTS = frozenset({"_request_auth", "_headers"})
_MEMBERS = {member.value: member for member in TokenUsageScope}
_SCOPE_TEXT = " and/or ".join(repr(scope) for scope in SCOPES)


class CheckedArguments(NamedTuple):
    """A call's arguments, checked and normalized."""

    start_time: Optional[datetime.datetime]
    end_time: Optional[datetime.datetime]
    group_by: Optional[list[TokenUsageScope]]
    request_timeout: Any
    request_auth: Optional[Mapping[str, Any]]
    content_type: Optional[str]
    headers: Optional[Mapping[str, Any]]
    host_index: int
    retries: Optional[RetryPolicy]
    deadline: Optional[float]


class _Invalid(Exception):
    """One argument failed this package's check: its name, value and what was expected."""

    def __init__(self, name: str, value: object, expected: str) -> None:
        super().__init__(name)
        self.name, self.value, self.expected = name, value, expected


def checked(method: str, arguments: Mapping[str, Any]) -> CheckedArguments:
    """Check the arguments of ``UsageApi.<method>``; raise ``ApiArgumentError`` if invalid."""
    group_by = arguments["group_by"]
    if type(group_by) not in _PLAIN_GROUP_BY and isinstance(group_by, Iterator):
        # A generator reads once: read it here, for the check and for pydantic's error.
        arguments = {**arguments, "group_by": list(group_by)}
    try:
        return _check(arguments)
    except _Invalid as bad:
        raise _error(method, (), arguments, bad) from None


_PLAIN_GROUP_BY = (list, tuple, type(None))


def unexpected_arguments(
    method: str, args: Sequence[Any], kwargs: Mapping[str, Any]
) -> ApiArgumentError:
    """The error for unknown keyword or extra positional arguments of ``UsageApi.<method>``."""
    unknown = sorted(set(kwargs) - set(_NAMES))
    bad = _Invalid(unknown[0] if unknown else "args", args, "one of " + ", ".join(_NAMES))
    return _error(method, args, kwargs, bad)


def _error(
    method: str, args: Sequence[Any], kwargs: Mapping[str, Any], bad: _Invalid
) -> ApiArgumentError:
    call = {name: value for name, value in kwargs.items() if name != "self"}
    if bad.name in _SECRET_ARGUMENTS:
        # pydantic would echo the value, which may hold a credential: this package's words.
        return ApiArgumentError.for_argument(
            bad.name, REDACTED, bad.expected, title=f"UsageApi.{method}"
        )
    try:
        _reference(method)(*args, **call)
    except PydanticValidationError as exc:
        if not any(err["loc"] and err["loc"][0] in _SECRET_ARGUMENTS for err in exc.errors()):
            return ApiArgumentError.from_validation_error(exc)
        secret = next(err["loc"][0] for err in exc.errors() if err["loc"])
        bad = _Invalid(str(secret), REDACTED, "a dict (its value is not shown)")
    return ApiArgumentError.for_argument(
        bad.name, bad.value, bad.expected, title=f"UsageApi.{method}"
    )


def _check(arguments: Mapping[str, Any]) -> CheckedArguments:
    start, end = arguments["start_time"], arguments["end_time"]
    return CheckedArguments(
        start_time=None if start is None else _datetime("start_time", start),
        end_time=None if end is None else _datetime("end_time", end),
        group_by=_group_by(arguments["group_by"]),
        request_timeout=_timeout(arguments["_request_timeout"]),
        request_auth=_auth(arguments["_request_auth"]),
        content_type=_optional_str("_content_type", arguments["_content_type"]),
        headers=_headers(arguments["_headers"]),
        host_index=_host_index(arguments["_host_index"]),
        retries=_retries(arguments["_retries"]),
        deadline=_deadline(arguments["_deadline"]),
    )


def _datetime(name: str, value: Any) -> datetime.datetime:
    try:
        parsed = to_aware(value, name, UTC)
    except ApiArgumentError as exc:
        raise _Invalid(name, value, exc.message.partition(": expected ")[2]) from None
    if parsed.year in (1, 9999):
        # Sent as UTC when its offset has seconds (old zones' LMT), which may not exist then.
        try:
            format_rfc3339(parsed)
        except OverflowError:
            raise _Invalid(name, value, IN_RANGE) from None
    return parsed


def _group_by(value: Any) -> Optional[list[TokenUsageScope]]:
    if value is None:
        return None
    expected = f"a list of {_SCOPE_TEXT}"
    items: Any
    if type(value) is list or type(value) is tuple:
        items = value  # the common case, without the abstract-class checks below
    elif isinstance(value, (str, bytes)) or not isinstance(value, (Sequence, AbstractSet)):
        raise _Invalid("group_by", value, expected)
    else:
        items = value if isinstance(value, Sequence) else sorted(value, key=_scope_order)
    scopes: list[TokenUsageScope] = []
    for item in items:
        if isinstance(item, TokenUsageScope):
            scopes.append(item)
        elif item in SCOPES:
            scopes.append(_MEMBERS[item])
        else:
            raise _Invalid("group_by", value, expected)
    return scopes


def _scope_order(item: object) -> int:
    # A set has no order; send its scopes in the schema's order so requests are repeatable.
    scope = getattr(item, "value", item)
    return SCOPES.index(scope) if scope in SCOPES else len(SCOPES)


def _timeout(value: Any) -> Any:
    # Numbers become floats, as the generated client's StrictFloat annotation makes them.
    if value is None or wait_seconds(value):
        return None if value is None else float(value)
    # A list too: pydantic's lax tuple, which the generated client validates with, takes one.
    pair = isinstance(value, (tuple, list)) and len(value) == 2
    if pair and all(v is None or wait_seconds(v) for v in value):
        return tuple(None if v is None else float(v) for v in value)
    if hasattr(value, "_connect") and hasattr(value, "total"):  # a urllib3 Timeout
        return value
    raise _Invalid(
        "_request_timeout", value, "finite seconds > 0 or a (connect, read) pair of them"
    )


def _auth(value: Any) -> Optional[Mapping[str, Any]]:
    if value is None or (isinstance(value, Mapping) and value.keys() >= _AUTH_KEYS):
        return value
    raise _Invalid("_request_auth", REDACTED, "a dict with 'in', 'key' and 'value' entries")


def _optional_str(name: str, value: Any) -> Optional[str]:
    if value is None or isinstance(value, str):
        return value
    raise _Invalid(name, value, "a string")


def _headers(value: Any) -> Optional[Mapping[str, Any]]:
    if value is None or (isinstance(value, Mapping) and all(isinstance(k, str) for k in value)):
        return value
    raise _Invalid("_headers", value, "a dict of header names to values")


def _host_index(value: Any) -> int:
    if value == 0 and type(value) is int:
        return 0
    raise _Invalid("_host_index", value, "0 (the only server)")


def _retries(value: Any) -> Optional[RetryPolicy]:
    if value is None:
        return None
    try:
        return RetryPolicy.from_setting(value)
    except ValueError:
        raise _Invalid("_retries", value, "an int >= 0, a RetryPolicy or a urllib3 Retry") from None


def _deadline(value: Any) -> Optional[float]:
    if value is None or wait_seconds(value):
        return None if value is None else float(value)
    raise _Invalid("_deadline", value, "finite seconds > 0")


_PositiveFloat = Annotated[StrictFloat, Field(gt=0)]


def _signature(
    start_time: Optional[datetime.datetime] = None,
    end_time: Optional[datetime.datetime] = None,
    group_by: Optional[list[TokenUsageScope]] = None,
    _request_timeout: Union[_PositiveFloat, tuple[_PositiveFloat, _PositiveFloat], None] = None,
    _request_auth: Optional[dict[StrictStr, Any]] = None,
    _content_type: Optional[StrictStr] = None,
    _headers: Optional[dict[StrictStr, Any]] = None,
    _host_index: Annotated[StrictInt, Field(ge=0, le=0)] = 0,
    _retries: Any = None,
    _deadline: Any = None,
) -> None:
    """The generated client's signature of the operation (plus ``_retries``/``_deadline``)."""


_NAMES = tuple(_signature.__code__.co_varnames[: _signature.__code__.co_argcount])


@functools.lru_cache(maxsize=8)
def _reference(method: str) -> Callable[..., None]:
    """``validate_call`` of :func:`_signature`, titled ``UsageApi.<method>`` as pydantic
    titles the generated client's errors."""

    def reference(*args: Any, **kwargs: Any) -> None:
        return _signature(*args, **kwargs)

    functools.update_wrapper(reference, _signature)
    reference.__name__ = method
    reference.__qualname__ = f"UsageApi.{method}"
    return validate_call(reference)
