"""The HTML page of a report: header, totals, chart, table of the largest groups."""

from __future__ import annotations

import functools
from importlib import resources

from _generated._version import __version__
from _generated.reports.html.aggregate import Aggregate
from _generated.reports.html.chart import chart_section
from _generated.reports.html.text import (
    GROUP_LABELS,
    KINDS,
    OTHERS_LABEL,
    e,
    name_html,
    percent,
    public_host,
)
from _generated.reports.labels import DASH, fmt_instant, fmt_moment
from _generated.reports.view import ReportView

__all__ = ["TABLE_ROWS", "render_html"]

#: Groups listed in the table; the rest are summed into one "others" row.
TABLE_ROWS = 200
# Table cells with longer names may break anywhere (shorter ones at spaces and hyphens).
_LONG_NAME = 40

_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


@functools.lru_cache(maxsize=1)
def _stylesheet() -> str:
    """The page's CSS, shipped as package data (``report.css``)."""
    return resources.files(__package__).joinpath("report.css").read_text(encoding="utf-8")


def render_html(report: ReportView) -> str:
    """The report as one self-contained HTML document (a ``str``; write it as UTF-8)."""
    data = Aggregate.of(report)
    title = f"Token usage {fmt_moment(report.start)} {DASH} {fmt_moment(report.end)}"
    parts: list[str] = [
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n',
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">\n',
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n',
        '<meta name="color-scheme" content="light dark">\n',
        f'<meta name="generator" content="genai-engine-usage-client {e(__version__)}">\n',
        # An empty icon, so the browser does not ask for /favicon.ico.
        '<link rel="icon" href="data:,">\n',
        f"<title>{e(title)}</title>\n<style>{_stylesheet()}</style>\n</head>\n<body>\n",
    ]
    parts.append(_header(report, data))
    parts.append(_totals(data))
    parts.append(chart_section(report, data))
    parts.append(_table_section(report, data))
    parts.append(
        "<footer>Made by genai-engine-usage-client "
        f"{e(__version__)}. The complete data: <code>--format csv</code> or "
        "<code>--format json</code> (<code>report.to_csv()</code>, "
        "<code>report.to_json()</code>).</footer>\n</body>\n</html>\n"
    )
    return "".join(parts)


def _header(report: ReportView, data: Aggregate) -> str:
    period = f"{fmt_moment(report.start)} {DASH} {fmt_moment(report.end)}"
    grouping = " and ".join(GROUP_LABELS.get(g, g) for g in report.group_by)
    per = f"per {report.interval}" if report.interval else "one window"
    generated = report.generated_at
    parts = [
        '<header>\n<h1>Token usage</h1>\n<p class="meta">',
        f"<span>Period <b>{e(period)}</b> ({e(report.tz)}, end exclusive)</span>",
        f"<span>{e(per)}, by {e(grouping)}</span>",
        f"<span>Host <b>{e(public_host(report.host))}</b></span>",
        f"<span>Generated <b>{e(fmt_instant(generated))}</b></span>",
        "</p>\n",
    ]
    missing = sum(data.missing)
    if missing:
        parts.append(
            f'<p class="warn" role="status">Incomplete: {missing:,} of {len(data.missing):,} '
            "windows could not be fetched (outlined with dashes in the chart); the totals "
            "cover the fetched windows only.</p>\n"
        )
    parts.append(_sources(report))
    parts.append("</header>\n")
    return "".join(parts)


def _sources(report: ReportView) -> str:
    """Where the windows came from: the server, the cache, or nowhere; and which are open."""
    sources = report.window_sources()
    server = sum(source == "server" for _, source, _ in sources)
    cached = sum(source == "cache" for _, source, _ in sources)
    open_windows = [window for window, source, provisional in sources if provisional]
    text = f"Windows: {server:,} fetched from the server, {cached:,} from the cache"
    if open_windows:
        first = open_windows[0]
        text += (
            f"; {len(open_windows):,} still open (provisional, from "
            f"{fmt_moment(first.start)}): their counts may still grow"
        )
    return f'<p class="note" id="window-sources">{e(text)}.</p>\n'


def _totals(data: Aggregate) -> str:
    total = data.total
    parts = [
        '<section class="totals" aria-label="Totals" id="totals">\n',
        f'<div class="card total" id="total-all"><div class="k">Total tokens</div>'
        f'<div class="v">{total:,}</div><div class="s">{len(data.groups):,} groups · '
        f"{len(data.per_window):,} windows</div></div>\n",
    ]
    for i, (name, label, explanation) in enumerate(KINDS):
        value = data.overall[i]
        parts.append(
            f'<div class="card" id="total-{name}" title="{e(explanation)}">'
            f'<div class="k">{label}</div><div class="v">{value:,}</div>'
            f'<div class="s">{percent(value, total)} of all tokens</div></div>\n'
        )
    parts.append("</section>\n")
    return "".join(parts)


def _table_section(report: ReportView, data: Aggregate) -> str:
    columns = [g for g in report.group_by if g in GROUP_LABELS]
    ranked = list(data.groups.items())  # in the order of report.totals(): largest first
    top = ranked[:TABLE_ROWS]
    rest = ranked[TABLE_ROWS:]
    total = data.total
    heading = "Groups by total" if len(columns) > 1 else f"{GROUP_LABELS[columns[0]]}s by total"
    heading = heading[0].upper() + heading[1:]
    parts = [
        '<section aria-labelledby="table-title">\n',
        f'<h2 id="table-title">{e(heading)}</h2>\n',
        '<div class="scroll">\n<table id="groups">\n<thead><tr><th class="n">#</th>',
    ]
    for column in columns:
        parts.append(f'<th>{GROUP_LABELS[column]}<span class="arrow">↕</span></th>')
    for _, label, _ in KINDS:
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
            parts.append(f'<td class="name{" long" if long else ""}">{name_html(name)}</td>')
        parts.append(_number_cells(counts, total))
        parts.append("</tr>\n")
    if rest:
        summed = [sum(counts[i] for _, counts in rest) for i in range(3)]
        parts.append(
            f'<tr class="others"><td class="n rank"></td><td class="name" colspan="{len(columns)}">'
            f"{OTHERS_LABEL} ({len(rest):,} more groups)</td>{_number_cells(summed, total)}</tr>\n"
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
            f'<span class="pct">{percent(row_total, total)}</span></td>'
        )
    return cells
