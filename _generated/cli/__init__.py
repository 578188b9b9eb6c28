"""``genai-usage``: token-usage reports from the command line.

::

    genai-usage tokens --since 2026-11-01 --until 2026-12-01 --interval day \\
        --group-by rule_type --group-by task --tz Europe/Berlin --output nov.csv

The host comes from ``--host`` or ``ARTHUR_BASE_URL``; the token from ``--token``, else
``ARTHUR_API_KEY``, else ``BEARER_TOKEN``. The token is never printed, not even with
``--verbose``. Exit codes: see :data:`EXIT_CODES` (and docs/cli.md).

Modules: ``parser`` (flags), ``when`` (date values), ``server`` (host, token, proxy),
``tokens`` (the command), ``views`` (formats), ``output`` (atomic files, stdout),
``messages`` (stderr), ``app`` (the entry points and the one error boundary). Only the
standard library is imported up front; the SDK is loaded when a command runs.
"""

from __future__ import annotations

from _generated.cli.app import console_main, main
from _generated.cli.codes import (
    EXIT_AUTH,
    EXIT_CODES,
    EXIT_INTERRUPTED,
    EXIT_INVALID_RESPONSE,
    EXIT_OK,
    EXIT_OUTPUT,
    EXIT_SERVER,
    EXIT_THRESHOLD,
    EXIT_USAGE,
    OutputError,
    UsageError,
)
from _generated.cli.messages import exit_code_for
from _generated.cli.parser import FORMATS, build_parser
from _generated.cli.when import parse_when

__all__ = [
    "EXIT_AUTH",
    "EXIT_CODES",
    "EXIT_INTERRUPTED",
    "EXIT_INVALID_RESPONSE",
    "EXIT_OK",
    "EXIT_OUTPUT",
    "EXIT_SERVER",
    "EXIT_THRESHOLD",
    "EXIT_USAGE",
    "FORMATS",
    "OutputError",
    "UsageError",
    "build_parser",
    "console_main",
    "exit_code_for",
    "main",
    "parse_when",
]
