"""A token-usage report as one self-contained HTML page.

::

    report = fetch_usage(api, "2026-11-01", "2026-11-15", interval="day")
    report.to_html("usage.html")            # calls render_html(report) and writes the page

The page shows the period, the host and when it was made; the totals by kind; a stacked bar
chart of tokens per window by rule type (by task when the report is not grouped by rule
type): the :data:`CHART_SERIES` largest series plus "others", an inline SVG drawn here, exact
numbers on hover; a legend; and the :data:`TABLE_ROWS` largest groups plus an "others" row
(the complete data belongs in CSV or JSON). It follows the reader's light or dark colour
scheme and prints on A4.

It needs nothing else: no scripts, fonts, stylesheets or images, and its Content-Security-
Policy forbids loading or running anything, so even a string that slipped through could not
reach the network. Every string from the server (rule types, task ids) and the host is
escaped with :func:`html.escape`; a rule type ``<script>...</script>`` is shown as text.
The page grows with the number of chart bars (at most :data:`MAX_BARS`) and table rows, not
with the number of groups: 35,000 groups render in about half a second to a page of a few
hundred KB, and even names of :data:`NAME_LIMIT` quotes in every bar stay under 2 MB.
"""

from __future__ import annotations

import bisect
import html
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Optional

from _generated._version import __version__

if TYPE_CHECKING:
    from _generated.reports import UsageReport, Window

__all__ = ["CHART_SERIES", "MAX_BARS", "NAME_LIMIT", "TABLE_ROWS", "render_html"]

#: Series (rule types or tasks) drawn in the chart; the rest are summed into "others".
CHART_SERIES = 10
#: Groups listed in the table; the rest are summed into one "others" row.
TABLE_ROWS = 200
#: More windows than this are drawn as bars of several consecutive windows each.
MAX_BARS = 240
#: Longer names are cut to this many characters (with "…") on the page.
NAME_LIMIT = 120
# Names in the chart's hover texts are cut shorter (each segment repeats one).
_HOVER_NAME_LIMIT = 60
# Table cells with longer names may break anywhere (shorter ones at spaces and hyphens).
_LONG_NAME = 40

_UTC = timezone.utc
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_KINDS = (
    ("inference", "Inference", "tokens of the guarded model calls"),
    ("eval_prompt", "Eval prompt", "prompt tokens of rule evaluations"),
    ("eval_completion", "Eval completion", "completion tokens of rule evaluations"),
)
_GROUP_LABELS = {"rule_type": "rule type", "task": "task"}
_NONE_LABEL = "(none)"
_DASH = "\u2013"  # en dash, for ranges
_OTHERS_LABEL = "others"
# Control characters would be invisible or break hover text: show them as U+FFFD.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_USERINFO = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://)[^/@?#]*@")

# Chart geometry in SVG user units (the SVG scales to the page width).
_WIDTH = 960
_HEIGHT = 340
_LEFT = 64
_RIGHT = 12
_TOP = 14
_BOTTOM = 40
_PLOT_W = _WIDTH - _LEFT - _RIGHT
_PLOT_H = _HEIGHT - _TOP - _BOTTOM
_MAX_BAR_W = 56.0
_MAX_X_LABELS = 12
_CHAR_WIDTH = 6.5  # of an 11px axis label, generously

# Per series: light colour, dark colour. Tableau 10 (grey swapped out), brighter in the dark.
_PALETTE = (
    ("#4e79a7", "#6e9bd3"),
    ("#f28e2b", "#f6a550"),
    ("#e15759", "#f07577"),
    ("#76b7b2", "#8fd1cb"),
    ("#59a14f", "#7cc46f"),
    ("#edc948", "#f2d45c"),
    ("#b07aa1", "#cc9cc0"),
    ("#ff9da7", "#ffb3bb"),
    ("#9c755f", "#c39679"),
    ("#7f7fd5", "#a3a3ee"),
)
_OTHERS_COLOURS = ("#b5aea9", "#7d7874")

_LIGHT = (
    "--bg:#ffffff;--fg:#1b1f24;--muted:#59636e;--line:#d1d9e0;--grid:#e8ebef;"
    "--card:#f6f8fa;--warn-bg:#fff8c5;--warn-fg:#4d2d00;--bar:#4e79a7;"
)
_DARK = (
    "--bg:#0d1117;--fg:#e6edf3;--muted:#9198a1;--line:#3d444d;--grid:#262c36;"
    "--card:#151b23;--warn-bg:#3a2f0b;--warn-fg:#f2cc60;--bar:#6e9bd3;"
)


def _palette(dark: bool) -> str:
    colours = [pair[dark] for pair in _PALETTE] + [_OTHERS_COLOURS[dark]]
    return "".join(f"--c{i}:{colour};" for i, colour in enumerate(colours))


_CSS = (
    ":root{color-scheme:light dark;" + _LIGHT + _palette(False) + "}"
    "@media (prefers-color-scheme:dark){:root{" + _DARK + _palette(True) + "}}"
    "*{box-sizing:border-box}"
    "body{margin:0 auto;max-width:1120px;padding:24px 28px 40px;background:var(--bg);"
    "color:var(--fg);font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,"
    "'Helvetica Neue',Arial,sans-serif}"
    "h1{font-size:24px;margin:0 0 4px}"
    "h2{font-size:17px;margin:28px 0 10px}"
    ".meta{color:var(--muted);margin:0;display:flex;flex-wrap:wrap;gap:4px 22px}"
    ".meta b{color:var(--fg);font-weight:600}"
    ".warn{background:var(--warn-bg);color:var(--warn-fg);border-radius:6px;"
    "padding:8px 12px;margin:14px 0 0}"
    ".num{font-variant-numeric:tabular-nums}"
    ".totals{display:grid;grid-template-columns:repeat(4,minmax(0,1fr));gap:12px;"
    "margin:20px 0 0}"
    ".card{background:var(--card);border:1px solid var(--line);border-radius:8px;"
    "padding:10px 14px}"
    ".card .k{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.04em}"
    ".card .v{font-size:24px;font-weight:650;font-variant-numeric:tabular-nums;"
    "overflow-wrap:anywhere}"
    ".card .s{color:var(--muted);font-size:12px}"
    ".card.total{border-color:var(--bar)}"
    "figure{margin:0}"
    ".chart svg{display:block;width:100%;height:auto;overflow:visible}"
    ".chart text{fill:var(--muted);font-size:11px}"
    ".chart .grid{stroke:var(--grid);stroke-width:1}"
    ".chart .axis{stroke:var(--line);stroke-width:1}"
    ".chart .hit{fill:transparent}"
    ".chart .hit:hover{fill:var(--grid)}"
    ".chart .miss{fill:none;stroke:var(--muted);stroke-dasharray:3 3}"
    ".chart.wide .seg{stroke:var(--bg);stroke-width:.6}"
    ".seg:hover{opacity:.75}"
    + "".join(f".s{i}{{fill:var(--c{i})}}.sw.s{i}{{background:var(--c{i})}}" for i in range(11))
    + ".legend{list-style:none;padding:0;margin:10px 0 0;display:flex;flex-wrap:wrap;"
    "gap:6px 18px;font-size:13px}"
    ".legend li{display:flex;align-items:center;gap:6px;min-width:0;overflow-wrap:anywhere}"
    ".sw{display:inline-block;flex:none;width:12px;height:12px;border-radius:3px}"
    ".legend .num{color:var(--muted)}"
    ".empty{color:var(--muted);border:1px dashed var(--line);border-radius:8px;"
    "padding:28px;text-align:center}"
    ".scroll{overflow-x:auto}"
    "table{border-collapse:collapse;width:100%;font-size:13px}"
    "th,td{padding:5px 8px;border-bottom:1px solid var(--line);text-align:left;"
    "vertical-align:top}"
    "th{position:sticky;top:0;background:var(--bg);color:var(--muted);font-weight:600;"
    "white-space:nowrap;user-select:none}"
    "th{vertical-align:bottom}"
    "th .arrow{opacity:.35;font-size:10px;margin-left:3px}"
    "th[aria-sort] .arrow{opacity:1}"
    "th[aria-sort]{color:var(--fg)}"
    "td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}"
    # A name wraps at spaces and hyphens only, unless it is long: then anywhere, so that a
    # hostile name without spaces cannot widen the table (min-width: not letter by letter).
    "td.name{max-width:36em}"
    "td.long{overflow-wrap:anywhere;min-width:12em}"
    "td.rank{color:var(--muted)}"
    "tbody tr:hover{background:var(--card)}"
    ".none,.others td{color:var(--muted);font-style:italic}"
    "tfoot td{font-weight:650;border-bottom:0;border-top:2px solid var(--line)}"
    ".track{display:inline-block;width:56px;height:6px;margin-right:8px;border-radius:3px;"
    "background:var(--grid);vertical-align:middle;overflow:hidden}"
    ".track i{display:block;height:100%;background:var(--bar)}"
    ".pct{display:inline-block;min-width:3.7em}"
    ".note{color:var(--muted);font-size:12px;margin:10px 0 0}"
    "footer{color:var(--muted);font-size:12px;margin-top:28px}"
    "@media (max-width:700px){.totals{grid-template-columns:repeat(2,minmax(0,1fr))}}"
    "@media print{"
    "@page{size:A4;margin:12mm}"
    ":root{color-scheme:light;" + _LIGHT + _palette(False) + "}"
    "*{-webkit-print-color-adjust:exact;print-color-adjust:exact}"
    "body{max-width:none;padding:0;font-size:10pt}"
    ".totals{grid-template-columns:repeat(4,minmax(0,1fr))}"
    ".card{padding:6px 9px}"
    ".card .v{font-size:13pt}"
    "section.chart-section,.totals,header{break-inside:avoid}"
    "table{font-size:8pt}"
    "th,td{padding:3px 4px}"
    "th{position:static;white-space:normal}"
    "tr{break-inside:avoid}"
    ".scroll{overflow:visible}"
    "td.name{max-width:none}"
    "td.long{min-width:9em}"
    ".track,th .arrow{display:none}"
    ".pct{min-width:0}"
    "tbody tr:hover{background:none}"
    "}"
)

_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


def render_html(report: UsageReport) -> str:
    """The report as one self-contained HTML document (a ``str``; write it as UTF-8)."""
    data = _Aggregate.of(report)
    title = f"Token usage {_fmt_moment(report.start)} {_DASH} {_fmt_moment(report.end)}"
    parts: list[str] = [
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n',
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">\n',
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n',
        '<meta name="color-scheme" content="light dark">\n',
        f'<meta name="generator" content="genai-engine-usage-client {_e(__version__)}">\n',
        # An empty icon, so the browser does not ask for /favicon.ico.
        '<link rel="icon" href="data:,">\n',
        f"<title>{_e(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n",
    ]
    parts.append(_header(report, data))
    parts.append(_totals(data))
    parts.append(_chart_section(report, data))
    parts.append(_table_section(report, data))
    parts.append(
        "<footer>Made by genai-engine-usage-client "
        f"{_e(__version__)}. The complete data: <code>--format csv</code> or "
        "<code>--format json</code> (<code>report.to_csv()</code>, "
        "<code>report.to_json()</code>).</footer>\n</body>\n</html>\n"
    )
    return "".join(parts)


# -- aggregation --------------------------------------------------------------------------


@dataclass
class _Aggregate:
    """Everything the page shows, computed in one pass over the rows."""

    overall: list[int]  # inference, eval_prompt, eval_completion
    groups: dict[tuple[Optional[str], Optional[str]], list[int]]
    series_dim: str  # "rule_type" or "task"
    # Per window index: series name -> [inference, eval_prompt, eval_completion].
    per_window: list[dict[Optional[str], list[int]]]
    series_totals: dict[Optional[str], int]
    missing: list[bool]

    @classmethod
    def of(cls, report: UsageReport) -> _Aggregate:
        windows = report.windows
        starts = [window.start.astimezone(_UTC) for window in windows]
        position = {start: i for i, start in enumerate(starts)}
        series_dim = "rule_type" if "rule_type" in report.group_by else "task"
        by_rule = series_dim == "rule_type"
        overall = [0, 0, 0]
        groups: dict[tuple[Optional[str], Optional[str]], list[int]] = {}
        per_window: list[dict[Optional[str], list[int]]] = [{} for _ in windows]
        series_totals: dict[Optional[str], int] = {}
        for row in report.rows:
            inference, prompt, completion = row.inference, row.eval_prompt, row.eval_completion
            overall[0] += inference
            overall[1] += prompt
            overall[2] += completion
            key = (row.rule_type, row.task_id)
            counts = groups.get(key)
            if counts is None:
                groups[key] = [inference, prompt, completion]
            else:
                counts[0] += inference
                counts[1] += prompt
                counts[2] += completion
            series = row.rule_type if by_rule else row.task_id
            series_totals[series] = series_totals.get(series, 0) + inference + prompt + completion
            index = position.get(row.window_start.astimezone(_UTC))
            if index is None:
                index = _containing(starts, row.window_start.astimezone(_UTC))
                if index is None:
                    continue
            cell = per_window[index].get(series)
            if cell is None:
                per_window[index][series] = [inference, prompt, completion]
            else:
                cell[0] += inference
                cell[1] += prompt
                cell[2] += completion
        missing_starts = {window.start.astimezone(_UTC) for window in report.missing}
        return cls(
            overall=overall,
            groups=groups,
            series_dim=series_dim,
            per_window=per_window,
            series_totals=series_totals,
            missing=[start in missing_starts for start in starts],
        )

    @property
    def total(self) -> int:
        return sum(self.overall)


def _containing(starts: list[datetime], moment: datetime) -> Optional[int]:
    """Index of the last window starting at or before ``moment`` (rows off the grid)."""
    index = bisect.bisect_right(starts, moment) - 1
    return index if index >= 0 else None


def _ranked(totals: Iterable[tuple[Optional[str], int]]) -> list[tuple[Optional[str], int]]:
    """Largest first; ties by name, ``None`` last."""
    return sorted(totals, key=lambda item: (-item[1], item[0] is None, item[0] or ""))


# -- page sections ------------------------------------------------------------------------


def _header(report: UsageReport, data: _Aggregate) -> str:
    period = f"{_fmt_moment(report.start)} {_DASH} {_fmt_moment(report.end)}"
    grouping = " and ".join(_GROUP_LABELS.get(g, g) for g in report.group_by)
    per = f"per {report.interval}" if report.interval else "one window"
    generated = report.generated_at
    parts = [
        '<header>\n<h1>Token usage</h1>\n<p class="meta">',
        f"<span>Period <b>{_e(period)}</b> ({_e(report.tz)}, end exclusive)</span>",
        f"<span>{_e(per)}, by {_e(grouping)}</span>",
        f"<span>Host <b>{_e(_public_host(report.host))}</b></span>",
        f"<span>Generated <b>{_e(_fmt_instant(generated))}</b></span>",
        "</p>\n",
    ]
    missing = sum(data.missing)
    if missing:
        parts.append(
            f'<p class="warn" role="status">Incomplete: {missing:,} of {len(data.missing):,} '
            "windows could not be fetched (outlined with dashes in the chart); the totals "
            "cover the fetched windows only.</p>\n"
        )
    parts.append("</header>\n")
    return "".join(parts)


def _totals(data: _Aggregate) -> str:
    total = data.total
    parts = [
        '<section class="totals" aria-label="Totals" id="totals">\n',
        f'<div class="card total" id="total-all"><div class="k">Total tokens</div>'
        f'<div class="v">{total:,}</div><div class="s">{len(data.groups):,} groups · '
        f"{len(data.per_window):,} windows</div></div>\n",
    ]
    for i, (name, label, explanation) in enumerate(_KINDS):
        value = data.overall[i]
        parts.append(
            f'<div class="card" id="total-{name}" title="{_e(explanation)}">'
            f'<div class="k">{label}</div><div class="v">{value:,}</div>'
            f'<div class="s">{_percent(value, total)} of all tokens</div></div>\n'
        )
    parts.append("</section>\n")
    return "".join(parts)


def _chart_section(report: UsageReport, data: _Aggregate) -> str:
    dim = _GROUP_LABELS[data.series_dim]
    per = report.interval or "period"
    parts = [
        '<section class="chart-section" aria-labelledby="chart-title">\n',
        f'<h2 id="chart-title">Tokens per {_e(per)} by {_e(dim)}</h2>\n',
    ]
    if not any(sum(map(sum, cells.values())) for cells in data.per_window):
        parts.append('<p class="empty">No token usage in this period.</p>\n</section>\n')
        return "".join(parts)
    ranked = _ranked(data.series_totals.items())
    shown = [name for name, _ in ranked[:CHART_SERIES]]
    rest = ranked[CHART_SERIES:]
    parts.append(_svg(report, data, shown))
    parts.append('<ul class="legend" aria-label="Legend">\n')
    for i, (name, value) in enumerate(ranked[:CHART_SERIES]):
        parts.append(
            f'<li><span class="sw s{i}"></span>{_name_html(name)} '
            f'<span class="num">{value:,}</span></li>\n'
        )
    if rest:
        others_total = sum(value for _, value in rest)
        parts.append(
            f'<li class="others-legend"><span class="sw s{CHART_SERIES}"></span>'
            f"{_OTHERS_LABEL} ({len(rest):,} {_e(dim)}s) "
            f'<span class="num">{others_total:,}</span></li>\n'
        )
    parts.append("</ul>\n</section>\n")
    return "".join(parts)


def _svg(report: UsageReport, data: _Aggregate, shown: list[Optional[str]]) -> str:
    windows = report.windows
    per_bar = max(1, math.ceil(len(windows) / MAX_BARS))
    n_bars = math.ceil(len(windows) / per_bar)
    slot = _PLOT_W / n_bars
    bar_w = min(slot * (0.72 if slot >= 4 else 0.86), _MAX_BAR_W)
    index_of = {name: i for i, name in enumerate(shown)}

    # Per bar: one [inference, prompt, completion] per series slot (shown..., others).
    bars: list[list[list[int]]] = []
    for b in range(n_bars):
        cells = [[0, 0, 0] for _ in range(len(shown) + 1)]
        for w in range(b * per_bar, min((b + 1) * per_bar, len(windows))):
            for name, counts in data.per_window[w].items():
                cell = cells[index_of.get(name, len(shown))]
                cell[0] += counts[0]
                cell[1] += counts[1]
                cell[2] += counts[2]
        bars.append(cells)
    peak = max(sum(map(sum, cells)) for cells in bars)
    top, step = _nice_scale(peak)
    scale = _PLOT_H / top
    bottom = _TOP + _PLOT_H

    classes = "chart wide" if bar_w >= 6 else "chart"
    desc = (
        f"Stacked bars: tokens per {report.interval or 'period'}"
        + (f" ({per_bar} windows per bar)" if per_bar > 1 else "")
        + f", by {_GROUP_LABELS[data.series_dim]}; hover a bar for exact numbers."
    )
    parts = [
        f'<figure class="{classes}">\n<svg xmlns="http://www.w3.org/2000/svg" '
        f'viewBox="0 0 {_WIDTH} {_HEIGHT}" role="img" aria-labelledby="chart-title" '
        f'data-bars="{n_bars}" data-per-bar="{per_bar}" data-top="{top}" '
        f'data-plot-height="{_PLOT_H}" data-baseline="{bottom}">\n<desc>{_e(desc)}</desc>\n',
    ]
    # Y axis: grid lines and compact labels.
    tick = 0
    while tick <= top:
        y = bottom - tick * scale
        parts.append(
            f'<line class="grid" x1="{_LEFT}" x2="{_WIDTH - _RIGHT}" y1="{y:.2f}" y2="{y:.2f}"/>'
            f'<text x="{_LEFT - 8}" y="{y + 4:.2f}" text-anchor="end">{_compact(tick)}</text>\n'
        )
        tick += step
    parts.append(
        f'<line class="axis" x1="{_LEFT}" x2="{_WIDTH - _RIGHT}" y1="{bottom}" y2="{bottom}"/>\n'
    )
    x_labels = _x_labels(windows, per_bar, n_bars, report.interval)
    # Shorter than elsewhere: every segment repeats its series' name.
    hover_names = [_display_name(name, _HOVER_NAME_LIMIT) for name in shown]
    hover_names.append(f"{_OTHERS_LABEL} ({len(data.series_totals) - len(shown):,})")
    for b, cells in enumerate(bars):
        first = windows[b * per_bar]
        last = windows[min((b + 1) * per_bar, len(windows)) - 1]
        span = _span_label(first, last, report.interval, per_bar)
        x_slot = _LEFT + b * slot
        x = x_slot + (slot - bar_w) / 2
        bar_total = sum(map(sum, cells))
        missing = any(data.missing[b * per_bar : (b + 1) * per_bar])
        hover = f"{span}\n{bar_total:,} tokens in total"
        if missing:
            hover += "\nnot fetched (incomplete)"
        # A full-height target behind the bar: hovering anywhere in the column shows the sum.
        parts.append(
            f'<rect class="{"miss" if missing else "hit"}" x="{x:.2f}" y="{_TOP}" '
            f'width="{bar_w:.2f}" height="{_PLOT_H}"><title>{_e(hover)}</title></rect>\n'
        )
        y = float(bottom)
        for s, counts in enumerate(cells):
            value = counts[0] + counts[1] + counts[2]
            if value == 0:
                continue
            height = value * scale
            y -= height
            is_others = s == len(shown)
            title = (
                f"{hover_names[s]} · {span}\n{value:,} tokens\ninference {counts[0]:,} · "
                f"eval prompt {counts[1]:,} · eval completion {counts[2]:,}"
            )
            parts.append(
                f'<rect class="seg s{CHART_SERIES if is_others else s}" data-bar="{b}" '
                f'data-series="{s}" data-value="{value}" x="{x:.2f}" y="{y:.2f}" '
                f'width="{bar_w:.2f}" height="{height:.2f}"><title>{_e(title)}</title></rect>\n'
            )
        label = x_labels.get(b)
        if label is not None:
            parts.append(
                f'<text x="{x_slot + slot / 2:.2f}" y="{bottom + 16}" '
                f'text-anchor="middle">{_e(label)}</text>\n'
            )
    parts.append("</svg>\n")
    if per_bar > 1:
        parts.append(
            f'<figcaption class="note">{len(windows):,} windows: each bar sums '
            f"{per_bar} consecutive windows.</figcaption>\n"
        )
    parts.append("</figure>\n")
    return "".join(parts)


def _table_section(report: UsageReport, data: _Aggregate) -> str:
    columns = [g for g in report.group_by if g in _GROUP_LABELS]
    ranked = sorted(
        data.groups.items(),
        key=lambda item: (
            -sum(item[1]),
            item[0][0] is None,
            item[0][0] or "",
            item[0][1] is None,
            item[0][1] or "",
        ),
    )
    top = ranked[:TABLE_ROWS]
    rest = ranked[TABLE_ROWS:]
    total = data.total
    heading = "Groups by total" if len(columns) > 1 else f"{_GROUP_LABELS[columns[0]]}s by total"
    heading = heading[0].upper() + heading[1:]
    parts = [
        '<section aria-labelledby="table-title">\n',
        f'<h2 id="table-title">{_e(heading)}</h2>\n',
        '<div class="scroll">\n<table id="groups">\n<thead><tr><th class="n">#</th>',
    ]
    for column in columns:
        parts.append(f'<th>{_GROUP_LABELS[column]}<span class="arrow">↕</span></th>')
    for _, label, _ in _KINDS:
        # "eval prompt" on two lines: narrower number columns leave names room.
        header = label.lower().replace(" ", "<br>")
        parts.append(f'<th class="n">{header}<span class="arrow">↕</span></th>')
    parts.append(
        '<th class="n" aria-sort="descending">total<span class="arrow">▼</span></th>'
        '<th class="n share">share</th></tr></thead>\n<tbody>\n'
    )
    for rank, ((rule_type, task_id), counts) in enumerate(top, start=1):
        parts.append(f'<tr><td class="n rank">{rank}</td>')
        for column in columns:
            name = rule_type if column == "rule_type" else task_id
            long = name is not None and len(name) > _LONG_NAME
            parts.append(f'<td class="name{" long" if long else ""}">{_name_html(name)}</td>')
        parts.append(_number_cells(counts, total))
        parts.append("</tr>\n")
    if rest:
        summed = [sum(counts[i] for _, counts in rest) for i in range(3)]
        parts.append(
            f'<tr class="others"><td class="n rank"></td><td class="name" colspan="{len(columns)}">'
            f"{_OTHERS_LABEL} ({len(rest):,} more groups)</td>{_number_cells(summed, total)}</tr>\n"
        )
    if not ranked:
        parts.append(
            f'<tr><td colspan="{len(columns) + 6}" class="none">No token usage in this period.'
            "</td></tr>\n"
        )
    parts.append(
        f'</tbody>\n<tfoot><tr><td></td><td colspan="{len(columns)}">Total</td>'
        f"{_number_cells(data.overall, total, share=False)}<td></td></tr></tfoot>\n"
        "</table>\n</div>\n"
    )
    if rest:
        parts.append(
            f'<p class="note">The {TABLE_ROWS} largest of {len(ranked):,} groups; the others '
            "are summed in one row. Export CSV or JSON for every group.</p>\n"
        )
    parts.append("</section>\n")
    return "".join(parts)


def _number_cells(counts: list[int], total: int, *, share: bool = True) -> str:
    row_total = counts[0] + counts[1] + counts[2]
    cells = "".join(f'<td class="n">{value:,}</td>' for value in counts)
    cells += f'<td class="n">{row_total:,}</td>'
    if share:
        width = 0.0 if total == 0 else 100.0 * row_total / total
        cells += (
            f'<td class="n share"><span class="track"><i style="width:{width:.1f}%"></i></span>'
            f'<span class="pct">{_percent(row_total, total)}</span></td>'
        )
    return cells


# -- formatting ---------------------------------------------------------------------------


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _display_name(name: Optional[str], limit: int = NAME_LIMIT) -> str:
    """A server-provided name as shown: control characters replaced, long names cut."""
    if name is None:
        return _NONE_LABEL
    # Lone surrogates (possible in JSON) cannot be written as UTF-8.
    text = _CONTROL.sub("\ufffd", name).encode("utf-8", "replace").decode("utf-8")
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


def _name_html(name: Optional[str]) -> str:
    if name is None:
        return f'<span class="none">{_NONE_LABEL}</span>'
    return _e(_display_name(name))


def _public_host(host: str) -> str:
    """The host URL without any ``user:password@`` part."""
    text = _display_name(host.strip()) if host and host.strip() else "(unknown)"
    return _USERINFO.sub(r"\1", text)


def _percent(value: int, total: int) -> str:
    if total == 0:
        return "0 %"
    share = 100.0 * value / total
    if 0 < share < 0.1:
        return "<0.1 %"
    return f"{share:.1f} %"


def _compact(value: float) -> str:
    for divisor, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= divisor:
            return f"{value / divisor:.2f}".rstrip("0").rstrip(".") + suffix
    return f"{value:.0f}"


def _nice_scale(peak: int) -> tuple[int, int]:
    """A round axis maximum >= ``peak`` and its round step (at most seven intervals).

    The lowest such maximum wins (the bars fill the plot); among equals, about five steps.
    """
    if peak <= 0:
        return 1, 1
    best: Optional[tuple[int, int, int]] = None  # (top, distance from 5 steps, step)
    exponent = 0
    while 10**exponent <= peak:
        for multiple in (10, 20, 25, 50):
            step = multiple * 10**exponent // 10
            if step < 1:
                continue
            intervals = math.ceil(peak / step)
            if intervals <= 7:
                candidate = (step * intervals, abs(intervals - 5), step)
                if best is None or candidate < best:
                    best = candidate
        exponent += 1
    # peak >= 1, so steps of 1 and 2 were tried and one of them fits.
    assert best is not None
    return best[0], best[2]


def _fmt_moment(moment: datetime) -> str:
    if (moment.hour, moment.minute, moment.second, moment.microsecond) == (0, 0, 0, 0):
        return moment.strftime("%Y-%m-%d")
    return moment.strftime("%Y-%m-%d %H:%M")


def _fmt_instant(moment: datetime) -> str:
    zone = moment.tzname() or moment.strftime("%z")
    return f"{moment:%Y-%m-%d %H:%M:%S} {zone}".rstrip()


def _span_label(first: Window, last: Window, interval: Optional[str], per_bar: int) -> str:
    """The windows of a bar as a reader names them (end exclusive when shown as a range)."""
    if per_bar == 1:
        if interval == "day" and _is_midnight(first.start):
            return f"{first.start:%Y-%m-%d} ({_WEEKDAYS[first.start.weekday()]})"
        if interval == "month" and first.start.day == 1 and _is_midnight(first.start):
            return f"{first.start:%Y-%m}"
        if interval == "hour":
            return f"{first.start:%Y-%m-%d %H:%M} {first.start.tzname() or ''}".rstrip()
    return f"{_fmt_moment(first.start)} {_DASH} {_fmt_moment(last.end)}"


def _x_labels(
    windows: list[Window], per_bar: int, n_bars: int, interval: Optional[str]
) -> dict[int, str]:
    """Axis labels by bar index: evenly spaced, as many as fit without overlapping."""
    if interval == "hour" and per_bar >= 24:
        interval = "day"
    slot = _PLOT_W / n_bars
    every = max(1, math.ceil(n_bars / _MAX_X_LABELS))
    while True:
        labels: dict[int, str] = {}
        previous_year: Optional[int] = None
        for b in range(0, n_bars, every):
            start = windows[b * per_bar].start
            labels[b] = _tick_label(start, interval, with_year=start.year != previous_year)
            previous_year = start.year
        widest = max(len(label) for label in labels.values()) * _CHAR_WIDTH + 12
        if widest <= every * slot or every >= n_bars:
            return labels
        every += 1


def _tick_label(start: datetime, interval: Optional[str], *, with_year: bool) -> str:
    month = _MONTHS[start.month - 1]
    if interval == "month":
        return f"{month} {start.year}"
    day = f"{month} {start.day}"
    if interval == "hour":
        return f"{day} {start:%H:%M}"
    return f"{day}, {start.year}" if with_year else day


def _is_midnight(moment: datetime) -> bool:
    return (moment.hour, moment.minute, moment.second) == (0, 0, 0)
