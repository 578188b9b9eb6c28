"""``genai-usage tokens``: check everything, fetch the report, write it, test the thresholds."""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Optional

from _generated.cli.codes import EXIT_OK, EXIT_THRESHOLD, UsageError
from _generated.cli.messages import Notes, Progress, one_line, request_logging
from _generated.cli.output import check_target, resolve_format, write_output
from _generated.cli.server import Server, make_configuration, resolve_target
from _generated.cli.when import parse_when

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from _generated.report_costs import PriceList
    from _generated.reports import GroupKey, UsageReport

__all__ = ["Plan", "make_plan", "run_tokens"]


@dataclass(frozen=True)
class Plan:
    """A checked ``tokens`` command line: what to fetch and where to write it."""

    zone: ZoneInfo
    since: datetime
    until: datetime
    group_by: tuple[str, ...]
    interval: Optional[str]
    fmt: str
    target: Optional[str]
    width: int
    prices: Optional[PriceList]


def _utc(moment: datetime) -> datetime:
    # Datetimes sharing a ZoneInfo compare by wall clock, which is wrong across DST.
    return moment.astimezone(timezone.utc)


def _zone(name: str) -> ZoneInfo:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise UsageError(
            f"argument --tz: unknown time zone {name!r}: expected an IANA name such as "
            "UTC or Europe/Berlin"
        ) from exc


def _width(args: argparse.Namespace, target: Optional[str]) -> int:
    import shutil

    if args.width is not None:
        return int(args.width)
    if target is not None or not _isatty(sys.stdout):
        return 80
    return max(shutil.get_terminal_size(fallback=(80, 24)).columns, 40)


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def _prices(args: argparse.Namespace, zone: ZoneInfo) -> Optional[PriceList]:
    if not args.price and args.prices is None:
        if args.currency is not None:
            raise UsageError("argument --currency: needs --price or --prices")
        return None
    from _generated.report_costs import PriceList, parse_price

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
    from _generated.reports import split_windows

    zone = _zone(args.tz)
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
    try:
        split_windows(since, until, args.interval, zone)
    except ValueError as exc:
        raise UsageError(f"argument --interval: {exc}") from exc
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


def _sorted(report: UsageReport) -> UsageReport:
    """The report with rows in a stable order: by window, then rule type, then task id."""
    from _generated.reports import UsageReport

    def key(row: Any) -> tuple[datetime, bool, str, bool, str]:
        return (
            _utc(row.window_start),
            row.rule_type is not None,
            row.rule_type or "",
            row.task_id is not None,
            row.task_id or "",
        )

    return UsageReport(
        sorted(report.rows, key=key),
        start=report.start,
        end=report.end,
        interval=report.interval,
        tz=report.tz,
        group_by=report.group_by,
        host=report.host,
        generated_at=report.generated_at,
        windows=report.windows,
        missing=report.missing,
    )


def _number(value: Decimal) -> str:
    return f"{int(value):,}" if value == value.to_integral_value() else f"{value:,}"


def _group_name(key: GroupKey, group_by: tuple[str, ...]) -> str:
    names = {"rule_type": key.rule_type, "task": key.task_id}
    return " / ".join(names[g] or "(none)" for g in group_by)


def threshold_failures(report: UsageReport, args: argparse.Namespace) -> list[str]:
    """What exceeded ``--fail-above``/``--fail-above-per-group`` (empty: nothing did)."""
    measure: str = args.measure
    totals = report.totals()
    failures: list[str] = []
    overall = totals.overall.get(measure)
    if args.fail_above is not None and overall > args.fail_above:
        failures.append(
            f"{measure} tokens {overall:,} exceed --fail-above {_number(args.fail_above)}"
        )
    if args.fail_above_per_group is not None:
        over = sorted(
            (
                (counts.get(measure), _group_name(key, report.group_by))
                for key, counts in totals.by_group.items()
                if counts.get(measure) > args.fail_above_per_group
            ),
            key=lambda item: (-item[0], item[1]),
        )
        if over:
            shown = ", ".join(f"{name} ({value:,})" for value, name in over[:3])
            more = f" and {len(over) - 3} more" if len(over) > 3 else ""
            failures.append(
                f"{len(over)} group(s) exceed --fail-above-per-group "
                f"{_number(args.fail_above_per_group)} in {measure} tokens: {shown}{more}"
            )
    return failures


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
    from _generated.reports import fetch_usage

    with Server(target, notes.note) as server:
        if server.token and server.token not in secrets:
            secrets.append(server.token)
        host = server.host or ""
        args.resolved_host = host
        notes.verbose(
            f"host {host}; token {'set' if server.token else 'not set'}; "
            f"{plan.since.isoformat()} to {plan.until.isoformat()} ({plan.zone.key}); "
            f"interval {plan.interval or 'none'}; group by {', '.join(plan.group_by)}; "
            f"{args.workers} worker(s)"
        )
        from _generated.api_client import ApiClient

        configuration = make_configuration(
            server,
            retries=args.retries,
            workers=args.workers,
            timeout=args.timeout,
            deadline=args.deadline,
        )
        with request_logging(args.verbose, secrets), ApiClient(configuration) as client:

            def fetch(start: datetime, end: datetime, what: str) -> UsageReport:
                several = len(plan_windows(plan, start, end)) > 1
                progress = Progress(
                    sys.stderr, enabled=notes.progress_allowed and several, what=what
                )
                try:
                    return fetch_usage(
                        client,
                        start,
                        end,
                        group_by=plan.group_by,
                        interval=plan.interval,
                        tz=plan.zone,
                        workers=args.workers,
                        progress=progress,
                    )
                finally:
                    progress.finish()

            report = _sorted(fetch(plan.since, plan.until, "windows"))
            comparison = None
            if args.compare:
                from _generated.report_compare import compare, previous_period

                earlier = previous_period(report.start, report.end, plan.zone)
                notes.verbose(
                    f"previous period {earlier.start.isoformat()} to {earlier.end.isoformat()}"
                )
                previous = _sorted(fetch(earlier.start, earlier.end, "previous period"))
                comparison = compare(report, previous, args.measure)
    _write(report, plan, args, comparison, notes)
    notes.verbose(
        f"{len(report.rows)} row(s) from {len(report.windows)} window(s) "
        f"in {time.monotonic() - started:.2f}s"
    )
    failures = threshold_failures(report, args)
    if failures:
        sys.stderr.write(one_line("threshold exceeded: " + "; ".join(failures), secrets))
        return EXIT_THRESHOLD
    return EXIT_OK


def plan_windows(plan: Plan, start: datetime, end: datetime) -> list[Any]:
    from _generated.reports import split_windows

    return split_windows(start, end, plan.interval, plan.zone)


def _write(
    report: UsageReport,
    plan: Plan,
    args: argparse.Namespace,
    comparison: Any,
    notes: Notes,
) -> None:
    from _generated.cli.views import View, render

    bill = None
    if plan.prices is not None:
        from _generated.report_costs import costs

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
    )
    write_output(render(view), plan.target, no_clobber=args.no_clobber)
