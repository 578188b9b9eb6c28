"""Period comparison: a report against the preceding period of equal length.

::

    from _generated.reports import compare, previous_period

    earlier = previous_period(report.start, report.end, report.tz)   # October for November
    before = fetch_usage(api, earlier.start, earlier.end, report.group_by, report.interval,
                         report.tz)
    comparison = compare(report, before)
    comparison.overall.change, comparison.overall.label()            # 1234, '+5.2%'

The preceding period is found in the report's time zone: a range of whole calendar months
(the same day of the month and time of day at both ends, e.g. November 1st to December
1st) goes back that many months; a range with the same time of day at both ends goes back
that many local days (a DST day keeps its 23 or 25 hours); any other range goes back its
exact length. A group absent from one period counts 0 there; a zero baseline has no
percentage and is labelled ``"new"``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone, tzinfo
from decimal import Decimal
from typing import Any, Optional, Union

from _generated.exceptions import ApiArgumentError
from _generated.reports.columns import MEASURES, Measure
from _generated.reports.periods import Window, local_midnight, resolve_zone
from _generated.reports.report import UsageReport
from _generated.reports.rows import GroupKey

__all__ = ["Change", "Comparison", "compare", "previous_period"]

_UTC = timezone.utc
# A shifted day of the month must exist in every month: the 29th to 31st do not.
_LAST_SAFE_DAY = 28


@dataclass(frozen=True)
class Change:
    """One value in the current and the previous period."""

    current: int
    previous: int

    @property
    def change(self) -> int:
        """``current - previous``."""
        return self.current - self.previous

    @property
    def percent(self) -> Optional[Decimal]:
        """The change in percent of ``previous``; ``None`` when ``previous`` is 0."""
        if self.previous == 0:
            return None
        return Decimal(self.change * 100) / Decimal(self.previous)

    @property
    def is_new(self) -> bool:
        """True when there is usage now and there was none before."""
        return self.previous == 0 and self.current != 0

    def label(self) -> str:
        """The percentage as shown: ``+5.2%``, ``-100.0%``, ``new`` or ``0.0%`` (both 0)."""
        percent = self.percent
        if percent is None:
            return "new" if self.is_new else "0.0%"
        return f"{percent:+.1f}%"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``current``, ``previous``, ``change``, ``change_pct`` (or null), ``new``."""
        percent = self.percent
        return {
            "current": self.current,
            "previous": self.previous,
            "change": self.change,
            "change_pct": None if percent is None else float(round(percent, 4)),
            "new": self.is_new,
        }


@dataclass(frozen=True)
class Comparison:
    """A measure per group and overall, in a report's period and the one before it.

    ``by_group`` holds every group present in either period, the largest current value
    first (ties: the largest previous value, then by name).
    """

    measure: str
    current: Window
    previous: Window
    overall: Change
    by_group: dict[GroupKey, Change]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the measure, both periods, ``overall`` and one entry per group."""
        return {
            "measure": self.measure,
            "current": [self.current.start.isoformat(), self.current.end.isoformat()],
            "previous": [self.previous.start.isoformat(), self.previous.end.isoformat()],
            "overall": self.overall.to_dict(),
            "groups": [
                {"rule_type": key.rule_type, "task_id": key.task_id, **change.to_dict()}
                for key, change in self.by_group.items()
            ],
        }


def _at(day: date, moment: datetime, zone: tzinfo) -> datetime:
    """``day`` at ``moment``'s local time of day in ``zone``, as an aware local datetime."""
    local = datetime.combine(day, moment.time().replace(tzinfo=None), tzinfo=zone)
    return local.astimezone(_UTC).astimezone(zone)


def _starts_a_day(moment: datetime, zone: tzinfo) -> bool:
    """Whether ``moment`` (local in ``zone``) is the first instant of its local day."""
    return moment.astimezone(_UTC) == local_midnight(moment.date(), zone)


def previous_period(start: datetime, end: datetime, tz: Union[str, tzinfo] = "UTC") -> Window:
    """The period of equal length just before ``[start, end)`` (aware datetimes), in ``tz``.

    Whole calendar months go back by months, whole local days by days, anything else by
    its exact length (see the module docstring).
    """
    if start.utcoffset() is None or end.utcoffset() is None:
        raise ValueError("previous_period() needs timezone-aware start and end")
    if end.astimezone(_UTC) <= start.astimezone(_UTC):
        raise ValueError("previous_period(): end must be after start")
    zone = resolve_zone(tz)
    first = start.astimezone(zone)
    last = end.astimezone(zone)
    # A day whose midnight is skipped (DST at 00:00) starts at 01:00: still a whole day.
    whole_days = _starts_a_day(first, zone) and _starts_a_day(last, zone)
    same_clock = whole_days or first.time() == last.time()

    def at(day: date) -> datetime:
        return local_midnight(day, zone).astimezone(zone) if whole_days else _at(day, first, zone)

    try:
        if same_clock and first.day == last.day and first.day <= _LAST_SAFE_DAY:
            months = (last.year - first.year) * 12 + last.month - first.month
            index = first.year * 12 + first.month - 1 - months
            earlier = at(date(index // 12, index % 12 + 1, first.day))
        elif same_clock:
            days = (last.date() - first.date()).days
            earlier = at(first.date() - timedelta(days=days))
        else:
            length = end.astimezone(_UTC) - start.astimezone(_UTC)
            earlier = (start.astimezone(_UTC) - length).astimezone(zone)
    except (ValueError, OverflowError):  # the period before would begin before year 1
        raise ApiArgumentError.for_argument(
            "start", start, "a start with a period of the same length after year 1 before it"
        ) from None
    return Window(earlier, first)


def compare(current: UsageReport, previous: UsageReport, measure: Measure = "total") -> Comparison:
    """Compare ``measure`` per group and overall between two reports of the same groups."""
    if measure not in MEASURES:
        raise ValueError(f"measure must be one of {', '.join(MEASURES)}, got {measure!r}")
    if tuple(current.group_by) != tuple(previous.group_by):
        raise ValueError(
            "compare() needs reports grouped the same way, got "
            f"{current.group_by!r} and {previous.group_by!r}"
        )
    now = current.totals()
    before = previous.totals()
    keys = dict.fromkeys([*now.by_group, *before.by_group])
    by_group = {
        key: Change(
            now.by_group[key].get(measure) if key in now.by_group else 0,
            before.by_group[key].get(measure) if key in before.by_group else 0,
        )
        for key in keys
    }
    ordered = sorted(
        by_group.items(),
        key=lambda item: (
            -item[1].current,
            -item[1].previous,
            item[0].rule_type or "",
            item[0].task_id or "",
        ),
    )
    return Comparison(
        measure=measure,
        current=Window(current.start, current.end),
        previous=Window(previous.start, previous.end),
        overall=Change(now.overall.get(measure), before.overall.get(measure)),
        by_group=dict(ordered),
    )
