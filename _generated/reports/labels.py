"""How reports write times: moments, instants and window labels, for the table, HTML and errors.

Every text form of a time in a report is defined here once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from _generated.reports.periods import Window

__all__ = [
    "DASH",
    "fmt_instant",
    "fmt_moment",
    "is_midnight",
    "span_label",
    "tick_label",
    "window_cell",
    "window_label",
]

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
#: En dash, for ranges.
DASH = "\u2013"


def is_midnight(moment: datetime) -> bool:
    """True at 00:00:00 (wall clock)."""
    return (moment.hour, moment.minute, moment.second) == (0, 0, 0)


def fmt_moment(moment: datetime) -> str:
    """``2026-11-01`` at midnight, else ``2026-11-01 08:30`` (wall clock of its zone)."""
    if is_midnight(moment) and moment.microsecond == 0:
        return moment.strftime("%Y-%m-%d")
    return moment.strftime("%Y-%m-%d %H:%M")


def fmt_instant(moment: datetime) -> str:
    """``2026-11-29 12:00:00 CET``: a moment to the second, with its zone's abbreviation."""
    zone = moment.tzname() or moment.strftime("%z")
    return f"{moment:%Y-%m-%d %H:%M:%S} {zone}".rstrip()


def window_label(window: Window) -> str:
    """``start/end`` in ISO 8601 with offsets: a window as error messages name it."""
    return f"{window.start.isoformat()}/{window.end.isoformat()}"


def window_cell(window: Window, interval: Optional[str]) -> str:
    """A window as the terminal table shows it: ``2026-11``, ``2026-11-01``, or an hour."""
    start = window.start
    if interval == "month":
        return start.strftime("%Y-%m")
    if interval == "hour":
        # tzname tells the two 02:00 hours of a DST fall-back apart (CEST, then CET).
        return f"{start.strftime('%Y-%m-%d %H:%M')} {start.tzname()}"
    return start.strftime("%Y-%m-%d")


def span_label(first: Window, last: Window, interval: Optional[str], per_bar: int) -> str:
    """The windows of a chart bar as a reader names them (end exclusive when a range)."""
    if per_bar == 1:
        if interval == "day" and is_midnight(first.start):
            return f"{first.start:%Y-%m-%d} ({WEEKDAYS[first.start.weekday()]})"
        if interval == "month" and first.start.day == 1 and is_midnight(first.start):
            return f"{first.start:%Y-%m}"
        if interval == "hour":
            return f"{first.start:%Y-%m-%d %H:%M} {first.start.tzname() or ''}".rstrip()
    return f"{fmt_moment(first.start)} {DASH} {fmt_moment(last.end)}"


def tick_label(start: datetime, interval: Optional[str], *, with_year: bool) -> str:
    """A chart axis label: ``Nov 3``, ``Nov 3, 2026``, ``Nov 3 14:00`` or ``Nov 2026``."""
    month = MONTHS[start.month - 1]
    if interval == "month":
        return f"{month} {start.year}"
    day = f"{month} {start.day}"
    if interval == "hour":
        return f"{day} {start:%H:%M}"
    return f"{day}, {start.year}" if with_year else day
