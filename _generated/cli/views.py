"""What ``genai-usage tokens`` prints: the report, or its comparison or costs, in each format.

Plain JSON, NDJSON, HTML and the plain table come from the report's own exports; CSV is
written here (formula neutralising, ``--csv-raw``), and so are the comparison and cost
columns, which the report's exports do not have. Every server string goes through
:mod:`_generated._textsafety`.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, Optional

from _generated._textsafety import csv_row, display_width, escape_control, fit, html_text, pad
from _generated.reports import (
    COLUMNS,
    Change,
    Comparison,
    Costs,
    GroupKey,
    UsageReport,
    UsageRow,
)
from _generated.reports.costs import exact, show

__all__ = ["View", "render", "render_rows"]

_GAP: Final = "  "
_MIN_TEXT: Final = 6
_NONE: Final = "(none)"
_LABELS: Final = {
    "inference": "inference",
    "eval_prompt": "eval prompt",
    "eval_completion": "eval completion",
    "total": "total",
}


@dataclass(frozen=True)
class View:
    """What to render: the report, and optionally its comparison or its costs."""

    report: UsageReport
    fmt: str
    width: int = 80
    csv_raw: bool = False
    comparison: Optional[Comparison] = None
    costs: Optional[Costs] = None


def render(view: View) -> Iterator[str]:
    """The output of ``view`` in pieces, in order."""
    if view.comparison is not None:
        yield from _COMPARE[view.fmt](view, view.comparison)
    elif view.costs is not None:
        yield from _COSTS[view.fmt](view, view.costs)
    else:
        yield from _PLAIN[view.fmt](view)


# -- shared pieces ----------------------------------------------------------------------


def _when(moment: datetime) -> str:
    if (moment.hour, moment.minute, moment.second, moment.microsecond) == (0, 0, 0, 0):
        return moment.strftime("%Y-%m-%d")
    return moment.strftime("%Y-%m-%d %H:%M")


def _group_headers(report: UsageReport) -> list[str]:
    return [{"rule_type": "rule type", "task": "task"}[g] for g in _groups(report)]


def _groups(report: UsageReport) -> list[str]:
    # Columns in a fixed order, whatever order --group-by was given in.
    return [g for g in ("rule_type", "task") if g in report.group_by]


def _group_cells(report: UsageReport, key: GroupKey) -> list[str]:
    values = {"rule_type": key.rule_type, "task": key.task_id}
    return [values[g] or _NONE for g in _groups(report)]


def _window_cell(row: UsageRow, interval: Optional[str]) -> str:
    start = row.window_start
    if interval == "month":
        return start.strftime("%Y-%m")
    if interval == "hour":
        return f"{start.strftime('%Y-%m-%d %H:%M')} {start.tzname()}"
    return start.strftime("%Y-%m-%d")


def _table(
    title: str,
    text_headers: Sequence[str],
    number_headers: Sequence[tuple[str, str]],
    body: Sequence[tuple[Sequence[str], Sequence[str]]],
    width: int,
) -> str:
    """Aligned columns (by display width) under a wrapped title; the last body row is TOTAL.

    Number columns have two header lines, ``(top, bottom)``.
    """
    safe = [([escape_control(t) for t in texts], list(numbers)) for texts, numbers in body]
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
    while excess > 0:
        widest = max(range(len(text_widths)), key=lambda i: text_widths[i], default=None)
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


def _with_section(
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


def _document(report: UsageReport) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(report.to_json())
    return document


def render_rows(fmt: str, rows: Iterable[UsageRow], *, csv_raw: bool = False) -> Iterator[str]:
    """CSV or NDJSON of rows as they arrive (a streamed report), a chunk per row."""
    if fmt == "csv":
        yield csv_row(COLUMNS)
        for row in rows:
            record = row.to_dict()
            yield csv_row((record[column] for column in COLUMNS), raw=csv_raw)
    else:
        for row in rows:
            yield json.dumps(row.to_dict()) + "\n"


# -- the report as it is ----------------------------------------------------------------


def _plain_table(view: View) -> Iterator[str]:
    yield view.report.to_table(width=view.width)


def _plain_csv(view: View) -> Iterator[str]:
    yield from render_rows("csv", view.report.rows, csv_raw=view.csv_raw)


def _plain_json(view: View) -> Iterator[str]:
    yield view.report.to_json()


def _plain_ndjson(view: View) -> Iterator[str]:
    yield view.report.to_ndjson()


def _plain_html(view: View) -> Iterator[str]:
    yield view.report.to_html()


_PLAIN: Final = {
    "table": _plain_table,
    "csv": _plain_csv,
    "json": _plain_json,
    "ndjson": _plain_ndjson,
    "html": _plain_html,
}


# -- comparison -------------------------------------------------------------------------

_COMPARE_HEADERS: Final = (("", "current"), ("", "previous"), ("", "change"), ("change", "%"))


def _compare_title(report: UsageReport, comparison: Comparison) -> str:
    return (
        f"{_LABELS[comparison.measure].capitalize()} tokens from {_when(comparison.current.start)} "
        f"to {_when(comparison.current.end)} compared with {_when(comparison.previous.start)} "
        f"to {_when(comparison.previous.end)} ({report.tz}, end exclusive), by "
        + " and ".join(report.group_by)
    )


def _change_numbers(change: Change) -> list[str]:
    return [f"{change.current:,}", f"{change.previous:,}", f"{change.change:+,}", change.label()]


def _compare_table(view: View, comparison: Comparison) -> Iterator[str]:
    report = view.report
    body: list[tuple[Sequence[str], Sequence[str]]] = [
        (_group_cells(report, key), _change_numbers(change))
        for key, change in comparison.by_group.items()
    ]
    texts = _group_headers(report)
    body.append((["TOTAL"] + [""] * (len(texts) - 1), _change_numbers(comparison.overall)))
    yield _table(_compare_title(report, comparison), texts, _COMPARE_HEADERS, body, view.width)


def _compare_records(comparison: Comparison) -> Iterator[dict[str, Any]]:
    for key, change in comparison.by_group.items():
        yield {"level": "group", "rule_type": key.rule_type, "task_id": key.task_id,
               "measure": comparison.measure, **change.to_dict()}  # fmt: skip
    yield {"level": "overall", "rule_type": None, "task_id": None,
           "measure": comparison.measure, **comparison.overall.to_dict()}  # fmt: skip


_COMPARE_COLUMNS: Final = (
    "level", "rule_type", "task_id", "measure",
    "current", "previous", "change", "change_pct", "new",
)  # fmt: skip


def _compare_csv(view: View, comparison: Comparison) -> Iterator[str]:
    yield csv_row(_COMPARE_COLUMNS)
    for record in _compare_records(comparison):
        pct = record["change_pct"]
        record["change_pct"] = None if pct is None else f"{pct:.2f}"
        record["new"] = "true" if record["new"] else "false"
        yield csv_row((record[c] for c in _COMPARE_COLUMNS), raw=view.csv_raw)


def _compare_json(view: View, comparison: Comparison) -> Iterator[str]:
    document = _document(view.report)
    document["comparison"] = comparison.to_dict()
    yield json.dumps(document, indent=2) + "\n"


def _compare_ndjson(view: View, comparison: Comparison) -> Iterator[str]:
    for record in _compare_records(comparison):
        yield json.dumps(record) + "\n"


def _compare_html(view: View, comparison: Comparison) -> Iterator[str]:
    report = view.report
    body = [[*_group_cells(report, k), *_change_numbers(c)] for k, c in comparison.by_group.items()]
    texts = _group_headers(report)
    body.append(["TOTAL"] + [""] * (len(texts) - 1) + _change_numbers(comparison.overall))
    headers = [*texts, *(" ".join(filter(None, pair)) for pair in _COMPARE_HEADERS)]
    yield _with_section(report, _compare_title(report, comparison), headers, body)


_COMPARE: Final = {
    "table": _compare_table,
    "csv": _compare_csv,
    "json": _compare_json,
    "ndjson": _compare_ndjson,
    "html": _compare_html,
}


# -- costs ------------------------------------------------------------------------------


_SHORT: Final = {
    "inference": "inference",
    "eval_prompt": "eval prompt",
    "eval_completion": "eval compl.",
}


def _cost_headers(costs: Costs) -> list[tuple[str, str]]:
    return [
        ("tokens", "total"),
        *(("cost", _SHORT[kind]) for kind in costs.kinds),
        ("cost", f"total {costs.currency}"),
    ]


def _cost_title(report: UsageReport, costs: Costs) -> str:
    title = (
        f"Token usage and cost ({costs.currency}) from {_when(report.start)} to "
        f"{_when(report.end)} ({report.tz}, end exclusive)"
    )
    if report.interval is not None:
        title += f", per {report.interval}"
    return title + ", by " + " and ".join(report.group_by)


def _cost_body(view: View, costs: Costs) -> list[tuple[list[str], list[str]]]:
    report = view.report
    positions = {
        start: i for i, start in enumerate(sorted({row.window_start for row in report.rows}))
    }
    ordered = sorted(
        costs.rows, key=lambda item: (positions[item[0].window_start], -item[2], -item[0].total)
    )
    body: list[tuple[list[str], list[str]]] = []
    for row, values, total in ordered:
        texts = [_window_cell(row, report.interval)] if report.interval is not None else []
        texts += _group_cells(report, row.group)
        numbers = [f"{row.total:,}", *(show(values[kind]) for kind in costs.kinds), show(total)]
        body.append((texts, numbers))
    overall = report.totals().overall.total
    width = len(_group_headers(report)) + (report.interval is not None)
    body.append(
        (
            ["TOTAL"] + [""] * (width - 1),
            [
                f"{overall:,}",
                *(show(costs.overall[kind]) for kind in costs.kinds),
                show(costs.total),
            ],
        )
    )
    return body


def _cost_text_headers(report: UsageReport) -> list[str]:
    return (["window"] if report.interval is not None else []) + _group_headers(report)


def _cost_table(view: View, costs: Costs) -> Iterator[str]:
    report = view.report
    headers = _cost_headers(costs)
    yield _table(
        _cost_title(report, costs),
        _cost_text_headers(report),
        headers,
        _cost_body(view, costs),
        view.width,
    )


def _cost_fields(costs: Costs, values: dict[str, Any], total: Any) -> dict[str, Any]:
    fields = {f"cost_{kind}": exact(values[kind]) for kind in costs.kinds}
    return {**fields, "cost_total": exact(total), "currency": costs.currency}


def _cost_csv(view: View, costs: Costs) -> Iterator[str]:
    extra = [*(f"cost_{kind}" for kind in costs.kinds), "cost_total", "currency"]
    yield csv_row([*COLUMNS, *extra])
    for row, values, total in costs.rows:
        record = {**row.to_dict(), **_cost_fields(costs, values, total)}
        yield csv_row((record[c] for c in (*COLUMNS, *extra)), raw=view.csv_raw)


def _cost_json(view: View, costs: Costs) -> Iterator[str]:
    document = _document(view.report)
    for record, (_, values, total) in zip(document["rows"], costs.rows, strict=True):
        record.update(_cost_fields(costs, values, total))
    document["costs"] = costs.to_dict()
    yield json.dumps(document, indent=2) + "\n"


def _cost_ndjson(view: View, costs: Costs) -> Iterator[str]:
    for row, values, total in costs.rows:
        yield json.dumps({**row.to_dict(), **_cost_fields(costs, values, total)}) + "\n"


def _cost_html(view: View, costs: Costs) -> Iterator[str]:
    report = view.report
    numbers = [f"{top} {bottom}" for top, bottom in _cost_headers(costs)]
    headers = [*_cost_text_headers(report), *numbers]
    body = [[*texts, *numbers] for texts, numbers in _cost_body(view, costs)]
    yield _with_section(report, _cost_title(report, costs), headers, body)


_COSTS: Final = {
    "table": _cost_table,
    "csv": _cost_csv,
    "json": _cost_json,
    "ndjson": _cost_ndjson,
    "html": _cost_html,
}
