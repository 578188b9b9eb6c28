"""The HTML report; kept as an import path: the code lives in ``_generated.reports.html``."""

from __future__ import annotations

from _generated.reports.html import CHART_SERIES, MAX_BARS, NAME_LIMIT, TABLE_ROWS, render_html

__all__ = ["CHART_SERIES", "MAX_BARS", "NAME_LIMIT", "TABLE_ROWS", "render_html"]
