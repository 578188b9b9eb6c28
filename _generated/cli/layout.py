"""Layout shared by the CLI's views: the aligned text table and the extra HTML section.

Text cells are escaped and measured in display columns (see :mod:`_generated._textsafety`).
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Final, Optional

from _generated._textsafety import (
    blank_out,
    display_width,
    escape_control,
    fit,
    html_text,
    pad,
)
from _generated.reports import GroupKey, UsageReport, UsageRow
from _generated.reports.columns import GROUP_LABELS, GROUPS

__all__ = [
    "LABELS",
    "document",
    "group_cells",
    "group_columns",
    "group_headers",
    "text_table",
    "when_label",
    "window_cell",
    "with_section",
]

_GAP: Final = "  "
_MIN_TEXT: Final = 6
# Only server names are cut to fit: a cut window label or number says nothing.
_CUTTABLE: Final = frozenset(GROUP_LABELS.values())
_NONE: Final = "(none)"
LABELS: Final = {
    "inference": "inference",
    "eval_prompt": "eval prompt",
    "eval_completion": "eval completion",
    "total": "total",
}


def when_label(moment: datetime) -> str:
    if (moment.hour, moment.minute, moment.second, moment.microsecond) == (0, 0, 0, 0):
        return moment.strftime("%Y-%m-%d")
    return moment.strftime("%Y-%m-%d %H:%M")


def group_headers(report: UsageReport) -> list[str]:
    return [GROUP_LABELS[g] for g in group_columns(report)]


def group_columns(report: UsageReport) -> list[str]:
    # Columns in a fixed order, whatever order --group-by was given in.
    return [g for g in GROUPS if g in report.group_by]


def group_cells(report: UsageReport, key: GroupKey) -> list[str]:
    values = {"rule_type": key.rule_type, "task": key.task_id}
    return [values[g] or _NONE for g in group_columns(report)]


def window_cell(row: UsageRow, interval: Optional[str]) -> str:
    start = row.window_start
    if interval == "month":
        return start.strftime("%Y-%m")
    if interval == "hour":
        return f"{start.strftime('%Y-%m-%d %H:%M')} {start.tzname()}"
    return start.strftime("%Y-%m-%d")


def text_table(
    title: str,
    text_headers: Sequence[str],
    number_headers: Sequence[tuple[str, str]],
    body: Sequence[tuple[Sequence[str], Sequence[str]]],
    width: int,
    secrets: Sequence[str] = (),
) -> str:
    """Aligned columns (by display width) under a wrapped title; the last body row is TOTAL.

    Number columns have two header lines, ``(top, bottom)``. To fit ``width``, the group
    columns (rule type, task) are cut, down to 6 columns each; windows and numbers never
    are, so a table they alone make wider than ``width`` is wider.
    """
    # Secrets blanked before any cut: a cut credential would escape the output's redaction.
    safe = [
        ([escape_control(blank_out(t, secrets)) for t in texts], list(numbers))
        for texts, numbers in body
    ]
    text_widths = [
        max(display_width(h), *(display_width(texts[i]) for texts, _ in safe))
        for i, h in enumerate(text_headers)
    ]
    number_widths = [
        max(len(top), len(bottom), *(len(numbers[i]) for _, numbers in safe))
        for i, (top, bottom) in enumerate(number_headers)
    ]
    excess = (
        sum(text_widths)
        + sum(number_widths)
        + len(_GAP) * (len(text_widths) + len(number_widths) - 1)
        - width
    )
    cuttable = [i for i, header in enumerate(text_headers) if header in _CUTTABLE]
    while excess > 0:
        widest = max(cuttable, key=lambda i: text_widths[i], default=None)
        if widest is None or text_widths[widest] <= _MIN_TEXT:
            break
        text_widths[widest] -= 1
        excess -= 1

    def line(texts: Sequence[str], numbers: Sequence[str]) -> str:
        cells = [pad(fit(t, w), w) for t, w in zip(texts, text_widths, strict=True)]
        cells += [pad(n, w, right=True) for n, w in zip(numbers, number_widths, strict=True)]
        return _GAP.join(cells).rstrip()

    rule = _GAP.join("-" * w for w in [*text_widths, *number_widths])
    lines = textwrap.wrap(escape_control(title), width=width)
    if any(top for top, _ in number_headers):
        lines.append(line([""] * len(text_headers), [top for top, _ in number_headers]))
    lines.append(line(list(text_headers), [bottom for _, bottom in number_headers]))
    lines.append(rule)
    lines.extend(line(texts, numbers) for texts, numbers in safe[:-1])
    if len(safe) == 1:
        lines.append("(no token usage in this range)")
    lines.append(rule)
    lines.append(line(*safe[-1]))
    return "\n".join(lines) + "\n"


def with_section(
    report: UsageReport, heading: str, headers: Sequence[str], body: Sequence[Sequence[str]]
) -> str:
    """The report's HTML page with one more table before ``</body>``."""
    page = report.to_html()
    head = "".join(f"<th>{html_text(h)}</th>" for h in headers)
    rows = "".join(
        "<tr>" + "".join(f"<td>{html_text(cell)}</td>" for cell in cells) + "</tr>\n"
        for cells in body
    )
    section = (
        f'<section class="genai-usage-extra">\n<h2>{html_text(heading)}</h2>\n'
        f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{rows}</tbody>\n</table>\n</section>\n"
    )
    at = page.rfind("</body>")
    return page[:at] + section + page[at:] if at >= 0 else page + section


def document(report: UsageReport) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(report.to_json())
    return document
