"""Date arguments: one parser for what ``UsageApi``, the report API and the CLI accept.

``to_aware(value, argument="start_time", naive=UTC)`` reads a ``datetime``, a ``date`` or
an ISO 8601 string as an aware ``datetime``; ``naive`` says which zone a value without an
offset (and a date's midnight) is in, the one rule where the callers differ.
"""

from __future__ import annotations

import datetime
from typing import Union

from _generated.exceptions import ApiArgumentError

__all__ = ["IN_RANGE", "DateLike", "format_rfc3339", "to_aware"]

DateLike = Union[datetime.datetime, datetime.date, str]
"""A ``datetime`` (aware, or naive in the caller's zone), a ``date`` or an ISO 8601 string."""

UTC = datetime.timezone.utc
_EXPECTED = "a datetime, a date or an ISO 8601 string such as '2026-11-01T00:00:00+00:00'"
#: What a time whose instant has no UTC datetime (years 1 and 9999, offset) is told to be.
IN_RANGE = "a time between years 1 and 9999"


def to_aware(value: object, argument: str, naive: datetime.tzinfo = UTC) -> datetime.datetime:
    """``value`` as an aware datetime; naive values and dates are read in ``naive``.

    :raises ApiArgumentError: naming ``argument`` for anything else, or a string that is
        not ISO 8601.
    """
    parsed: datetime.datetime
    if isinstance(value, datetime.datetime):
        parsed = value
    elif isinstance(value, datetime.date):
        parsed = datetime.datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        from dateutil.parser import isoparse  # dateutil loads only when a string is given

        try:
            parsed = isoparse(value.strip())
        except (ValueError, OverflowError):
            raise ApiArgumentError.for_argument(argument, value, _EXPECTED) from None
    else:
        raise ApiArgumentError.for_argument(argument, value, _EXPECTED)
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        parsed = _localize(parsed, naive)
    return parsed


def _localize(value: datetime.datetime, zone: datetime.tzinfo) -> datetime.datetime:
    # pytz-style zones need localize(); zoneinfo and fixed offsets take replace().
    localize = getattr(zone, "localize", None)
    if callable(localize):
        localized: datetime.datetime = localize(value)
        return localized
    return value.replace(tzinfo=zone)


def format_rfc3339(value: datetime.datetime) -> str:
    """RFC 3339 with an explicit offset (``+01:00``); a naive datetime is taken as UTC."""
    if value.tzinfo is UTC:
        return value.isoformat()  # the common case, decided without utcoffset()
    if value.tzinfo is None or value.utcoffset() is None:
        value = value.replace(tzinfo=UTC)
    offset = value.utcoffset()
    if offset is not None and (offset.seconds % 60 or offset.microseconds):
        # RFC 3339 offsets have no seconds: say the same instant in UTC.
        value = value.astimezone(UTC)
    return value.isoformat()
