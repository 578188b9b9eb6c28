"""``genai-usage tokens``: check everything, fetch the report, write it, test the thresholds."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
import warnings
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Any, Optional

from _generated._constants import MIN_TABLE_WIDTH
from _generated.api_client import ApiClient
from _generated.cli.codes import EXIT_OK, EXIT_THRESHOLD, UsageError
from _generated.cli.messages import (
    Notes,
    Progress,
    one_line,
    redact_chunks,
    request_logging,
    write_stderr,
)
from _generated.cli.output import check_cache_dir, check_target, resolve_format, write_output
from _generated.cli.server import Server, make_configuration, resolve_target
from _generated.cli.thresholds import threshold_failures
from _generated.cli.views import View, render, render_rows
from _generated.cli.when import parse_when
from _generated.exceptions import ApiValueError
from _generated.reports import (
    GroupName,
    Interval,
    PriceList,
    Totals,
    UsageCache,
    UsageReport,
    compare,
    costs,
    fetch_usage,
    parse_price,
    previous_period,
    resolve_zone,
    split_windows,
    stream_usage,
)

__all__ = ["Fetcher", "Plan", "make_plan", "run_tokens"]


@dataclass(frozen=True)
class Plan:
    """A checked ``tokens`` command line: what to fetch and where to write it."""

    zone: tzinfo
    since: datetime
    until: datetime
    group_by: tuple[GroupName, ...]
    interval: Optional[Interval]
    fmt: str
    target: Optional[str]
    width: int
    prices: Optional[PriceList]


def _utc(moment: datetime) -> datetime:
    # Datetimes sharing a ZoneInfo compare by wall clock, which is wrong across DST.
    return moment.astimezone(timezone.utc)


def _zone(name: str) -> tzinfo:

    try:
        return resolve_zone(name)
    except ApiValueError as exc:
        raise UsageError(
            f"argument --tz: unknown time zone {name!r}: expected an IANA name such as "
            "UTC or Europe/Berlin"
        ) from exc


def _width(args: argparse.Namespace, target: Optional[str]) -> int:
    if args.width is not None:
        return int(args.width)
    if target is not None or not _isatty(sys.stdout):
        return 80
    return max(shutil.get_terminal_size(fallback=(80, 24)).columns, MIN_TABLE_WIDTH)


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def _prices(args: argparse.Namespace, zone: tzinfo) -> Optional[PriceList]:
    if not args.price and args.prices is None:
        if args.currency is not None:
            raise UsageError("argument --currency: needs --price or --prices")
        return None

    prices = PriceList()
    if args.prices is not None:
        try:
            with open(args.prices, encoding="utf-8") as handle:
                text = handle.read()
        except (OSError, UnicodeDecodeError) as exc:
            reason = getattr(exc, "strerror", None) or exc
            raise UsageError(f"argument --prices: cannot read {args.prices!r}: {reason}") from exc
        try:
            prices = PriceList.from_toml(text, zone)
        except (ValueError, RuntimeError) as exc:
            raise UsageError(f"argument --prices: {args.prices}: {exc}") from exc
    try:
        flags = dict(parse_price(spec) for spec in args.price or ())
    except ValueError as exc:
        raise UsageError(f"argument --price: {exc}") from exc
    if flags:
        prices = prices.with_prices(flags)
    if args.currency is not None:
        try:
            prices = prices.with_currency(args.currency.strip().upper())
        except ValueError as exc:
            raise UsageError(f"argument --currency: {exc}") from exc
    return prices


def make_plan(args: argparse.Namespace, now: datetime) -> Plan:
    """Check the command line (before any request); :class:`UsageError` names the flag."""

    zone = _zone(args.tz)
    # An empty value (a script's unset variable) is refused by parse_when, not skipped.
    since = parse_when(args.since, zone, now, "--since") if args.since is not None else None
    until = parse_when(args.until, zone, now, "--until") if args.until is not None else None
    if since is None:
        since = parse_when("today", zone, now)
    if until is None:
        until = parse_when("tomorrow", zone, now)
        if _utc(until) <= _utc(since):
            try:
                until = since + timedelta(days=1)
            except OverflowError:
                raise UsageError(
                    f"argument --since: {since.isoformat()} leaves no day before the calendar "
                    "ends (year 9999): give --until"
                ) from None
    if _utc(until) <= _utc(since):
        raise UsageError(
            f"argument --until: {until.isoformat()} is not after --since {since.isoformat()}"
        )
    try:
        split_windows(since, until, args.interval, zone)
    except ValueError as exc:
        raise UsageError(f"argument --interval: {exc}") from exc
    if args.compare:
        try:
            previous_period(since, until, zone)
        except ValueError:
            raise UsageError(
                f"argument --compare: the period from --since {since.isoformat()} has no "
                "period of the same length before it (the calendar starts in year 1)"
            ) from None
    fmt = resolve_format(args.format, args.output)
    target = check_target(args.output, no_clobber=args.no_clobber)
    prices = _prices(args, zone)
    if prices is not None and args.compare:
        raise UsageError("argument --compare: cannot be combined with --price/--prices")
    return Plan(
        zone=zone,
        since=since,
        until=until,
        group_by=tuple(dict.fromkeys(args.group_by or ["rule_type"])),
        interval=args.interval,
        fmt=fmt,
        target=target,
        width=_width(args, target),
        prices=prices,
    )


def run_tokens(args: argparse.Namespace, secrets: list[str]) -> int:
    """Run ``tokens``; errors propagate to the caller's boundary."""

    started = time.monotonic()
    plan = make_plan(args, datetime.now(timezone.utc))
    target = resolve_target(args, os.environ)
    notes = Notes(quiet=args.quiet, verbose=args.verbose, secrets=secrets)
    if args.demo and (args.host or args.token):
        notes.note("--demo: ignoring --host/--token, using the demo engine")
    if target.token:
        secrets.append(target.token)
    cache = _cache(args)
    with Server(target, notes.note) as server, warnings.catch_warnings(record=True) as caught:
        # Warnings (the cache's, a token over plain http) become genai-usage: lines.
        warnings.simplefilter("always", UserWarning)
        if server.token and server.token not in secrets:
            secrets.append(server.token)
        args.resolved_host = server.host or ""
        notes.verbose(
            f"host {server.host}; token {'set' if server.token else 'not set'}; "
            f"{plan.since.isoformat()} to {plan.until.isoformat()} ({args.tz}); "
            f"interval {plan.interval or 'none'}; group by {', '.join(plan.group_by)}; "
            f"{args.workers} worker(s); cache {cache.directory if cache else 'off'}"
        )
        configuration = make_configuration(
            server,
            retries=args.retries,
            workers=args.workers,
            timeout=args.timeout,
            deadline=args.deadline,
        )
        try:
            with request_logging(args.verbose, secrets), ApiClient(configuration) as client:
                fetcher = Fetcher(client, plan, args, cache, notes)
                totals = fetcher.run()
        finally:
            shown = [w for w in caught if issubclass(w.category, UserWarning)]
            for message in dict.fromkeys(str(warning.message) for warning in shown):
                notes.warn(message)
    if cache is not None and fetcher.from_cache:
        still_open = (
            f", {fetcher.provisional} still open (provisional: their counts may still grow)"
            if fetcher.provisional
            else ""
        )
        notes.note(f"{fetcher.from_cache} of {fetcher.windows} windows from the cache{still_open}")
    notes.verbose(
        f"{fetcher.windows} window(s), {fetcher.from_cache} from the cache, "
        f"{fetcher.provisional} still open, in {time.monotonic() - started:.2f}s"
    )
    failures = threshold_failures(totals, plan.group_by, args)
    if failures:
        write_stderr(one_line("threshold exceeded: " + "; ".join(failures), secrets))
        return EXIT_THRESHOLD
    return EXIT_OK


def _cache(args: argparse.Namespace) -> Optional[UsageCache]:
    """The report cache of a run: on unless ``--no-cache`` (and off for ``--demo``)."""
    if args.no_cache or args.demo:
        return None

    return UsageCache(check_cache_dir(args.cache_dir))


class Fetcher:
    """Fetches what a run needs and writes it: streamed for plain CSV/NDJSON, else whole."""

    def __init__(
        self,
        client: Any,
        plan: Plan,
        args: argparse.Namespace,
        cache: Optional[UsageCache],
        notes: Notes,
    ) -> None:
        self._client = client
        self._plan = plan
        self._args = args
        self._cache = cache
        self._notes = notes
        self.windows = 0
        self.from_cache = 0
        self.provisional = 0

    def _arguments(self, start: datetime, end: datetime, what: str) -> dict[str, Any]:

        plan = self._plan
        several = len(split_windows(start, end, plan.interval, plan.zone)) > 1
        # Rows streamed to the terminal the progress line is on would be written into it.
        streamed_here = plan.target is None and _streamed(plan, self._args) and _isatty(sys.stdout)
        enabled = self._notes.progress_allowed and several and not streamed_here
        return {
            "group_by": plan.group_by,
            "interval": plan.interval,
            "tz": plan.zone,
            "workers": self._args.workers,
            "progress": Progress(sys.stderr, enabled=enabled, what=what),
            "cache": self._cache,
        }

    def _count(self, metadata: dict[str, Any]) -> None:
        self.windows += len(metadata["windows"])
        self.from_cache += int(metadata.get("windows_from_cache", 0))
        self.provisional += int(metadata.get("windows_provisional", 0))

    def fetch(self, start: datetime, end: datetime, what: str = "windows") -> UsageReport:

        arguments = self._arguments(start, end, what)
        try:
            report = fetch_usage(self._client, start, end, **arguments)
        finally:
            arguments["progress"].finish()
        self._count(report.metadata())
        return report

    def run(self) -> Totals:
        """Fetch, write the output, and return the totals the thresholds look at."""
        plan, args = self._plan, self._args
        if _streamed(plan, args):
            return self._stream()
        report = self.fetch(plan.since, plan.until)
        comparison = None
        if args.compare:
            earlier = previous_period(report.start, report.end, plan.zone)
            self._notes.verbose(
                f"previous period {earlier.start.isoformat()} to {earlier.end.isoformat()}"
            )
            previous = self.fetch(earlier.start, earlier.end, "previous period")
            comparison = compare(report, previous, args.measure)
        _write(report, plan, args, comparison, self._notes)
        return report.totals()

    def _stream(self) -> Totals:

        plan = self._plan
        arguments = self._arguments(plan.since, plan.until, "windows")
        stream = stream_usage(self._client, plan.since, plan.until, **arguments)
        try:
            chunks = render_rows(plan.fmt, stream, csv_raw=self._args.csv_raw)
            output = redact_chunks(chunks, self._notes.secrets)
            write_output(output, plan.target, no_clobber=self._args.no_clobber, utf8=True)
        finally:
            arguments["progress"].finish()
        self._count(stream.metadata())
        return stream.totals()


def _write(
    report: UsageReport,
    plan: Plan,
    args: argparse.Namespace,
    comparison: Any,
    notes: Notes,
) -> None:

    bill = None
    if plan.prices is not None:
        bill = costs(report, plan.prices)
        if bill.unpriced:
            notes.note(f"no price for {', '.join(bill.unpriced)}: counted as 0")
        if bill.split_windows:
            when = ", ".join(sorted({moment.isoformat() for moment in bill.split_windows})[:3])
            notes.note(
                f"prices change inside a report window ({when}); each window is priced at "
                "the prices of its start: use a smaller --interval"
            )
    view = View(
        report=report,
        fmt=plan.fmt,
        width=plan.width,
        csv_raw=args.csv_raw,
        comparison=comparison,
        costs=bill,
        secrets=notes.secrets,
    )
    write_output(
        redact_chunks(render(view), notes.secrets),
        plan.target,
        no_clobber=args.no_clobber,
        utf8=plan.fmt != "table",  # data formats are UTF-8 wherever they go
    )


def _streamed(plan: Plan, args: argparse.Namespace) -> bool:
    """Whether the output is written window by window (plain CSV and NDJSON)."""
    return plan.fmt in ("csv", "ndjson") and not args.compare and plan.prices is None
