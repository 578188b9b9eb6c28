"""The columnar core gives exactly what a straightforward computation over the rows gives,
and the lean parse path validates like the models do."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Optional
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_response_validation import invalid_bodies, valid_rows

from _generated import ApiClient, UsageApi
from _generated.exceptions import ResponseValidationError
from _generated.reports import COLUMNS, Counts, GroupKey, UsageReport, UsageRow, Window, fetch_usage
from _generated.testing import FakeUsageEngine, Fault

UTC = timezone.utc
BASE = datetime(2026, 11, 1, tzinfo=UTC)
GRID = [Window(BASE + timedelta(days=i), BASE + timedelta(days=i + 1)) for i in range(4)]
NAMES = st.one_of(st.none(), st.sampled_from(["RegexRule", "Toxicity,Rule", 'q"uote', "a\nb", "Ü"]))


def none_last(value: Optional[str]) -> tuple[bool, str]:
    return (value is None, value or "")


def reference_rows(rows: list[UsageRow]) -> list[UsageRow]:
    """Window order, then rule type, then task id (None last); equal keys keep their order."""
    position = {w.start: i for i, w in enumerate(GRID)}
    return sorted(
        rows,
        key=lambda r: (position[r.window_start], none_last(r.rule_type), none_last(r.task_id)),
    )


def reference_totals(rows: list[UsageRow]) -> tuple[Counts, dict[GroupKey, Counts], list[Counts]]:
    overall = [0, 0, 0]
    groups: dict[GroupKey, list[int]] = {}
    windows = [[0, 0, 0] for _ in GRID]
    for r in rows:
        values = (r.inference, r.eval_prompt, r.eval_completion)
        cell = groups.setdefault(GroupKey(r.rule_type, r.task_id), [0, 0, 0])
        window = windows[[w.start for w in GRID].index(r.window_start)]
        for i, value in enumerate(values):
            overall[i] += value
            cell[i] += value
            window[i] += value
    return (
        Counts(*overall),
        {key: Counts(*cell) for key, cell in groups.items()},
        [Counts(*cell) for cell in windows],
    )


ROWS = st.lists(
    st.builds(
        lambda w, rule, task, a, b, c: UsageRow(GRID[w].start, GRID[w].end, rule, task, a, b, c),
        st.integers(0, len(GRID) - 1),
        NAMES,
        NAMES,
        st.integers(0, 10**12),
        st.integers(0, 10**9),
        st.integers(0, 10**9),
    ),
    max_size=40,
)


def report_of(rows: list[UsageRow]) -> UsageReport:
    return UsageReport(
        rows,
        start=GRID[0].start,
        end=GRID[-1].end,
        interval="day",
        tz="UTC",
        group_by=("rule_type", "task"),
        host="http://127.0.0.1:9",
        generated_at=BASE,
        windows=GRID,
    )


@settings(max_examples=200, deadline=None)
@given(rows=ROWS)
def test_columns_give_the_rows_totals_pivot_and_exports_of_a_plain_computation(
    rows: list[UsageRow],
) -> None:
    report = report_of(rows)
    expected = reference_rows(rows)
    assert report.rows == expected
    assert len(report) == len(rows)

    overall, by_group, by_window = reference_totals(rows)
    totals = report.totals()
    assert totals.overall == overall
    assert totals.by_group == by_group
    assert list(totals.by_group) == sorted(
        by_group, key=lambda k: (-by_group[k].total, none_last(k.rule_type), none_last(k.task_id))
    )
    assert list(totals.by_window.values()) == by_window

    for measure in ("inference", "eval_prompt", "eval_completion", "total"):
        pivot = report.pivot(measure)  # type: ignore[arg-type]
        assert pivot.groups == list(totals.by_group)
        for key in pivot.groups:
            assert pivot.row(key) == [
                sum(
                    r.counts.get(measure)
                    for r in rows
                    if r.group == key and r.window_start == w.start
                )  # type: ignore[arg-type]
                for w in GRID
            ]

    parsed = list(csv.reader(io.StringIO(report.to_csv(), newline="")))
    assert tuple(parsed[0]) == COLUMNS
    assert [
        (line[2] or None, line[3] or None, int(line[4]), int(line[5]), int(line[6]), int(line[7]))
        for line in parsed[1:]
    ] == [
        (r.rule_type, r.task_id, r.inference, r.eval_prompt, r.eval_completion, r.total)
        for r in expected
    ]
    assert [json.loads(line) for line in report.to_ndjson().splitlines()] == [
        r.to_dict() for r in expected
    ]
    assert report.to_ndjson() == "".join(json.dumps(r.to_dict()) + "\n" for r in expected)


def test_a_name_with_a_carriage_return_is_quoted_so_csv_reads_back_one_row() -> None:
    row = UsageRow(GRID[0].start, GRID[0].end, "bad\rname", None, 1, 2, 3)
    parsed = list(csv.reader(io.StringIO(report_of([row]).to_csv(), newline="")))
    assert len(parsed) == 2 and parsed[1][2] == "bad\rname"


# -- the lean parse path ------------------------------------------------------------------


def row_json(
    rule: Optional[str], task: Optional[str], *counts: int, **extra: Any
) -> dict[str, Any]:
    count = dict(zip(("inference", "eval_prompt", "eval_completion"), counts, strict=True))
    return {"rule_type": rule, "task_id": task, "count": count, **extra}


def test_unknown_fields_and_missing_deprecated_counts_are_fine(
    fake_engine: FakeUsageEngine,
) -> None:
    body = [
        row_json("RegexRule", None, 1, 2, 3, new_field={"nested": True}),
        {"count": {"inference": 4, "eval_prompt": 5, "eval_completion": 6, "later": 1}},
    ]
    fake_engine.inject(Fault.body(json.dumps(body)))
    with fake_engine.api_client() as client:
        report = fetch_usage(client, "2026-11-01", "2026-11-02")
    assert [(r.rule_type, r.task_id, r.counts) for r in report] == [
        ("RegexRule", None, Counts(1, 2, 3)),
        (None, None, Counts(4, 5, 6)),
    ]


def test_windows_answered_with_the_same_groups_in_the_same_order_or_not_give_their_rows(
    fake_engine: FakeUsageEngine,
) -> None:
    # The second window repeats the first one's groups in order (the parser reuses the
    # group numbers); the third differs in its last group only and the fourth in order.
    a, b, c, d = ("R1", "t-1"), ("R1", None), (None, "t-1"), ("R2", "t-2")
    layouts = [[a, b, c], [a, b, c], [a, b, d], [b, a, d]]
    expected = []
    for day, layout in enumerate(layouts):
        body = [row_json(*key, 10 * day + i, day, i) for i, key in enumerate(layout)]
        fake_engine.inject(Fault.body(json.dumps(body)))
        window = GRID[day]
        expected += [
            UsageRow(window.start, window.end, key[0], key[1], 10 * day + i, day, i)
            for i, key in enumerate(layout)
        ]
    with fake_engine.api_client() as client:
        report = fetch_usage(
            client, GRID[0].start, GRID[-1].end, ["rule_type", "task"], "day", workers=1
        )
    assert list(report) == reference_rows(expected)
    assert report.totals().by_group == reference_totals(expected)[1]


@settings(max_examples=300, deadline=None)
@given(
    body=st.one_of(
        st.lists(valid_rows, max_size=4).map(json.dumps),
        invalid_bodies().map(lambda kind_and_text: kind_and_text[1]),
    )
)
def test_the_flat_row_shape_accepts_exactly_the_bodies_of_the_nested_one(body: str) -> None:
    # Reports validate into flat rows (nothing for the garbage collector to track); the
    # nested shape, which mirrors the models, stays the reference, and gives the errors.
    from pydantic import ValidationError

    from _generated.reports.parse import _flat_adapter, _nested_adapter

    try:
        nested = _nested_adapter().validate_json(body)
    except ValidationError:
        with pytest.raises(ValidationError):
            _flat_adapter().validate_json(body)
        return
    flat = _flat_adapter().validate_json(body)
    measures = ("inference", "eval_prompt", "eval_completion")
    assert [(r.get("rule_type"), r.get("task_id"), *map(r.get, measures)) for r in flat] == [
        (r.get("rule_type"), r.get("task_id"), *map(r["count"].get, measures)) for r in nested
    ]


BAD_BODIES = [
    pytest.param(Fault.body("<html>login</html>", content_type="text/html"), id="html"),
    pytest.param(Fault.body("[{"), id="not-json"),
    pytest.param(Fault.body('{"rows": []}'), id="object"),
    pytest.param(Fault.body('[{"rule_type": "X", "task_id": null}]'), id="no-count"),
    pytest.param(
        Fault.body('[{"count": {"inference": "5", "eval_prompt": 0, "eval_completion": 0}}]'),
        id="string-count",
    ),
    pytest.param(
        Fault.body(
            '[{"rule_type": 7, "count": {"inference": 1, "eval_prompt": 0, "eval_completion": 0}}]'
        ),
        id="number-name",
    ),
    pytest.param(
        Fault.body('[{"count": {"inference": 1e99, "eval_prompt": 0, "eval_completion": 0}}]'),
        id="float-count",
    ),
    pytest.param(
        Fault.body(
            '[{"count": {"inference": 99999999999999999999, "eval_prompt": 0, '
            '"eval_completion": 0}}]'
        ),
        id="huge-count",
    ),
]


@pytest.mark.parametrize("fault", BAD_BODIES)
def test_a_bad_body_is_a_response_validation_error_like_the_models_give(
    fake_engine: FakeUsageEngine, fault: Fault
) -> None:
    with fake_engine.api_client(retries=0) as client:
        fake_engine.inject(fault)
        with pytest.raises(ResponseValidationError) as by_report:
            fetch_usage(client, "2026-11-01", "2026-11-02")
        fake_engine.inject(fault)
        try:
            UsageApi(client).get_token_usage_api_v2_usage_tokens_get(
                start_time="2026-11-01T00:00:00Z", end_time="2026-11-02T00:00:00Z"
            )
        except ResponseValidationError as by_model:
            assert by_report.value.status == by_model.status == 200
        else:
            # Only the 64-bit bound is the report's own: Python ints have none.
            assert "64 bits" in by_report.value.detail
    assert by_report.value.body


@pytest.mark.parametrize("hook", ["call_api", "response_deserialize"])
def test_every_window_passes_the_client_hooks(fake_engine: FakeUsageEngine, hook: str) -> None:
    original = getattr(ApiClient, hook)
    with (
        fake_engine.api_client() as client,
        mock.patch.object(ApiClient, hook, autospec=True, side_effect=original) as seen,
    ):
        report = fetch_usage(client, "2026-11-01", "2026-11-06", interval="day")
    # call_count += 1 is not atomic across the worker threads; the list append is.
    assert len(seen.call_args_list) == len(report.windows) == 5


def test_a_usage_api_subclass_overriding_the_parsed_method_is_honoured(
    fake_engine: FakeUsageEngine,
) -> None:
    calls: list[dict[str, Any]] = []

    class Recording(UsageApi):
        def get_token_usage_api_v2_usage_tokens_get(self, *args: Any, **kwargs: Any) -> Any:
            calls.append(kwargs)
            return super().get_token_usage_api_v2_usage_tokens_get(*args, **kwargs)

    with fake_engine.api_client() as client:
        lean = fetch_usage(client, "2026-11-01", "2026-11-04", ["task"], "day")
        models = fetch_usage(Recording(client), "2026-11-01", "2026-11-04", ["task"], "day")
    assert len(calls) == 3
    assert models.rows == lean.rows and models.totals() == lean.totals()


def test_the_formula_guard_neutralises_what_a_spreadsheet_would_run(tmp_path: Path) -> None:
    hostile = ['=HYPERLINK("http://x")', "+1", "-2", "@SUM(A1)", "\tTab", "\rCR", "fine", ""]
    rows = [UsageRow(GRID[0].start, GRID[0].end, name, None, 1, 0, 0) for name in hostile]
    report = report_of(rows)
    raw = list(csv.reader(io.StringIO(report.to_csv(), newline="")))
    assert sorted(line[2] for line in raw[1:]) == sorted(hostile)
    guarded = list(csv.reader(io.StringIO(report.to_csv(formula_guard=True), newline="")))
    assert sorted(line[2] for line in guarded[1:]) == sorted(
        "'" + name if name[:1] in "=+-@\t\r" and name else name for name in hostile
    )
    report.write_csv(tmp_path / "g.csv", formula_guard=True)
    assert (tmp_path / "g.csv").read_bytes().decode() == report.to_csv(formula_guard=True)


def test_the_table_escapes_control_characters_and_aligns_wide_names() -> None:
    from _generated._textsafety import display_width

    names = [
        "\x1b]0;pwned\x07Title",
        "\x1b[31mRed",
        "two\nlines",
        "日本語のルール",
        "plain",
        "rtl\u202eevil",
    ]
    rows = [UsageRow(GRID[0].start, GRID[0].end, n, None, 10**i, 0, 0) for i, n in enumerate(names)]
    report = UsageReport(
        rows,
        start=GRID[0].start,
        end=GRID[0].end,
        interval="day",
        tz="UTC",
        group_by=("rule_type",),
        host="",
        generated_at=BASE,
        windows=GRID[:1],
    )
    table = report.to_table(width=80)
    assert not any(ch in table for ch in "\x1b\x07\r\u202e")
    lines = table.splitlines()
    body = [line for line in lines if line.startswith("2026-11-01")]
    assert len(body) == len(names)  # no row broken in two
    assert "\\x1b]0;" in table and "two\\nlines" in table
    assert max(display_width(line) for line in lines) <= 80
    # The totals column ends at the same terminal column on every row, wide names or not.
    assert len({display_width(line) for line in body}) == 1


def test_a_body_cut_off_mid_way_is_retried(fake_engine: FakeUsageEngine) -> None:
    fake_engine.inject(Fault.truncate())
    with fake_engine.api_client() as client:
        report = fetch_usage(client, "2026-11-01", "2026-11-02", ["task"])
        fake_engine.clear()
        again = fetch_usage(client, "2026-11-01", "2026-11-02", ["task"])
    assert report.complete and report.rows == again.rows and len(report) > 0


# Segments as the fetchers make them: several windows sharing a layout (the same groups in
# the same order), some with another layout, a window given twice, counts near 2**63 (sums
# beyond 64 bits), groups repeated within a segment.
KEYS = st.tuples(NAMES, NAMES)
SEGMENT = st.tuples(
    st.integers(0, len(GRID) - 1),
    st.lists(
        st.tuples(
            KEYS,
            st.integers(0, 2**63 - 1) | st.integers(0, 10**6),
            st.integers(0, 10**6),
            st.integers(0, 2**63 - 1) | st.integers(0, 10**6),
        ),
        max_size=8,
    ),
    st.integers(1, 3),
)


@settings(max_examples=200, deadline=None)
@given(segments=st.lists(SEGMENT, max_size=6))
def test_totals_and_pivots_of_segments_sharing_layouts_are_a_plain_computation(
    segments: list[tuple[int, list[Any], int]],
) -> None:
    from _generated.reports.store import GroupTable, columns_of

    table = GroupTable()
    parts = []
    rows: list[UsageRow] = []
    for window_index, items, copies in segments:
        # ``copies`` windows with the same layout (the same groups, in the same order).
        for copy in range(copies):
            window = GRID[(window_index + copy) % len(GRID)]
            parts.append(
                columns_of(
                    window,
                    table,
                    [key for key, *_ in items],
                    [a for _, a, _, _ in items],
                    [b for _, _, b, _ in items],
                    [c for _, _, _, c in items],
                )
            )
            rows.extend(UsageRow(window.start, window.end, *key, a, b, c) for key, a, b, c in items)
    report = UsageReport.from_columns(
        table,
        parts,
        start=GRID[0].start,
        end=GRID[-1].end,
        interval="day",
        tz="UTC",
        group_by=("rule_type", "task"),
        host="http://127.0.0.1:9",
        generated_at=BASE,
        windows=GRID,
    )
    overall, by_group, by_window = reference_totals(rows)
    totals = report.totals()
    assert totals.overall == overall
    assert totals.by_group == by_group
    assert list(totals.by_group) == sorted(
        by_group, key=lambda k: (-by_group[k].total, none_last(k.rule_type), none_last(k.task_id))
    )
    assert list(totals.by_window.values()) == by_window
    for measure in ("inference", "eval_prompt", "eval_completion", "total"):
        pivot = report.pivot(measure)  # type: ignore[arg-type]
        assert pivot.groups == list(totals.by_group)
        assert pivot.values == [
            [
                sum(
                    r.counts.get(measure)  # type: ignore[arg-type]
                    for r in rows
                    if r.group == key and r.window_start == w.start
                )
                for w in GRID
            ]
            for key in pivot.groups
        ]
