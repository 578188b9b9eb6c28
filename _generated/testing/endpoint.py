"""How the endpoint answers a request, in the engine's way or the spec's (no sockets here).

The engine (genai-engine 2.1, measured; see docs/testing.md) and its OpenAPI description
differ in a few client-visible points; :func:`answer` gives either behaviour:

============================  ===================================  ===============================
point                         engine (default)                     spec (``spec_mode=True``)
============================  ===================================  ===============================
omitted ``start_time``/...    no bound                             the current UTC day of ``now``
invalid parameter             400 ``{"detail": "<one string>"}``,  422 ``HTTPValidationError``,
                              before authentication                after authentication
401 body                      by cause (see :func:`authenticate`)  ``Not authenticated``
============================  ===================================  ===============================
"""

from __future__ import annotations

import functools
import hmac
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, Final, Literal, Optional
from urllib.parse import parse_qsl

from _generated.testing.data import UsageRecord, aggregate, engine_order, scopes

if TYPE_CHECKING:
    from pydantic import TypeAdapter

__all__ = [
    "DEFAULT_ROLE",
    "DEFAULT_SCOPE",
    "ENDPOINT_PATH",
    "READ_ROLES",
    "Answer",
    "AuthOutcome",
    "EndpointState",
    "answer",
    "authenticate",
]

#: The one path the fake serves.
ENDPOINT_PATH: Final = "/api/v2/usage/tokens"
#: Roles whose keys may read usage (the engine's usage-read permission).
READ_ROLES: Final = frozenset({"ORG-ADMIN", "ORG-AUDITOR", "TENANT-USER"})
#: Role of a key given as ``token=`` (one that may read usage).
DEFAULT_ROLE: Final = "ORG-ADMIN"

#: Status, headers and body of one answer.
Answer = tuple[int, list[tuple[str, str]], bytes]
#: What :func:`authenticate` found: a reader, a key without the permission, or why not.
AuthOutcome = Literal["ok", "forbidden", "missing", "malformed", "unknown"]

_JSON: Final = ("Content-Type", "application/json")
# The engine's 401 bodies, per cause; the spec (FastAPI's HTTPBearer) has one for all.
_ENGINE_401: Final = {
    "missing": "Requires authentication",
    "malformed": "Bad credentials",
    "unknown": "Unauthorized",
}
_SPEC_401: Final = "Not authenticated"
#: What the engine groups on when the request names nothing (the spec's default too).
DEFAULT_SCOPE: Final = "rule_type"


@dataclass(frozen=True)
class EndpointState:
    """What the endpoint answers from: data, clock reading (spec mode only), keys and
    behaviour."""

    records: Sequence[UsageRecord]
    now: Optional[datetime]
    tokens: Mapping[str, str]
    spec_mode: bool
    order_salt: int


def json_body(obj: object) -> bytes:
    """Starlette's JSONResponse rendering: compact, UTF-8 (``str`` for odd error contexts)."""
    text = json.dumps(obj, ensure_ascii=False, allow_nan=False, separators=(",", ":"), default=str)
    return text.encode("utf-8")


def authenticate(header: Optional[str], tokens: Mapping[str, str]) -> AuthOutcome:
    """Classify an Authorization header against ``tokens`` (key -> role).

    ``Bearer <key>`` with the scheme in any case; no header (or an empty one) is
    ``missing``, another scheme or no credentials ``malformed``, a key not in ``tokens``
    ``unknown``, a key whose role is not in :data:`READ_ROLES` ``forbidden``.
    """
    if header is None or not header.strip():
        return "missing"
    scheme, _, credentials = header.strip().partition(" ")
    credentials = credentials.strip()
    if scheme.lower() != "bearer" or not credentials:
        return "malformed"
    sent = credentials.encode("utf-8")
    for key, role in tokens.items():
        # Compare with every key, in constant time, so timing does not tell which matched.
        if hmac.compare_digest(sent, key.encode("utf-8")):
            return "ok" if role in READ_ROLES else "forbidden"
    return "unknown"


def answer(
    state: EndpointState,
    method: str,
    path: str,
    query_string: str,
    authorization: Optional[str],
    host: Optional[str],
) -> Answer:
    """The whole answer of the server to one request that no fault intercepted."""
    if path != ENDPOINT_PATH:
        if path.rstrip("/") == ENDPOINT_PATH:
            # Starlette's redirect_slashes: 307 to the path without the slash, query kept.
            location = f"http://{host}{ENDPOINT_PATH}" if host else ENDPOINT_PATH
            location += f"?{query_string}" if query_string else ""
            return 307, [("Location", location)], b""
        return 404, [_JSON], json_body({"detail": "Not Found"})
    if method != "GET":
        return 405, [_JSON, ("Allow", "GET")], json_body({"detail": "Method Not Allowed"})
    outcome = authenticate(authorization, state.tokens)
    if state.spec_mode and outcome != "ok":
        return _refused(outcome, spec_mode=True)
    bounds, group_by, errors = _validate(parse_qsl(query_string, keep_blank_values=True))
    if errors:
        if state.spec_mode:
            return 422, [_JSON], json_body({"detail": errors})
        return 400, [_JSON], json_body({"detail": validation_message(errors)})
    if outcome != "ok":
        return _refused(outcome, spec_mode=False)
    start, end = bounds
    if state.spec_mode and state.now is not None:
        day = state.now.astimezone(timezone.utc)
        day = day.replace(hour=0, minute=0, second=0, microsecond=0)
        start = day if start is None else start
        end = day + timedelta(days=1) if end is None else end
    rows = aggregate(state.records, start, end, group_by or [DEFAULT_SCOPE])
    return 200, [_JSON], json_body(engine_order(rows, state.order_salt))


def validation_message(errors: Sequence[Mapping[str, Any]]) -> str:
    """FastAPI's ``str()`` of a request validation error, as the engine sends it in a 400.

    FastAPI ends it with the endpoint's source location; the fake has none to give, so it
    ends with the form FastAPI uses when the source is unknown (``Endpoint: GET <path>``).
    """
    count = len(errors)
    message = f"{count} validation error{'s' if count != 1 else ''}:\n"
    message += "".join(f"  {dict(error)}\n" for error in errors)
    return message + f"\n  Endpoint: GET {ENDPOINT_PATH}"


def _refused(outcome: AuthOutcome, *, spec_mode: bool) -> Answer:
    if outcome == "forbidden":
        return 403, [_JSON], json_body({"detail": "Forbidden"})
    if spec_mode:
        return 401, [_JSON, ("WWW-Authenticate", "Bearer")], json_body({"detail": _SPEC_401})
    return 401, [_JSON], json_body({"detail": _ENGINE_401[outcome]})


@functools.lru_cache(maxsize=1)
def _datetime_adapter() -> TypeAdapter[datetime]:
    # pydantic only when a request comes: the package imports the standard library only.
    from pydantic import TypeAdapter

    return TypeAdapter(datetime)


def _parse_datetime(name: str, raw: str) -> tuple[Optional[datetime], list[dict[str, Any]]]:
    """Parse a query value as FastAPI does for a ``datetime`` parameter (pydantic, lax)."""
    # pydantic only when a request comes: the package imports the standard library only.
    from pydantic import ValidationError

    try:
        return _datetime_adapter().validate_python(raw), []
    except ValidationError as exc:
        errors = []
        for error in exc.errors(include_url=False):
            entry: dict[str, Any] = dict(error)
            entry["loc"] = ("query", name, *error["loc"])
            errors.append(entry)
        return None, errors


def _validate(
    query: Sequence[tuple[str, str]],
) -> tuple[tuple[Optional[datetime], Optional[datetime]], list[str], list[dict[str, Any]]]:
    """The bounds, the scopes and FastAPI's validation errors (in its order) of a query."""
    last: dict[str, str] = {}
    group_by: list[str] = []
    for key, value in query:
        if key == "group_by":
            group_by.append(value)
        else:
            last[key] = value
    errors: list[dict[str, Any]] = []
    bounds: list[Optional[datetime]] = []
    for name in ("start_time", "end_time"):
        parsed: Optional[datetime] = None
        if name in last:
            parsed, bad = _parse_datetime(name, last[name])
            errors.extend(bad)
        bounds.append(parsed)
    known = scopes()
    quoted = [repr(scope) for scope in known]
    # pydantic's enum message: "'a', 'b' or 'c'".
    expected = " or ".join([", ".join(quoted[:-1]), quoted[-1]] if len(quoted) > 1 else quoted)
    for index, value in enumerate(group_by):
        if value not in known:
            errors.append(
                {
                    "type": "enum",
                    "loc": ("query", "group_by", index),
                    "msg": f"Input should be {expected}",
                    "input": value,
                    "ctx": {"expected": expected},
                }
            )
    return (bounds[0], bounds[1]), group_by, errors
