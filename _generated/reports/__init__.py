"""Token-usage reports: many time windows fetched concurrently, then totalled and exported.

::

    from _generated.reports import fetch_usage

    report = fetch_usage(api, "2026-11-01", "2026-12-01", interval="day", tz="Europe/Berlin")
    report.totals().overall.total        # all tokens in November (Berlin time)
    report.to_csv("november.csv")

:func:`fetch_usage` splits ``[start, end)`` into windows aligned in a time zone (local
midnight, the hour, Monday, the 1st of the month; a DST day lasts 23 or 25 hours), asks
the endpoint once per window over the client's shared connection pool, and returns a
:class:`UsageReport` whose rows keep window order. A window that still fails after the
client's retries raises :class:`PartialReportError`, which carries everything that was
fetched; ``resume()`` fetches only the windows still missing. :func:`stream_usage` gives
the same rows window by window for exports that need not hold the whole report, and a
:class:`UsageCache` keeps closed windows so they are never fetched twice.

The package's modules: ``columns`` (groups, intervals, measures, columns), ``periods``
(zones, user-given times, windows), ``labels`` (how times are written), ``rows`` (the
values handed out), ``store`` (the columnar core), ``aggregate`` (totals and pivots),
``parse`` (bodies into columns), ``cache`` and ``cachedb`` (closed windows in SQLite),
``fetching`` (the pool of requests), ``errors``, ``report`` (``UsageReport``), ``fetch``
(the entry points), ``exports``, ``table``, ``view`` (what renderers read) and ``html``;
``compare`` (a report against the period before it) and ``costs`` (prices and what a
report costs) work on the public API.
"""

from __future__ import annotations

from _generated._constants import DEFAULT_REPORT_WORKERS as DEFAULT_WORKERS
from _generated._constants import MAX_REPORT_WINDOWS as MAX_WINDOWS
from _generated.reports.cache import CacheInfo, UsageCache, UsageCacheWarning, default_cache_dir
from _generated.reports.columns import (
    COLUMNS,
    GROUPS,
    INTERVALS,
    MEASURES,
    GroupName,
    Interval,
    Measure,
)
from _generated.reports.compare import Change, Comparison, compare, previous_period
from _generated.reports.costs import Costs, Price, PriceList, costs, parse_price
from _generated.reports.errors import ReportError, describe_error
from _generated.reports.fetch import UsageStream, fetch_usage, stream_usage
from _generated.reports.fetch_async import fetch_usage_async, resume_usage_async
from _generated.reports.periods import (
    WHEN_FORMS,
    Window,
    local_midnight,
    parse_when,
    resolve_zone,
    split_windows,
    to_utc,
)
from _generated.reports.report import PartialReportError, UsageReport
from _generated.reports.rows import Counts, GroupKey, Pivot, Totals, UsageRow

__all__ = [
    "COLUMNS",
    "DEFAULT_WORKERS",
    "GROUPS",
    "INTERVALS",
    "MAX_WINDOWS",
    "MEASURES",
    "WHEN_FORMS",
    "CacheInfo",
    "Change",
    "Comparison",
    "Costs",
    "Counts",
    "GroupKey",
    "GroupName",
    "Interval",
    "Measure",
    "PartialReportError",
    "Pivot",
    "Price",
    "PriceList",
    "ReportError",
    "Totals",
    "UsageCache",
    "UsageCacheWarning",
    "UsageReport",
    "UsageRow",
    "UsageStream",
    "Window",
    "compare",
    "costs",
    "default_cache_dir",
    "describe_error",
    "fetch_usage",
    "fetch_usage_async",
    "local_midnight",
    "parse_price",
    "parse_when",
    "previous_period",
    "resolve_zone",
    "resume_usage_async",
    "split_windows",
    "stream_usage",
    "to_utc",
]
