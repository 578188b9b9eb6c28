"""The terminal table of a report: aligned columns, thousands separators, a totals row.

Server strings are data: control characters are shown escaped, never sent to the
terminal, and columns align by display width (a CJK character takes two columns).
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import Optional

from _generated._textsafety import blank_out, display_width, escape_control, fit, pad
from _generated.reports.columns import GROUP_LABELS, MEASURE_LABELS, MEASURES
from _generated.reports.labels import fmt_moment, window_cell
from _generated.reports.view import ReportView

__all__ = ["render_table"]

# (measure, first header line, second header line): "Eval prompt" as "eval" over "prompt".
_NUMBER_COLUMNS = tuple((m, *(["", *MEASURE_LABELS[m][0].lower().split()])[-2:]) for m in MEASURES)
# When the line is too wide, text columns give up width in this order, down to these floors:
# task ids first (a uuid prefix still identifies), then rule types. Only names are cut: a
# window label or a number cut short would misstate the data.
_SHRINK_STAGES = (("task", 11), ("rule type", 12), ("task", 6), ("rule type", 6))
_GAP = "  "
_NONE = "(none)"


def render_table(report: ReportView, width: int, *, secrets: Sequence[str] = ()) -> str:
    """The table, at most ``width`` columns wide; within each window the largest first.
    ``secrets`` in names are blanked before names are cut to fit (a cut would hide them
    from any later redaction, not their start)."""
    by_window = report.interval is not None
    by_rule = "rule_type" in report.group_by
    by_task = "task" in report.group_by
    text_headers: list[str] = []
    if by_window:
        text_headers.append("window")
    if by_rule:
        text_headers.append(GROUP_LABELS["rule_type"])
    if by_task:
        text_headers.append(GROUP_LABELS["task"])

    keys = report.groups.keys
    body: list[tuple[list[str], list[str]]] = []
    for segment in report.segments:
        label = window_cell(segment.window, report.interval) if by_window else ""
        rows = sorted(
            zip(
                segment.groups,
                segment.inference,
                segment.eval_prompt,
                segment.eval_completion,
                strict=True,
            ),
            key=lambda row: -(row[1] + row[2] + row[3]),
        )
        for group, inference, prompt, completion in rows:
            key = keys[group]
            cells = [label] if by_window else []
            if by_rule:
                cells.append(_name(key.rule_type, secrets))
            if by_task:
                cells.append(_name(key.task_id, secrets))
            numbers = (inference, prompt, completion, inference + prompt + completion)
            body.append((cells, [f"{n:,}" for n in numbers]))
    overall = report.totals().overall
    total_line = (
        ["TOTAL"] + [""] * (len(text_headers) - 1),
        [f"{overall.get(m):,}" for m, _, _ in _NUMBER_COLUMNS],  # type: ignore[arg-type]
    )
    every = [*body, total_line]
    number_widths = [
        max(len(top), len(bottom), *(len(numbers[i]) for _, numbers in every))
        for i, (_, top, bottom) in enumerate(_NUMBER_COLUMNS)
    ]
    text_widths = [
        max(len(header), *(display_width(texts[i]) for texts, _ in every))
        for i, header in enumerate(text_headers)
    ]
    gaps = len(_GAP) * (len(number_widths) + len(text_widths) - 1)
    excess = sum(number_widths) + sum(text_widths) + gaps - width
    for name, floor in _SHRINK_STAGES:
        if name in text_headers and excess > 0:
            column = text_headers.index(name)
            cut = min(excess, max(text_widths[column] - floor, 0))
            text_widths[column] -= cut
            excess -= cut

    def line(texts: list[str], numbers: list[str]) -> str:
        cells = [pad(fit(t, w), w) for t, w in zip(texts, text_widths, strict=True)]
        cells += [n.rjust(w) for n, w in zip(numbers, number_widths, strict=True)]
        return _GAP.join(cells).rstrip()

    rule = _GAP.join("-" * w for w in [*text_widths, *number_widths])
    title = (
        f"Token usage from {fmt_moment(report.start)} to {fmt_moment(report.end)} "
        f"({report.tz}, end exclusive)"
    )
    if by_window:
        title += f", per {report.interval}"
    title += ", by " + " and ".join(report.group_by)
    lines = textwrap.wrap(title, width=width)
    lines.append(line([""] * len(text_headers), [top for _, top, _ in _NUMBER_COLUMNS]))
    lines.append(line(text_headers, [bottom for _, _, bottom in _NUMBER_COLUMNS]))
    lines.append(rule)
    lines.extend(line(texts, numbers) for texts, numbers in body)
    if not body:
        lines.append("(no token usage in this range)")
    lines.append(rule)
    lines.append(line(*total_line))
    return "\n".join(lines) + "\n"


def _name(text: Optional[str], secrets: Sequence[str]) -> str:
    """A rule type or task id as a table cell: secrets blanked, control characters escaped."""
    if text is None:
        return _NONE
    return escape_control(blank_out(text, secrets) if secrets else text)
