"""Property tests: whatever valid arguments a caller passes, the server gets their meaning.

For any combination of ``start_time``/``end_time`` (aware at any offset, naive, ``date``, ISO
string, or omitted) and ``group_by`` (strings, enum members, any order, duplicates, empty),
the FastAPI reference server must parse the same instants and scopes, and the SDK must
return the totals computed here, independently, from the seeded records.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, Optional, Union

import pytest
from _helpers import (
    UTC,
    assert_rfc3339,
    call_tagged,
    expected_rows,
    query_values,
    rows_of,
    tz,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _generated import ApiClient, TokenUsageScope, UsageApi

if TYPE_CHECKING:
    from collections.abc import Iterator

    from conftest import EngineServer

#: Offsets the SDK must handle, beyond random ones: quarter/half hours, the extremes.
ODD_OFFSETS = [
    0,
    60,
    -60,
    5 * 60 + 45,
    -(3 * 60 + 30),
    9 * 60 + 30,
    12 * 60 + 45,
    14 * 60,
    -12 * 60,
]
#: Around the seeded data (November 2026), so most ranges hold records.
WINDOW_START = datetime(2026, 10, 29)
WINDOW_END = datetime(2026, 12, 3)

#: Derandomized so a run is reproducible; each example is one or two HTTP requests.
SETTINGS = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
PARTITION_SETTINGS = settings(SETTINGS, max_examples=20)


@dataclass(frozen=True)
class TimeArg:
    """An argument as the caller passes it, and the instant it means (None: omitted)."""

    value: Union[datetime, date, str, None]
    instant: Optional[datetime]
    kind: str

    def __repr__(self) -> str:  # shown by hypothesis on failure
        return f"TimeArg({self.kind}: {self.value!r} -> {self.instant})"


offsets = st.sampled_from(ODD_OFFSETS) | st.integers(
    min_value=-(23 * 60 + 59), max_value=23 * 60 + 59
)
walls = st.datetimes(min_value=WINDOW_START, max_value=WINDOW_END)


@st.composite
def time_args(draw: st.DrawFn, records: tuple[Any, ...]) -> TimeArg:
    """Every form of a time argument; instants sometimes exactly on a record's timestamp."""
    if draw(st.integers(0, 4)) == 0:
        instant = draw(st.sampled_from(records)).timestamp
        wall = None
    else:
        wall = draw(walls)
        instant = None
    kind = draw(
        st.sampled_from(
            [
                "aware",
                "aware-seconds-offset",
                "naive",
                "date",
                "str-offset",
                "str-offset-no-colon",
                "str-z",
                "str-naive",
                "str-date",
            ]
        )
    )
    minutes = draw(offsets)
    zone = tz(minutes)
    if kind == "aware-seconds-offset":
        zone = tz(minutes, draw(st.integers(1, 59)))
    if kind in ("naive", "str-naive", "str-z") or kind.endswith("date"):
        zone = UTC
    # the wall clock of the chosen instant in the chosen zone (or a random wall clock)
    local = instant.astimezone(zone).replace(tzinfo=None) if instant is not None else wall
    assert local is not None
    if kind.endswith("date"):
        day = local.date()
        meaning = datetime(day.year, day.month, day.day, tzinfo=UTC)
        return TimeArg(day if kind == "date" else day.isoformat(), meaning, kind)
    meaning = local.replace(tzinfo=zone).astimezone(UTC)
    if kind == "naive":
        return TimeArg(local, meaning, kind)
    if kind.startswith("aware"):
        return TimeArg(local.replace(tzinfo=zone), meaning, kind)
    text = local.isoformat()
    if kind == "str-naive":
        return TimeArg(text, meaning, kind)
    if kind == "str-z":
        return TimeArg(text + "Z", meaning, kind)
    sign = "-" if minutes < 0 else "+"
    hours, mins = divmod(abs(minutes), 60)
    colon = ":" if kind == "str-offset" else ""
    return TimeArg(f"{text}{sign}{hours:02d}{colon}{mins:02d}", meaning, kind)


def maybe_time_args(records: tuple[Any, ...]) -> st.SearchStrategy[TimeArg]:
    return st.just(TimeArg(None, None, "omitted")) | time_args(records)


scope_items = st.sampled_from(
    ["rule_type", "task", TokenUsageScope.RULE_TYPE, TokenUsageScope.TASK]
)
group_bys = st.none() | st.lists(scope_items, max_size=3) | st.tuples(scope_items)


@pytest.fixture(scope="module")
def module_api(spec_server: EngineServer) -> Iterator[UsageApi]:
    """One client for all examples (the pool is reused, as an application would)."""
    # The spec's server: omitted bounds get a range (its current day) that can be checked.
    with ApiClient(spec_server.configuration(retries=0)) as client:
        yield UsageApi(client)


def _scope_value(item: Any) -> str:
    return str(getattr(item, "value", item))


def test_any_valid_arguments_keep_their_meaning_on_the_wire(
    spec_server: EngineServer, module_api: UsageApi
) -> None:
    records = spec_server.records

    @SETTINGS
    @given(
        start=maybe_time_args(records),
        end=maybe_time_args(records),
        group_by=group_bys,
        ordered=st.booleans(),
    )
    def check(start: TimeArg, end: TimeArg, group_by: Any, ordered: bool) -> None:
        if ordered and start.instant and end.instant and start.instant > end.instant:
            start, end = end, start
        kwargs: dict[str, Any] = {}
        if start.value is not None:
            kwargs["start_time"] = start.value
        if end.value is not None:
            kwargs["end_time"] = end.value
        if group_by is not None:
            kwargs["group_by"] = group_by

        rows, received = call_tagged(
            spec_server, module_api.get_token_usage_api_v2_usage_tokens_get, **kwargs
        )

        assert received.status == 200
        # the instants: sent as RFC 3339 with an offset, parsed by FastAPI as the same instant
        for name, arg, parsed in (
            ("start_time", start, received.start_time),
            ("end_time", end, received.end_time),
        ):
            wire = query_values(received, name)
            if arg.instant is None:
                assert wire == [] and parsed is None
            else:
                [text] = wire
                assert assert_rfc3339(text) == arg.instant
                assert parsed == arg.instant
        # the scopes: repeated parameters in the caller's order; [] and None mean the default
        sent = [_scope_value(item) for item in group_by or ()]
        assert query_values(received, "group_by") == sent
        assert received.group_by == (sent or ["rule_type"])
        # the totals: the server's effective range (its defaults for omitted bounds)
        assert received.start is not None and received.end is not None
        if start.instant is not None:
            assert received.start == start.instant
        if end.instant is not None:
            assert received.end == end.instant
        assert rows_of(rows) == expected_rows(records, received.start, received.end, sent)
        for row in rows:
            c = row.count
            assert (c.user_input, c.prompt, c.completion) == (
                c.inference,
                c.eval_prompt,
                c.eval_completion,
            )

    check()


def test_totals_over_a_partition_add_up(spec_server: EngineServer, module_api: UsageApi) -> None:
    """Splitting a range at any instant (any offset) loses and double-counts nothing."""
    records = spec_server.records
    outer_start = datetime(2026, 11, 1, tzinfo=UTC)
    outer_end = datetime(2026, 12, 1, tzinfo=UTC)
    whole = module_api.get_token_usage_api_v2_usage_tokens_get(
        start_time=outer_start, end_time=outer_end, group_by=["task"]
    )
    assert rows_of(whole) == expected_rows(records, outer_start, outer_end, ["task"])

    @PARTITION_SETTINGS
    @given(
        cut=st.datetimes(
            min_value=datetime(2026, 11, 1, 15),
            max_value=datetime(2026, 11, 30, 9),
            timezones=st.sampled_from(ODD_OFFSETS).map(lambda m: timezone(timedelta(minutes=m))),
        )
        | st.sampled_from(records).map(lambda r: r.timestamp.astimezone(tz(5 * 60 + 45)))
    )
    def check(cut: datetime) -> None:
        call = module_api.get_token_usage_api_v2_usage_tokens_get
        left = call(start_time=outer_start, end_time=cut, group_by=["task"])
        right = call(start_time=cut, end_time=outer_end, group_by=["task"])
        totals: dict[Optional[str], list[int]] = {}
        for row in [*left, *right]:
            acc = totals.setdefault(row.task_id, [0, 0, 0])
            acc[0] += row.count.inference
            acc[1] += row.count.eval_prompt
            acc[2] += row.count.eval_completion
        assert sorted((task, *acc) for task, acc in totals.items()) == [
            (row.task_id, row.count.inference, row.count.eval_prompt, row.count.eval_completion)
            for row in sorted(whole, key=lambda r: r.task_id or "")
        ]

    check()
