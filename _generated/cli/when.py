"""``--since``/``--until`` values: the report's :func:`~_generated.reports.parse_when`,
with its errors as usage errors."""

from __future__ import annotations

from datetime import datetime, tzinfo

from _generated.cli.codes import UsageError

__all__ = ["parse_when"]


def parse_when(text: str, zone: tzinfo, now: datetime, argument: str = "--since") -> datetime:
    """Resolve a ``--since``/``--until`` value to an aware datetime in ``zone``.

    ``today``/``yesterday``/``tomorrow`` are local midnights, ``now`` is ``now``, ``7d``,
    ``24h``, ``2w``, ``30m`` are that long before ``now``; anything else is an ISO 8601 date
    (midnight) or datetime, naive ones read in ``zone``. Raises :class:`UsageError`.
    """
    # The SDK loads only when needed: importing _generated.cli stays cheap.
    from _generated.exceptions import ApiValueError
    from _generated.reports import WHEN_FORMS
    from _generated.reports import parse_when as parse

    try:
        return parse(text, zone, now, argument)
    except ApiValueError as exc:
        raise UsageError(
            f"argument {argument}: invalid value {text!r}: expected {WHEN_FORMS}"
        ) from exc
