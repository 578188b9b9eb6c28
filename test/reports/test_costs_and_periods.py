"""``costs()`` across a DST fall-back and at full precision, ``previous_period()`` of days
whose midnight is skipped, and the report arguments checked before any request; against
``FakeUsageEngine``.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal, localcontext
from zoneinfo import ZoneInfo

import pytest

from _generated.exceptions import ApiArgumentError
from _generated.reports import (
    Price,
    PriceList,
    costs,
    fetch_usage,
    previous_period,
    stream_usage,
)
from _generated.testing import FakeUsageEngine, UsageRecord

UTC = timezone.utc


def test_the_two_hours_of_a_dst_fall_back_are_priced_at_their_own_prices() -> None:
    # 02:00-03:00 comes twice in Berlin on 2026-10-25; the price doubles at the second one.
    records = [
        UsageRecord(datetime(2026, 10, 25, 0, 30, tzinfo=UTC), "t", "R", 100, 0, 0),
        UsageRecord(datetime(2026, 10, 25, 1, 30, tzinfo=UTC), "t", "R", 100, 0, 0),
    ]
    with FakeUsageEngine(records) as engine, engine.api_client() as client:
        report = fetch_usage(
            client,
            "2026-10-25T02:00+02:00",
            "2026-10-25T03:00+01:00",
            interval="hour",
            tz="Europe/Berlin",
        )
    second = datetime(2026, 10, 25, 1, tzinfo=UTC)
    prices = PriceList(
        ((None, {"inference": Price(Decimal(1))}), (second, {"inference": Price(Decimal(2))}))
    )
    assert [w.start.astimezone(UTC).hour for w in report.windows] == [0, 1]
    bill = costs(report, prices)
    assert [row_total for _, _, row_total in bill.rows] == [Decimal(100), Decimal(200)]
    assert bill.total == Decimal(300)


def test_cost_totals_are_exact_beyond_the_default_28_digits() -> None:
    with FakeUsageEngine() as engine, engine.api_client() as client:
        report = fetch_usage(client, "2026-11-01", "2026-11-15")
    prices = PriceList.parse(
        ["inference=0.123456789012345678901234567", "eval_prompt=0.000000000000000000000000001"]
    )
    bill = costs(report, prices)
    with localcontext() as context:
        context.prec = 80
        exact = sum(bill.overall.values(), Decimal(0))
    assert len(exact.as_tuple().digits) > 28  # the case the default context would round
    assert bill.total == exact
    assert Decimal(bill.to_dict()["overall"]["total"]) == exact
    first = next(iter(bill.by_group))
    with localcontext() as context:
        context.prec = 80
        assert bill.group_total(first) == sum(bill.by_group[first].values(), Decimal(0))


@pytest.mark.parametrize("kinds", [["bogus"], "inference", ["inference", "total"]])
def test_unknown_cost_kinds_are_refused(kinds: object) -> None:
    with FakeUsageEngine() as engine, engine.api_client() as client:
        report = fetch_usage(client, "2026-11-01", "2026-11-02")
    with pytest.raises(ApiArgumentError, match="invalid argument kinds="):
        costs(report, PriceList.parse(["inference=1"]), kinds=kinds)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("zone", "day", "previous"),
    [
        # Midnight is skipped (DST starts at 00:00): the day starts at 01:00.
        ("America/Santiago", datetime(2026, 9, 6), datetime(2026, 9, 5)),
        ("America/Sao_Paulo", datetime(2018, 11, 4), datetime(2018, 11, 3)),
        # And the day after such a day: its previous day is the short one.
        ("America/Santiago", datetime(2026, 9, 7), datetime(2026, 9, 6)),
    ],
)
def test_the_previous_period_of_a_whole_local_day_is_the_whole_day_before(
    zone: str, day: datetime, previous: datetime
) -> None:
    tz = ZoneInfo(zone)

    def first_instant(moment: datetime) -> datetime:
        # fold=0 in a gap is the offset before it: the day's first real instant.
        return moment.replace(tzinfo=tz).astimezone(UTC).astimezone(tz)

    start, end = first_instant(day), first_instant(day + timedelta(days=1))
    period = previous_period(start, end, zone)
    assert (period.start, period.end) == (first_instant(previous), start)
    # Whole months too: the 6th of one month to the 6th of the next.
    if day.day == 6:
        month = previous_period(first_instant(day), first_instant(day.replace(month=10)), zone)
        assert month.start == first_instant(day.replace(month=8))


@pytest.mark.parametrize("streamed", [False, True])
def test_a_progress_that_is_not_callable_is_refused_before_any_request(streamed: bool) -> None:
    with FakeUsageEngine() as engine, engine.api_client() as client:
        fetch = stream_usage if streamed else fetch_usage
        with pytest.raises(ApiArgumentError, match="invalid argument progress=5"):
            fetch(client, "2026-11-01", "2026-11-05", interval="day", progress=5)  # type: ignore[arg-type]
        assert engine.attempts == 0


@pytest.mark.parametrize("width", [0, 39, "80", 80.0, True])
def test_a_table_width_that_is_not_columns_is_refused(width: object) -> None:
    with FakeUsageEngine() as engine, engine.api_client() as client:
        report = fetch_usage(client, "2026-11-01", "2026-11-02")
    with pytest.raises(ApiArgumentError, match=r"invalid argument width=.*at least 40"):
        report.to_table(width=width)  # type: ignore[arg-type]
    assert report.to_table(width=40).splitlines()
