"""Time for reports: zones, instants read from user input, and windows aligned in a zone.

Every instant is handled in UTC inside: Python compares and subtracts two datetimes that
share a ``ZoneInfo`` by wall-clock time, which is wrong across a DST change. Only the
windows handed out are converted back to the report's zone.

The public helpers (:func:`resolve_zone`, :func:`to_utc`, :func:`local_midnight`,
:func:`parse_when`, :func:`split_windows`) are what ``fetch_usage`` and the CLI share.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone, tzinfo
from typing import NamedTuple, Optional, Union
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from _generated._constants import MAX_REPORT_WINDOWS
from _generated._datetimes import IN_RANGE, DateLike, to_aware
from _generated.exceptions import ApiArgumentError
from _generated.reports.columns import check_interval

__all__ = [
    "WHEN_FORMS",
    "DateLike",
    "Window",
    "ZoneLike",
    "local_midnight",
    "parse_when",
    "resolve_zone",
    "split_windows",
    "to_utc",
    "zone_name",
]

UTC = timezone.utc
_HOUR = timedelta(hours=1)
#: The boundary after the last one the calendar has: a window reaching it ends at ``end``.
_PAST_YEAR_9999 = datetime.max.replace(tzinfo=UTC)
_IN_ZONE = "a time between years 1 and 9999 in the report's time zone ({zone})"

#: What ``tz`` accepts: an IANA name or any ``tzinfo`` (``ZoneInfo``, ``timezone.utc``, ...).
ZoneLike = Union[str, tzinfo]

#: The forms :func:`parse_when` reads, as a phrase for error and help texts.
WHEN_FORMS = (
    "an ISO date or datetime (2026-11-01, 2026-11-01T08:00, 2026-11-01T08:00+01:00), "
    "today, yesterday, tomorrow, now, or an age such as 7d, 24h, 2w, 30m"
)
_RELATIVE = re.compile(r"(\d+)\s*([wdhm])")
_RELATIVE_UNITS = {"w": "weeks", "d": "days", "h": "hours", "m": "minutes"}
_NAMED_DAYS = {"today": 0, "yesterday": -1, "tomorrow": 1}
_ZONE_EXPECTED = "an IANA time zone name such as 'UTC' or 'Europe/Berlin', or a tzinfo"


class Window(NamedTuple):
    """One time window of a report: ``[start, end)``, aware datetimes in the report's zone."""

    start: datetime
    end: datetime


def resolve_zone(tz: ZoneLike) -> tzinfo:
    """The ``tzinfo`` for ``tz``: an IANA name (``"Europe/Berlin"``) or a ``tzinfo`` as is.

    Raises ``ApiArgumentError`` naming ``tz`` for an unknown name or another type.
    """
    if isinstance(tz, tzinfo):
        return tz
    if not isinstance(tz, str) or not tz.strip():
        raise ApiArgumentError.for_argument("tz", tz, _ZONE_EXPECTED)
    try:
        return ZoneInfo(tz.strip())
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ApiArgumentError.for_argument("tz", tz, _ZONE_EXPECTED) from exc


def zone_name(zone: tzinfo) -> str:
    """A zone's name for reports: the IANA key of a ``ZoneInfo``, ``"UTC"`` for UTC."""
    key = getattr(zone, "key", None) or getattr(zone, "zone", None)  # ZoneInfo, pytz
    return key if isinstance(key, str) else str(zone)


def to_utc(value: DateLike, zone: tzinfo, argument: str) -> datetime:
    """An aware UTC datetime for ``value``; naive datetimes and dates are read in ``zone``.

    ``value``: an aware or naive datetime, a date (its midnight), or an ISO 8601 string.
    Raises ``ApiArgumentError`` naming ``argument`` for anything else.
    """
    parsed = to_aware(value, argument, zone)  # the one parser of date arguments
    try:
        return parsed.astimezone(UTC)
    except OverflowError as exc:
        raise ApiArgumentError.for_argument(argument, value, IN_RANGE) from exc


def local_midnight(day: date, zone: tzinfo) -> datetime:
    """The first instant (UTC) of ``day`` in ``zone`` (01:00 where midnight is skipped)."""
    # fold=0 in a gap gives the pre-transition offset, i.e. the day's first real instant.
    return to_aware(day, "day", zone).astimezone(UTC)


def parse_when(text: str, zone: tzinfo, now: datetime, argument: str = "--since") -> datetime:
    """Resolve a ``--since``/``--until``-style value to an aware datetime in ``zone``.

    ``today``/``yesterday``/``tomorrow`` are local midnights, ``now`` is ``now``; ``7d``,
    ``24h``, ``2w``, ``30m`` are that long before ``now``; anything else is an ISO 8601 date
    (midnight) or datetime, naive ones read in ``zone``. ``now`` must be aware (inject it:
    tests never depend on the clock). Raises ``ApiArgumentError`` naming ``argument``, whose
    message lists :data:`WHEN_FORMS`.
    """
    if not isinstance(text, str):
        raise ApiArgumentError.for_argument(argument, text, WHEN_FORMS)
    word = text.strip().lower()
    if word in _NAMED_DAYS:
        today = now.astimezone(zone).date()
        return local_midnight(today + timedelta(days=_NAMED_DAYS[word]), zone).astimezone(zone)
    if word == "now":
        return now.astimezone(zone)
    relative = _RELATIVE.fullmatch(word)
    try:
        if relative:
            amount = timedelta(**{_RELATIVE_UNITS[relative.group(2)]: int(relative.group(1))})
            return (now - amount).astimezone(zone)
        return to_utc(text, zone, argument).astimezone(zone)
    except (ApiArgumentError, OverflowError) as exc:
        raise ApiArgumentError.for_argument(argument, text, WHEN_FORMS) from exc


def split_windows(
    start: DateLike,
    end: DateLike,
    interval: Optional[str] = None,
    tz: ZoneLike = "UTC",
) -> list[Window]:
    """The windows ``fetch_usage`` would request, with the same argument rules."""
    zone = resolve_zone(tz)
    start_utc, end_utc = check_range(start, end, zone)
    return split(start_utc, end_utc, check_interval(interval), zone)


def check_range(start: DateLike, end: DateLike, zone: tzinfo) -> tuple[datetime, datetime]:
    """``start`` and ``end`` in UTC, or ``ApiArgumentError`` unless ``start < end``."""
    start_utc = _in_zone(to_utc(start, zone, "start"), start, zone, "start")
    end_utc = _in_zone(to_utc(end, zone, "end"), end, zone, "end")
    if end_utc <= start_utc:
        raise ApiArgumentError.for_argument(
            "end", end, f"a time after start ({start_utc.astimezone(zone).isoformat()})"
        )
    return start_utc, end_utc


def _in_zone(instant: datetime, value: DateLike, zone: tzinfo, argument: str) -> datetime:
    """``instant`` (UTC), or ``ApiArgumentError`` naming ``argument`` if ``zone`` cannot show it."""
    try:
        instant.astimezone(zone)  # windows are handed out in the zone
    except OverflowError as exc:
        raise ApiArgumentError.for_argument(
            argument, value, _IN_ZONE.format(zone=zone_name(zone))
        ) from exc
    return instant


def split(start: datetime, end: datetime, interval: Optional[str], zone: tzinfo) -> list[Window]:
    """Windows of ``[start, end)`` (UTC) aligned to ``interval`` in ``zone``, clipped."""
    if interval is None:
        return [Window(start.astimezone(zone), end.astimezone(zone))]
    windows: list[Window] = []
    boundary = _floor(start, interval, zone)
    while boundary < end:
        following = _step(boundary, interval, zone)
        windows.append(
            Window(max(boundary, start).astimezone(zone), min(following, end).astimezone(zone))
        )
        if len(windows) > MAX_REPORT_WINDOWS:
            raise ApiArgumentError.for_argument(
                "interval",
                interval,
                f"an interval giving at most {MAX_REPORT_WINDOWS} windows for this range",
            )
        boundary = following
    return windows


def _floor(instant: datetime, interval: str, zone: tzinfo) -> datetime:
    """The start (UTC) of the ``interval`` in ``zone`` that contains ``instant``; ``instant``
    itself if that start is before year 1 (in UTC)."""
    try:
        local = instant.astimezone(zone)
        if interval == "hour":
            return local.replace(minute=0, second=0, microsecond=0).astimezone(UTC)
        day = local.date()
        if interval == "week":
            day -= timedelta(days=day.weekday())
        elif interval == "month":
            day = day.replace(day=1)
        return local_midnight(day, zone)
    except (OverflowError, ValueError):
        # The interval began before the calendar did: the first window starts at ``start``.
        return instant


def _step(boundary: datetime, interval: str, zone: tzinfo) -> datetime:
    """The next ``interval`` boundary (UTC) after ``boundary``; past the end of year 9999,
    :data:`_PAST_YEAR_9999` (so the last window ends at the range's end)."""
    try:
        if interval == "hour":
            following = _floor(boundary + _HOUR, "hour", zone)
            return following if following > boundary else boundary + _HOUR
        day = boundary.astimezone(zone).date()
        if interval == "day":
            day += timedelta(days=1)
        elif interval == "week":
            day += timedelta(days=7)
        else:
            day = date(day.year + day.month // 12, day.month % 12 + 1, 1)
        return local_midnight(day, zone)
    except (OverflowError, ValueError):
        # date and datetime end with year 9999; the range itself ends before that.
        return _PAST_YEAR_9999


def utc_bounds(window: Window) -> tuple[datetime, datetime]:
    """A window's bounds in UTC (the key to compare windows by)."""
    return (window.start.astimezone(UTC), window.end.astimezone(UTC))
