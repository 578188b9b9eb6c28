"""What ``genai-usage tokens`` prints: the report, or its comparison or costs, in each format.

The table layout and the HTML section live in :mod:`_generated.cli.layout`.

Plain JSON, NDJSON, HTML and the plain table come from the report's own exports; CSV is
written here (formula neutralising, ``--csv-raw``), and so are the comparison and cost
columns, which the report's exports do not have. Every server string goes through
:mod:`_generated._textsafety`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final, Optional

from _generated._textsafety import csv_row
from _generated.cli.layout import (
    LABELS,
    document,
    group_cells,
    group_headers,
    text_table,
    when_label,
    window_cell,
    with_section,
)
from _generated.reports import (
    COLUMNS,
    Change,
    Comparison,
    Costs,
    UsageReport,
    UsageRow,
)
from _generated.reports.costs import exact, show
from _generated.reports.table import render_table

__all__ = ["View", "render", "render_rows"]


@dataclass(frozen=True)
class View:
    """What to render: the report, and optionally its comparison or its costs."""

    report: UsageReport
    fmt: str
    width: int = 80
    csv_raw: bool = False
    comparison: Optional[Comparison] = None
    costs: Optional[Costs] = None
    #: Credentials to blank in names (the output is redacted again as a whole).
    secrets: Sequence[str] = ()


def render(view: View) -> Iterator[str]:
    """The output of ``view`` in pieces, in order."""
    if view.comparison is not None:
        yield from _COMPARE[view.fmt](view, view.comparison)
    elif view.costs is not None:
        yield from _COSTS[view.fmt](view, view.costs)
    else:
        yield from _PLAIN[view.fmt](view)


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
    yield render_table(view.report, view.width, secrets=view.secrets)


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
    now, before = comparison.current, comparison.previous
    return (
        f"{LABELS[comparison.measure].capitalize()} tokens from {when_label(now.start)} "
        f"to {when_label(now.end)} compared with {when_label(before.start)} "
        f"to {when_label(before.end)} ({report.tz}, end exclusive), by "
        + " and ".join(report.group_by)
    )


def _change_numbers(change: Change) -> list[str]:
    return [f"{change.current:,}", f"{change.previous:,}", f"{change.change:+,}", change.label()]


def _compare_table(view: View, comparison: Comparison) -> Iterator[str]:
    report = view.report
    body: list[tuple[Sequence[str], Sequence[str]]] = [
        (group_cells(report, key), _change_numbers(change))
        for key, change in comparison.by_group.items()
    ]
    texts = group_headers(report)
    body.append((["TOTAL"] + [""] * (len(texts) - 1), _change_numbers(comparison.overall)))
    title = _compare_title(report, comparison)
    yield text_table(title, texts, _COMPARE_HEADERS, body, view.width, view.secrets)


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
        # A number, not text: the formula guard is for server strings, and -9.97 is not one.
        record["change_pct"] = None if pct is None else Decimal(f"{pct:.2f}")
        record["new"] = "true" if record["new"] else "false"
        yield csv_row((record[c] for c in _COMPARE_COLUMNS), raw=view.csv_raw)


def _compare_json(view: View, comparison: Comparison) -> Iterator[str]:
    doc = document(view.report)
    doc["comparison"] = comparison.to_dict()
    yield json.dumps(doc, indent=2) + "\n"


def _compare_ndjson(view: View, comparison: Comparison) -> Iterator[str]:
    for record in _compare_records(comparison):
        yield json.dumps(record) + "\n"


def _compare_html(view: View, comparison: Comparison) -> Iterator[str]:
    report = view.report
    body = [[*group_cells(report, k), *_change_numbers(c)] for k, c in comparison.by_group.items()]
    texts = group_headers(report)
    body.append(["TOTAL"] + [""] * (len(texts) - 1) + _change_numbers(comparison.overall))
    headers = [*texts, *(" ".join(filter(None, pair)) for pair in _COMPARE_HEADERS)]
    yield with_section(report, _compare_title(report, comparison), headers, body)


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
        f"Token usage and cost ({costs.currency}) from {when_label(report.start)} to "
        f"{when_label(report.end)} ({report.tz}, end exclusive)"
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
        texts = [window_cell(row, report.interval)] if report.interval is not None else []
        texts += group_cells(report, row.group)
        numbers = [f"{row.total:,}", *(show(values[kind]) for kind in costs.kinds), show(total)]
        body.append((texts, numbers))
    overall = report.totals().overall.total
    width = len(group_headers(report)) + (report.interval is not None)
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
    return (["window"] if report.interval is not None else []) + group_headers(report)


def _cost_table(view: View, costs: Costs) -> Iterator[str]:
    report = view.report
    headers = _cost_headers(costs)
    yield text_table(
        _cost_title(report, costs),
        _cost_text_headers(report),
        headers,
        _cost_body(view, costs),
        view.width,
        view.secrets,
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
    doc = document(view.report)
    for record, (_, values, total) in zip(doc["rows"], costs.rows, strict=True):
        record.update(_cost_fields(costs, values, total))
    doc["costs"] = costs.to_dict()
    yield json.dumps(doc, indent=2) + "\n"


def _cost_ndjson(view: View, costs: Costs) -> Iterator[str]:
    for row, values, total in costs.rows:
        yield json.dumps({**row.to_dict(), **_cost_fields(costs, values, total)}) + "\n"


def _cost_html(view: View, costs: Costs) -> Iterator[str]:
    report = view.report
    numbers = [f"{top} {bottom}" for top, bottom in _cost_headers(costs)]
    headers = [*_cost_text_headers(report), *numbers]
    body = [[*texts, *numbers] for texts, numbers in _cost_body(view, costs)]
    yield with_section(report, _cost_title(report, costs), headers, body)


_COSTS: Final = {
    "table": _cost_table,
    "csv": _cost_csv,
    "json": _cost_json,
    "ndjson": _cost_ndjson,
    "html": _cost_html,
}
