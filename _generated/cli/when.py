"""``--since``/``--until`` values: ISO dates and datetimes, day words and ages."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Final

from _generated.cli.codes import UsageError
from _generated.cli.parser import WHEN_HELP

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

__all__ = ["parse_when"]

_RELATIVE: Final = re.compile(r"(\d+)\s*([wdhm])")
_RELATIVE_UNITS: Final = {"w": "weeks", "d": "days", "h": "hours", "m": "minutes"}
_DAY_WORDS: Final = {"today": 0, "yesterday": -1, "tomorrow": 1}


def parse_when(text: str, zone: ZoneInfo, now: datetime, argument: str = "--since") -> datetime:
    """Resolve a ``--since``/``--until`` value to an aware datetime in ``zone``.

    ``today``/``yesterday``/``tomorrow`` are local midnights, ``now`` is ``now``, ``7d``,
    ``24h``, ``2w``, ``30m`` are that long before ``now``; anything else is an ISO 8601 date
    (midnight) or datetime, naive ones read in ``zone``. Raises :class:`UsageError`.
    """
    from _generated.exceptions import ApiValueError
    from _generated.reports import _local_midnight, _to_utc

    word = text.strip().lower()
    today = now.astimezone(zone).date()
    if word in _DAY_WORDS:
        return _local_midnight(today + timedelta(days=_DAY_WORDS[word]), zone).astimezone(zone)
    if word == "now":
        return now.astimezone(zone)
    relative = _RELATIVE.fullmatch(word)
    if relative:
        amount = timedelta(**{_RELATIVE_UNITS[relative.group(2)]: int(relative.group(1))})
        return (now - amount).astimezone(zone)
    try:
        return _to_utc(text, zone, argument).astimezone(zone)
    except (ApiValueError, OverflowError) as exc:
        raise UsageError(
            f"argument {argument}: invalid value {text!r}: expected {WHEN_HELP}"
        ) from exc
