"""``--fail-above`` and ``--fail-above-per-group``: what exceeded them, as one message each."""

from __future__ import annotations

import argparse
from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from _generated.reports import GroupKey, Measure, Totals

__all__ = ["threshold_failures"]

#: Groups named in the message; the rest are counted.
_SHOWN_GROUPS = 3


def _number(value: Decimal) -> str:
    return f"{int(value):,}" if value == value.to_integral_value() else f"{value:,}"


def _group_name(key: GroupKey, group_by: tuple[str, ...]) -> str:
    names = {"rule_type": key.rule_type, "task": key.task_id}
    return " / ".join(names[g] or "(none)" for g in group_by)


def threshold_failures(
    totals: Totals, group_by: tuple[str, ...], args: argparse.Namespace
) -> list[str]:
    """What exceeded ``--fail-above``/``--fail-above-per-group`` (empty: nothing did)."""
    measure: Measure = args.measure
    failures: list[str] = []
    overall = totals.overall.get(measure)
    if args.fail_above is not None and overall > args.fail_above:
        failures.append(
            f"{measure} tokens {overall:,} exceed --fail-above {_number(args.fail_above)}"
        )
    if args.fail_above_per_group is not None:
        over = sorted(
            (
                (counts.get(measure), _group_name(key, group_by))
                for key, counts in totals.by_group.items()
                if counts.get(measure) > args.fail_above_per_group
            ),
            key=lambda item: (-item[0], item[1]),
        )
        if over:
            shown = ", ".join(f"{name} ({value:,})" for value, name in over[:_SHOWN_GROUPS])
            more = f" and {len(over) - _SHOWN_GROUPS} more" if len(over) > _SHOWN_GROUPS else ""
            failures.append(
                f"{len(over)} group(s) exceed --fail-above-per-group "
                f"{_number(args.fail_above_per_group)} in {measure} tokens: {shown}{more}"
            )
    return failures
