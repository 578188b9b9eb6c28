"""The ``genai-usage`` argument parser and its value types (checked before any request)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Final, NoReturn, Optional

from _generated._textsafety import blank_out
from _generated.cli.codes import EXIT_CODES, EXIT_USAGE, PROG
from _generated.cli.messages import write_stderr

if TYPE_CHECKING:
    from _typeshed import SupportsWrite

__all__ = ["ENV_HOST", "ENV_TOKENS", "FORMATS", "build_parser"]

FORMATS: Final = ("table", "csv", "json", "ndjson", "html")
ENV_HOST: Final = "ARTHUR_BASE_URL"
ENV_TOKENS: Final = ("ARTHUR_API_KEY", "BEARER_TOKEN")


class _Parser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose errors are one ``genai-usage:`` line on stderr (exit 2),
    with any token on the command line or in the environment replaced by ``[redacted]``."""

    _arguments: Sequence[str] = ()

    def parse_known_args(  # type: ignore[override]
        self, args: Optional[Sequence[str]] = None, namespace: Optional[argparse.Namespace] = None
    ) -> tuple[argparse.Namespace, list[str]]:
        self._arguments = list(sys.argv[1:] if args is None else args)
        return super().parse_known_args(args, namespace)

    def error(self, message: str) -> NoReturn:
        text = blank_out(message, _token_values(self._arguments, os.environ))
        self.exit(EXIT_USAGE, f"{PROG}: error: {text} (see {self.prog} --help)\n")

    def _print_message(self, message: str, file: Optional[SupportsWrite[str]] = None) -> None:
        # argparse ignores a failed write: --help into a full disk would exit 0.
        if not message:
            return
        if file is None or file is sys.stderr:
            write_stderr(message)
        else:
            file.write(message)  # stdout: main() makes a failure exit code 7


def _token_values(arguments: Sequence[str], environ: Mapping[str, str]) -> list[str]:
    """What may be a token: the environment's, and the value of any flag that looks like
    ``--token`` (``--tokn sekrit`` is unrecognised, and its value would be echoed)."""
    values = [environ.get(name, "").strip() for name in ENV_TOKENS]
    for index, argument in enumerate(arguments):
        flag, equals, value = argument.partition("=")
        if not flag.startswith("--") or "tok" not in flag.lower():
            continue
        if equals:
            values.append(value.strip())
        elif index + 1 < len(arguments):
            values.append(arguments[index + 1].strip())
    return values


def _threshold(text: str) -> Decimal:
    # The costs module holds the k/M/G suffixes (price units use them too).
    from _generated.reports.costs import parse_amount

    try:
        return parse_amount(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def _positive_int(text: str) -> int:
    if not text.strip().isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected an integer of at least 1, got {text!r}")
    return int(text)


def _non_negative_int(text: str) -> int:
    if not text.strip().isdigit():
        raise argparse.ArgumentTypeError(f"expected an integer of at least 0, got {text!r}")
    return int(text)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a number of seconds > 0, got {text!r}")
    return value


def _width(text: str) -> int:
    from _generated._constants import MIN_TABLE_WIDTH  # stdlib only; loaded when parsing

    if not text.strip().isdigit() or int(text) < MIN_TABLE_WIDTH:
        raise argparse.ArgumentTypeError(
            f"expected a number of columns of at least {MIN_TABLE_WIDTH}, got {text!r}"
        )
    return int(text)


_CACHE_DIR_HELP: Final = (
    "where the cache lives (default: $GENAI_USAGE_CACHE_DIR, else "
    "$XDG_CACHE_HOME/genai-usage, else ~/.cache/genai-usage)"
)


def _exit_codes() -> str:
    return "Exit codes: " + ", ".join(f"{code} {what}" for code, what in EXIT_CODES.items()) + "."


def build_parser() -> argparse.ArgumentParser:
    """The ``genai-usage`` argument parser."""
    # Loaded when the parser is built, not on import: importing _generated.cli stays cheap.
    from _generated._version import __version__

    # The report module holds the groups, intervals and measures; one definition of each.
    from _generated.reports import GROUPS, INTERVALS, MEASURES, WHEN_FORMS

    parser = _Parser(
        prog=PROG,
        description="Report GenAI Engine token usage (GET /api/v2/usage/tokens).",
        epilog=_exit_codes(),
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    tokens = commands.add_parser(
        "tokens",
        help="token usage per rule type and/or task, optionally per time window",
        description="Token usage in [--since, --until), optionally split into windows "
        "aligned in --tz, grouped by rule type and/or task.",
        epilog="Host: --host or $ARTHUR_BASE_URL. Token: --token, else $ARTHUR_API_KEY, "
        "else $BEARER_TOKEN (prefer the environment: command lines are visible to other "
        "users). Proxy: --proxy, else $HTTPS_PROXY (https hosts) or $HTTP_PROXY (http "
        "hosts), except for hosts in $NO_PROXY. " + _exit_codes(),
    )
    when = tokens.add_argument_group("time range")
    when.add_argument(
        "--since",
        metavar="WHEN",
        help=f"inclusive start: {WHEN_FORMS}; default: today 00:00 in --tz",
    )
    when.add_argument(
        "--until",
        metavar="WHEN",
        help="exclusive end, same forms (a date means its 00:00); default: tomorrow 00:00 in --tz",
    )
    when.add_argument(
        "--interval",
        choices=INTERVALS,
        help="one row per group and window (weeks start on Monday); default: one window",
    )
    when.add_argument(
        "--tz",
        default="UTC",
        metavar="ZONE",
        help="IANA time zone for dates, windows and output, e.g. Europe/Berlin (default: UTC)",
    )
    tokens.add_argument(
        "--group-by",
        action="append",
        choices=GROUPS,
        metavar="{" + ",".join(GROUPS) + "}",
        help="group counts by rule type and/or task; repeat for both (default: rule_type)",
    )
    tokens.add_argument(
        "--measure",
        choices=MEASURES,
        default="total",
        help="the count --fail-above and --compare look at (default: total)",
    )
    check = tokens.add_argument_group("thresholds (exit code 6 after writing the report)")
    check.add_argument(
        "--fail-above",
        type=_threshold,
        metavar="N",
        help="exit 6 when the overall --measure exceeds N (suffixes k, M, G: 1.5M)",
    )
    check.add_argument(
        "--fail-above-per-group",
        type=_threshold,
        metavar="N",
        help="exit 6 when any single group's --measure exceeds N; names the worst groups",
    )
    extra = tokens.add_argument_group("comparison and costs")
    extra.add_argument(
        "--compare",
        choices=("previous",),
        help="add the preceding period of equal length (the previous month for a calendar "
        "month, aligned in --tz): previous value, change and change in percent",
    )
    extra.add_argument(
        "--price",
        action="append",
        metavar="KIND=AMOUNT[/UNIT]",
        help="price of a count, repeatable: eval_prompt=2.50/1M (UNIT: tokens, suffixes k, "
        "M, G; default 1 token); kinds: inference, eval_prompt, eval_completion",
    )
    extra.add_argument(
        "--prices",
        metavar="FILE",
        help="prices from a TOML file, with optional effective dates (see docs/cli.md; "
        "needs Python 3.11+ or the tomli package)",
    )
    extra.add_argument(
        "--currency",
        metavar="CODE",
        help="ISO 4217 code shown with costs (default: the --prices file's, else USD)",
    )
    out = tokens.add_argument_group("output")
    out.add_argument(
        "--format",
        choices=FORMATS,
        help="default: from --output's extension (.csv, .json, .ndjson, .html), else table",
    )
    out.add_argument(
        "--output",
        "-o",
        metavar="FILE",
        help="write here instead of stdout, atomically (a temporary file renamed into place)",
    )
    out.add_argument("--no-clobber", action="store_true", help="refuse to replace an existing file")
    out.add_argument(
        "--width",
        type=_width,
        metavar="N",
        help="table width (default: the terminal's, 80 when not a terminal)",
    )
    out.add_argument(
        "--csv-raw",
        action="store_true",
        help="write CSV cells as they are (default: a leading ' before =, +, -, @, tab, CR)",
    )
    server = tokens.add_argument_group("server")
    server.add_argument("--host", metavar="URL", help=f"engine base URL (default: ${ENV_HOST})")
    server.add_argument(
        "--token", metavar="TOKEN", help="API key (default: $ARTHUR_API_KEY, then $BEARER_TOKEN)"
    )
    server.add_argument(
        "--demo",
        action="store_true",
        help="run against an embedded demo engine with sample data for the last 60 days",
    )
    server.add_argument(
        "--workers",
        type=_positive_int,
        default=4,
        metavar="N",
        help="concurrent requests (default: 4)",
    )
    server.add_argument(
        "--retries",
        type=_non_negative_int,
        metavar="N",
        help="retries per request on network errors, 429 and 5xx (default: 2)",
    )
    server.add_argument(
        "--timeout",
        type=_seconds,
        metavar="SECONDS",
        help="per attempt: to connect, and between bytes of the answer (default: 5 and 60)",
    )
    server.add_argument(
        "--deadline",
        type=_seconds,
        metavar="SECONDS",
        help="bound on the whole run, retries included",
    )
    server.add_argument(
        "--ca-bundle", metavar="FILE", help="CA certificates (PEM) to verify the server"
    )
    server.add_argument(
        "--proxy", metavar="URL", help="HTTP proxy (default: $HTTPS_PROXY or $HTTP_PROXY)"
    )
    stored = tokens.add_argument_group("cache of closed windows")
    stored.add_argument(
        "--no-cache", action="store_true", help="fetch every window; read and store nothing"
    )
    stored.add_argument("--cache-dir", metavar="DIR", help=_CACHE_DIR_HELP)
    talk = tokens.add_mutually_exclusive_group()
    talk.add_argument(
        "--quiet",
        "-q",
        action="store_true",
        help="nothing on stderr but errors and threshold failures",
    )
    talk.add_argument(
        "--verbose",
        "-v",
        action="store_true",
        help="details and request logs on stderr, tracebacks on errors (never the token)",
    )
    cache = commands.add_parser(
        "cache",
        help="the cache of closed report windows: info or clear",
        description="Closed windows (ended more than an hour ago) are kept so that they are "
        "never fetched twice. The token is never stored, only a one-way fingerprint.",
        epilog=_exit_codes(),
    )
    cache.add_argument(
        "action", choices=("info", "clear"), help="show where and how much; or empty it"
    )
    cache.add_argument("--cache-dir", metavar="DIR", help=_CACHE_DIR_HELP)
    return parser
