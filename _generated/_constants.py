"""Every default of the SDK, named in one place.

Change behaviour per client through :class:`~_generated.configuration.Configuration`
or per call through the ``_request_timeout``/``_retries``/``_deadline`` keyword
arguments; these constants are only what you get when you say nothing.
"""

from __future__ import annotations

import os
import threading
from typing import Final

__all__ = [
    "CACHE_DIR_ENV",
    "CACHE_SETTLE",
    "DEFAULT_BACKOFF_INITIAL",
    "DEFAULT_BACKOFF_JITTER",
    "DEFAULT_BACKOFF_MAX",
    "DEFAULT_CONNECT_TIMEOUT",
    "DEFAULT_DATETIME_FORMAT",
    "DEFAULT_HOST",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_MAX_RETRY_AFTER",
    "DEFAULT_POOL_MAXSIZE",
    "DEFAULT_READ_TIMEOUT",
    "DEFAULT_REDIRECTS",
    "DEFAULT_REPORT_WORKERS",
    "ERROR_BODY_EXCERPT",
    "ERROR_DETAIL_MAX",
    "LOGGER_NAME",
    "MAX_REPORT_WINDOWS",
    "MIN_TABLE_WIDTH",
    "RETRY_STATUSES",
    "USER_AGENT",
]

from _generated._version import __version__

#: Host used when ``Configuration(host=...)`` is not given (same as the generated client).
DEFAULT_HOST: Final = "http://localhost"
#: ``Configuration.datetime_format`` left at this (the generated client's default) sends
#: RFC 3339 with an explicit offset instead; any other format is used with ``strftime``.
DEFAULT_DATETIME_FORMAT: Final = "%Y-%m-%dT%H:%M:%S.%f%z"
#: Seconds to wait for a TCP (and TLS) connection to be established, per attempt.
DEFAULT_CONNECT_TIMEOUT: Final = 5.0
#: Seconds to wait between bytes of the response, per attempt.
DEFAULT_READ_TIMEOUT: Final = 60.0
#: Retries after the first attempt (so at most 3 attempts by default).
DEFAULT_MAX_RETRIES: Final = 2
#: First backoff delay in seconds; doubles each retry.
DEFAULT_BACKOFF_INITIAL: Final = 0.5
#: Upper bound of one backoff delay in seconds.
DEFAULT_BACKOFF_MAX: Final = 8.0
#: Fraction of the delay removed at random (0.25: the delay is 75%..100% of nominal).
DEFAULT_BACKOFF_JITTER: Final = 0.25
#: A Retry-After longer than this (seconds) is not waited for: the call fails at once.
DEFAULT_MAX_RETRY_AFTER: Final = 120.0
#: HTTP statuses that are retried for this idempotent GET.
RETRY_STATUSES: Final = frozenset({408, 429, 500, 502, 503, 504})
#: Same-host redirects followed per call (Authorization is dropped on a cross-host redirect).
DEFAULT_REDIRECTS: Final = 3
#: Connections kept per host in the pool (the generated client's default: 5 per CPU).
DEFAULT_POOL_MAXSIZE: Final = (os.cpu_count() or 1) * 5
#: The longest timeout or deadline in seconds: the platform's limit for a wait (about 292
#: years); beyond it socket and event-loop waits overflow.
MAX_WAIT_SECONDS: Final = threading.TIMEOUT_MAX
#: Characters of a bad response body kept in the exception.
ERROR_BODY_EXCERPT: Final = 2048
#: Characters of a server's error ``detail`` shown in an exception's one-line message.
ERROR_DETAIL_MAX: Final = 300
#: Logger the SDK writes to; Authorization values are redacted.
LOGGER_NAME: Final = "_generated"
#: User-Agent sent unless overridden.
USER_AGENT: Final = f"genai-engine-usage-client/{__version__}/python"

# -- reports ----------------------------------------------------------------------------
#: Concurrent requests of a report when ``workers`` is not given.
DEFAULT_REPORT_WORKERS: Final = 4
#: A report is refused beyond this many windows (one request each): pick a larger interval.
MAX_REPORT_WINDOWS: Final = 10_000
#: Seconds after a window's end before it counts as closed (cacheable): late rows settle.
CACHE_SETTLE: Final = 3600.0
#: Environment variable naming the report cache's directory.
CACHE_DIR_ENV: Final = "GENAI_USAGE_CACHE_DIR"
#: The narrowest text table (``to_table(width=...)``, ``genai-usage --width``), in columns.
MIN_TABLE_WIDTH: Final = 40
