"""``genai-usage``: token-usage reports from the command line.

::

    genai-usage tokens --since 2026-11-01 --until 2026-12-01 --interval day \\
        --group-by rule_type --group-by task --tz Europe/Berlin --format csv --output nov.csv

The host comes from ``--host`` or ``ARTHUR_BASE_URL``; the token from ``--token``, else
``ARTHUR_API_KEY``, else ``BEARER_TOKEN``. The token is never printed, not even with
``--verbose``. Exit codes: 0 ok, 2 usage error, 3 authentication or permission refused,
4 server or network failure after retries, 5 invalid response (see :data:`EXIT_CODES`).

Only ``argparse`` is imported up front; the SDK is imported when a command runs, so
``--help`` and usage errors are fast.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from typing import IO, TYPE_CHECKING, Any, NoReturn, Optional

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from _generated.reports import UsageReport

__all__ = [
    "EXIT_AUTH",
    "EXIT_CODES",
    "EXIT_INVALID_RESPONSE",
    "EXIT_OK",
    "EXIT_SERVER",
    "EXIT_USAGE",
    "FORMATS",
    "build_parser",
    "exit_code_for",
    "main",
    "parse_when",
]

PROG = "genai-usage"
EXIT_OK = 0
#: A bad flag, date, zone or group; also a 400/422 from the server (it refused the input).
EXIT_USAGE = 2
#: The server answered 401 or 403.
EXIT_AUTH = 3
#: The server failed (5xx, 429, other statuses) or could not be reached, after retries.
EXIT_SERVER = 4
#: The server answered 2xx with something that is not the documented JSON.
EXIT_INVALID_RESPONSE = 5
EXIT_INTERRUPTED = 130
EXIT_CODES = {
    EXIT_OK: "ok",
    EXIT_USAGE: "usage error",
    EXIT_AUTH: "authentication or permission refused",
    EXIT_SERVER: "server or network failure after retries",
    EXIT_INVALID_RESPONSE: "invalid response",
}
FORMATS = ("table", "csv", "json", "ndjson", "html")
ENV_HOST = "ARTHUR_BASE_URL"
ENV_TOKENS = ("ARTHUR_API_KEY", "BEARER_TOKEN")

_RELATIVE = re.compile(r"(\d+)\s*([wdhm])")
_RELATIVE_UNITS = {"w": "weeks", "d": "days", "h": "hours", "m": "minutes"}
_WHEN_HELP = (
    "an ISO date or datetime (2026-11-01, 2026-11-01T08:00, 2026-11-01T08:00+01:00), "
    "today, yesterday, tomorrow, now, or an age such as 7d, 24h, 2w, 30m"
)


class UsageError(Exception):
    """A command line that parses but cannot run (bad date, no host, ...): exit code 2."""


class _Parser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose errors are one line on stderr (exit code 2)."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """The ``genai-usage`` argument parser."""
    from _generated._version import __version__

    parser = _Parser(
        prog=PROG,
        description="Report GenAI Engine token usage (GET /api/v2/usage/tokens).",
        epilog="Exit codes: "
        + ", ".join(f"{code} {meaning}" for code, meaning in EXIT_CODES.items())
        + ".",
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
        "users). Exit codes: "
        + ", ".join(f"{code} {meaning}" for code, meaning in EXIT_CODES.items())
        + ".",
    )
    when = tokens.add_argument_group("time range")
    when.add_argument(
        "--since",
        metavar="WHEN",
        help=f"inclusive start: {_WHEN_HELP}; default: today 00:00 in --tz",
    )
    when.add_argument(
        "--until",
        metavar="WHEN",
        help="exclusive end, same forms (a date means its 00:00); default: tomorrow 00:00 in --tz",
    )
    when.add_argument(
        "--interval",
        choices=("hour", "day", "week", "month"),
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
        choices=("rule_type", "task"),
        metavar="{rule_type,task}",
        help="group counts by rule type and/or task; repeat for both (default: rule_type)",
    )
    out = tokens.add_argument_group("output")
    out.add_argument("--format", choices=FORMATS, default="table", help="default: table")
    out.add_argument("--output", "-o", metavar="FILE", help="write here instead of stdout")
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
    talk = tokens.add_mutually_exclusive_group()
    talk.add_argument("--quiet", "-q", action="store_true", help="no progress or notes on stderr")
    talk.add_argument(
        "--verbose",
        "-v",
        action="store_true",
        help="details and request logs on stderr, tracebacks on errors (never the token)",
    )
    return parser


def _positive_int(text: str) -> int:
    if not text.strip().isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected an integer of at least 1, got {text!r}")
    return int(text)


def _non_negative_int(text: str) -> int:
    if not text.strip().isdigit():
        raise argparse.ArgumentTypeError(f"expected an integer of at least 0, got {text!r}")
    return int(text)


def parse_when(text: str, zone: ZoneInfo, now: datetime, argument: str = "--since") -> datetime:
    """Resolve a ``--since``/``--until`` value to an aware datetime in ``zone``.

    ``today``/``yesterday``/``tomorrow`` are local midnights, ``now`` is ``now``, ``7d``,
    ``24h``, ``2w``, ``30m`` are that long before ``now``; anything else is an ISO 8601 date
    (midnight) or datetime, naive ones read in ``zone``. Raises :class:`UsageError`.
    """
    from _generated.exceptions import ApiValueError
    from _generated.reports import _local_midnight, _to_utc

    word = text.strip().lower()
    today = now.astimezone(zone).date()
    named = {"today": 0, "yesterday": -1, "tomorrow": 1}
    if word in named:
        return _local_midnight(today + timedelta(days=named[word]), zone).astimezone(zone)
    if word == "now":
        return now.astimezone(zone)
    relative = _RELATIVE.fullmatch(word)
    if relative:
        amount = timedelta(**{_RELATIVE_UNITS[relative.group(2)]: int(relative.group(1))})
        return (now - amount).astimezone(zone)
    try:
        return _to_utc(text, zone, argument).astimezone(zone)
    except (ApiValueError, OverflowError) as exc:
        raise UsageError(
            f"argument {argument}: invalid value {text!r}: expected {_WHEN_HELP}"
        ) from exc


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run ``genai-usage`` with ``argv`` (default ``sys.argv[1:]``); return the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version and usage errors: return, don't exit
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    return _run_tokens(args)


def _run_tokens(args: argparse.Namespace) -> int:
    secrets: list[str] = []
    verbose: bool = args.verbose
    try:
        return _tokens(args, secrets)
    except KeyboardInterrupt:
        _fail("interrupted", secrets)
        # Threads still waiting on the network would delay a normal exit.
        sys.stderr.flush()
        os._exit(EXIT_INTERRUPTED)
    except UsageError as exc:
        _fail(str(exc), secrets, verbose)
        return EXIT_USAGE
    except BrokenPipeError:
        # stdout was closed early (e.g. piped into head): not an error of ours.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except Exception as exc:
        code = exit_code_for(exc)
        _fail(_error_message(exc, code, args, bool(secrets)), secrets, verbose)
        return code


def _tokens(args: argparse.Namespace, secrets: list[str]) -> int:
    from _generated.reports import _zone, fetch_usage, split_windows

    started = time.monotonic()
    try:
        zone = _zone(args.tz)
    except ValueError as exc:
        raise UsageError(
            f"argument --tz: unknown time zone {args.tz!r}: expected an IANA name such as "
            "UTC or Europe/Berlin"
        ) from exc
    now = datetime.now(timezone.utc)
    since = parse_when(args.since, zone, now, "--since") if args.since else None
    until = parse_when(args.until, zone, now, "--until") if args.until else None
    if since is None:
        since = parse_when("today", zone, now)
    if until is None:
        until = parse_when("tomorrow", zone, now)
        if _utc(until) <= _utc(since):
            until = since + timedelta(days=1)
    if _utc(until) <= _utc(since):
        raise UsageError(
            f"argument --until: {until.isoformat()} is not after --since {since.isoformat()}"
        )
    group_by = tuple(dict.fromkeys(args.group_by or ["rule_type"]))
    try:
        windows = split_windows(since, until, args.interval, zone)
    except ValueError as exc:
        raise UsageError(f"argument --interval: {exc}") from exc

    notes = _Notes(quiet=args.quiet, verbose=args.verbose)
    with _Server(args, secrets, notes) as (host, token):
        if args.verbose:
            _enable_request_logging(secrets)
        notes.verbose(
            f"host {host}; token {'set' if token else 'not set'}; "
            f"{since.isoformat()} to {until.isoformat()} ({zone.key}); "
            f"interval {args.interval or 'none'}; group by {', '.join(group_by)}; "
            f"{len(windows)} window(s), {args.workers} worker(s)"
        )
        from _generated.api_client import ApiClient
        from _generated.configuration import Configuration

        configuration = Configuration(
            host=host,
            access_token=token,
            retries=args.retries,
            connection_pool_maxsize=max(args.workers, 4),
        )
        progress = _Progress(sys.stderr, enabled=notes.progress_allowed and len(windows) > 1)
        with ApiClient(configuration) as client:
            try:
                report = fetch_usage(
                    client,
                    since,
                    until,
                    group_by=group_by,
                    interval=args.interval,
                    tz=zone,
                    workers=args.workers,
                    progress=progress,
                )
            finally:
                progress.finish()
    _write(report, args.format, args.output)
    notes.verbose(
        f"{len(report.rows)} row(s) from {len(report.windows)} window(s) "
        f"in {time.monotonic() - started:.2f}s"
    )
    return EXIT_OK


class _Server:
    """Context manager giving ``(host, token)``: from flags and environment, or the demo."""

    def __init__(self, args: argparse.Namespace, secrets: list[str], notes: _Notes) -> None:
        self._args = args
        self._secrets = secrets
        self._notes = notes
        self._engine: Any = None

    def __enter__(self) -> tuple[str, Optional[str]]:
        args = self._args
        if args.demo:
            from _generated.testing import FakeUsageEngine, demo_records

            if args.host or args.token:
                self._notes.note("--demo: ignoring --host/--token, using the demo engine")
            import secrets

            self._engine = FakeUsageEngine(demo_records(), token=secrets.token_urlsafe(16))
            self._engine.start()
            host: str = self._engine.host
            token: Optional[str] = self._engine.token
            self._notes.note(f"demo engine with sample data at {host}")
        else:
            host = (args.host or os.environ.get(ENV_HOST) or "").strip()
            if not host:
                raise UsageError(f"no server: pass --host URL or set {ENV_HOST} (or use --demo)")
            if not re.match(r"https?://[^/\s]", host):
                raise UsageError(
                    f"argument --host: expected an http:// or https:// URL, got {host!r}"
                )
            token = args.token or next(
                (os.environ[name] for name in ENV_TOKENS if os.environ.get(name)), None
            )
        if token:
            self._secrets.append(token)
        return host.rstrip("/"), token

    def __exit__(self, *exc_info: object) -> None:
        if self._engine is not None:
            self._engine.stop()


def _write(report: UsageReport, fmt: str, output: Optional[str]) -> None:
    import shutil

    target: Optional[str] = None if output in (None, "-") else output
    if fmt == "table":
        width = 80 if target else shutil.get_terminal_size(fallback=(80, 24)).columns
        text = report.to_table(width=max(width, 40))
    elif fmt == "csv":
        text = report.to_csv()
    elif fmt == "json":
        text = report.to_json()
    elif fmt == "ndjson":
        text = report.to_ndjson()
    else:
        text = report.to_html()
    if target is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    try:
        with open(target, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
    except OSError as exc:
        raise UsageError(
            f"argument --output: cannot write {target!r}: {exc.strerror or exc}"
        ) from exc


def exit_code_for(exc: BaseException) -> int:
    """The exit code for an error raised while running a command (see :data:`EXIT_CODES`)."""
    from _generated.exceptions import (
        ApiException,
        ApiTypeError,
        ApiValueError,
        BadRequestException,
        ForbiddenException,
        ResponseValidationError,
        UnauthorizedException,
        UnprocessableEntityException,
    )
    from _generated.reports import PartialReportError

    if isinstance(exc, PartialReportError):
        codes = {exit_code_for(error) for error in exc.errors.values()}
        for code in (EXIT_AUTH, EXIT_INVALID_RESPONSE, EXIT_USAGE):
            if code in codes:
                return code
        return EXIT_SERVER
    if isinstance(exc, (UsageError, ApiValueError, ApiTypeError)):
        return EXIT_USAGE
    if isinstance(exc, (UnauthorizedException, ForbiddenException)):
        return EXIT_AUTH
    if isinstance(exc, ResponseValidationError):
        return EXIT_INVALID_RESPONSE
    if isinstance(exc, (BadRequestException, UnprocessableEntityException)):
        return EXIT_USAGE
    if isinstance(exc, ApiException):
        return EXIT_SERVER
    return 1


def _error_message(exc: BaseException, code: int, args: argparse.Namespace, has_token: bool) -> str:
    from _generated.exceptions import ForbiddenException
    from _generated.reports import PartialReportError, describe_error

    what = describe_error(exc)
    if isinstance(exc, PartialReportError):
        return f"{what} (nothing was written)"
    if code == EXIT_AUTH:
        if isinstance(exc, ForbiddenException):
            return f"permission denied ({what}): the token may not read token usage"
        hint = (
            "check --token, $ARTHUR_API_KEY or $BEARER_TOKEN"
            if has_token
            else "no token was given: pass --token or set $ARTHUR_API_KEY"
        )
        return f"authentication failed ({what}): {hint}"
    if code == EXIT_INVALID_RESPONSE:
        return f"the server's answer is not token usage: {what}"
    if code == EXIT_USAGE:
        return f"the server refused the request: {what}"
    if code == EXIT_SERVER:
        return f"request failed after retries: {what}"
    return what


def _redact(text: str, secrets: Sequence[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, "[redacted]")
    return text


def _fail(message: str, secrets: Sequence[str], verbose: bool = False) -> None:
    if verbose:
        import traceback

        sys.stderr.write(_redact(traceback.format_exc(), secrets))
    sys.stderr.write(_redact(f"{PROG}: error: {message}", secrets).replace("\n", " ") + "\n")
    sys.stderr.flush()


def _enable_request_logging(secrets: list[str]) -> None:
    import logging

    from _generated._constants import LOGGER_NAME

    class _Redact(logging.Filter):
        def filter(self, record: logging.LogRecord) -> bool:
            record.msg = _redact(record.getMessage(), secrets)
            record.args = None
            return True

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(f"{PROG}: %(name)s: %(message)s"))
    handler.addFilter(_Redact())
    logger = logging.getLogger(LOGGER_NAME)
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)


class _Notes:
    """Messages for stderr, according to ``--quiet``/``--verbose``."""

    def __init__(self, *, quiet: bool, verbose: bool) -> None:
        self._quiet = quiet
        self._verbose = verbose
        self.progress_allowed = not quiet and _isatty(sys.stderr)

    def note(self, message: str) -> None:
        if not self._quiet:
            sys.stderr.write(f"{PROG}: {message}\n")

    def verbose(self, message: str) -> None:
        if self._verbose:
            sys.stderr.write(f"{PROG}: {message}\n")


class _Progress:
    """``progress(done, total)`` for :func:`fetch_usage`: one updating line on a terminal."""

    def __init__(self, stream: IO[str], *, enabled: bool) -> None:
        self._stream = stream
        self._enabled = enabled
        self._started = time.monotonic()
        self._shown = False

    def __call__(self, done: int, total: int) -> None:
        if not self._enabled:
            return
        elapsed = time.monotonic() - self._started
        self._stream.write(f"\rfetching windows: {done}/{total} done, {elapsed:.1f}s elapsed")
        self._stream.flush()
        self._shown = True

    def finish(self) -> None:
        if self._shown:
            self._stream.write("\n")
            self._stream.flush()
            self._shown = False


def _utc(moment: datetime) -> datetime:
    # Datetimes sharing a ZoneInfo compare by wall clock, which is wrong across DST.
    return moment.astimezone(timezone.utc)


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False
