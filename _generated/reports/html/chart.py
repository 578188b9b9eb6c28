"""The chart of the HTML page: stacked bars per window by series, as inline SVG."""

from __future__ import annotations

import math
from typing import Optional

from _generated.reports.html.aggregate import Aggregate, rank_series
from _generated.reports.html.text import (
    GROUP_LABELS,
    OTHERS_LABEL,
    compact,
    display_name,
    e,
    name_html,
)
from _generated.reports.labels import span_label, tick_label
from _generated.reports.periods import Window
from _generated.reports.view import ReportView

__all__ = ["CHART_SERIES", "MAX_BARS", "chart_section"]

#: Series (rule types or tasks) drawn in the chart; the rest are summed into "others".
CHART_SERIES = 10
#: More windows than this are drawn as bars of several consecutive windows each.
MAX_BARS = 240
# Names in the chart's hover texts are cut shorter (each segment repeats one).
_HOVER_NAME_LIMIT = 60

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


def chart_section(report: ReportView, data: Aggregate) -> str:
    dim = GROUP_LABELS[data.series_dim]
    per = report.interval or "period"
    parts = [
        '<section class="chart-section" aria-labelledby="chart-title">\n',
        f'<h2 id="chart-title">Tokens per {e(per)} by {e(dim)}</h2>\n',
    ]
    if not any(sum(map(sum, cells.values())) for cells in data.per_window):
        parts.append('<p class="empty">No token usage in this period.</p>\n</section>\n')
        return "".join(parts)
    ranked = rank_series(data.series_totals.items())
    shown = [name for name, _ in ranked[:CHART_SERIES]]
    rest = ranked[CHART_SERIES:]
    parts.append(_svg(report, data, shown))
    parts.append('<ul class="legend" aria-label="Legend">\n')
    for i, (name, value) in enumerate(ranked[:CHART_SERIES]):
        parts.append(
            f'<li><span class="sw s{i}"></span>{name_html(name)} '
            f'<span class="num">{value:,}</span></li>\n'
        )
    if rest:
        others_total = sum(value for _, value in rest)
        parts.append(
            f'<li class="others-legend"><span class="sw s{CHART_SERIES}"></span>'
            f"{OTHERS_LABEL} ({len(rest):,} {e(dim)}s) "
            f'<span class="num">{others_total:,}</span></li>\n'
        )
    parts.append("</ul>\n</section>\n")
    return "".join(parts)


def _svg(report: ReportView, data: Aggregate, shown: list[Optional[str]]) -> str:
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
        + f", by {GROUP_LABELS[data.series_dim]}; hover a bar for exact numbers."
    )
    parts = [
        f'<figure class="{classes}">\n<svg xmlns="http://www.w3.org/2000/svg" '
        f'viewBox="0 0 {_WIDTH} {_HEIGHT}" role="img" aria-labelledby="chart-title" '
        f'data-bars="{n_bars}" data-per-bar="{per_bar}" data-top="{top}" '
        f'data-plot-height="{_PLOT_H}" data-baseline="{bottom}">\n<desc>{e(desc)}</desc>\n',
    ]
    # Y axis: grid lines and compact labels.
    tick = 0
    while tick <= top:
        y = bottom - tick * scale
        parts.append(
            f'<line class="grid" x1="{_LEFT}" x2="{_WIDTH - _RIGHT}" y1="{y:.2f}" y2="{y:.2f}"/>'
            f'<text x="{_LEFT - 8}" y="{y + 4:.2f}" text-anchor="end">{compact(tick)}</text>\n'
        )
        tick += step
    parts.append(
        f'<line class="axis" x1="{_LEFT}" x2="{_WIDTH - _RIGHT}" y1="{bottom}" y2="{bottom}"/>\n'
    )
    x_labels = _x_labels(windows, per_bar, n_bars, report.interval)
    # Shorter than elsewhere: every segment repeats its series' name.
    hover_names = [display_name(name, _HOVER_NAME_LIMIT) for name in shown]
    hover_names.append(f"{OTHERS_LABEL} ({len(data.series_totals) - len(shown):,})")
    for b, cells in enumerate(bars):
        first = windows[b * per_bar]
        last = windows[min((b + 1) * per_bar, len(windows)) - 1]
        span = span_label(first, last, report.interval, per_bar)
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
            f'width="{bar_w:.2f}" height="{_PLOT_H}"><title>{e(hover)}</title></rect>\n'
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
                f'width="{bar_w:.2f}" height="{height:.2f}"><title>{e(title)}</title></rect>\n'
            )
        label = x_labels.get(b)
        if label is not None:
            parts.append(
                f'<text x="{x_slot + slot / 2:.2f}" y="{bottom + 16}" '
                f'text-anchor="middle">{e(label)}</text>\n'
            )
    parts.append("</svg>\n")
    if per_bar > 1:
        parts.append(
            f'<figcaption class="note">{len(windows):,} windows: each bar sums '
            f"{per_bar} consecutive windows.</figcaption>\n"
        )
    parts.append("</figure>\n")
    return "".join(parts)


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
            labels[b] = tick_label(start, interval, with_year=start.year != previous_year)
            previous_year = start.year
        widest = max(len(label) for label in labels.values()) * _CHAR_WIDTH + 12
        if widest <= every * slot or every >= n_bars:
            return labels
        every += 1
