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

from _generated.reports.html.chart import CHART_SERIES, MAX_BARS
from _generated.reports.html.page import TABLE_ROWS, render_html
from _generated.reports.html.text import NAME_LIMIT

__all__ = ["CHART_SERIES", "MAX_BARS", "NAME_LIMIT", "TABLE_ROWS", "render_html"]
