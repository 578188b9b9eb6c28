"""``_generated._textsafety``: server strings made safe for terminals, tables and CSV."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from _generated._textsafety import (
    csv_field,
    csv_row,
    display_width,
    escape_control,
    fit,
    html_text,
    neutralise_formula,
    pad,
)


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("PIIDataRule", "PIIDataRule"),
        ("\x1b]0;pwned\x07Rule", "\\x1b]0;pwned\\x07Rule"),
        ("\x1b[31mred", "\\x1b[31mred"),
        ("two\nlines\r\tand tab", "two\\nlines\\r\\tand tab"),
        ("bidi\u202eevil", "bidi\\u202eevil"),
        ("line\u2028sep", "line\\u2028sep"),
        ("c1\x9bcsi", "c1\\x9bcsi"),
        ("規則 ok é", "規則 ok é"),
    ],
)
def test_control_characters_are_shown_as_escapes(raw: str, shown: str) -> None:
    assert escape_control(raw) == shown


@given(st.text())
def test_escaped_text_has_no_control_characters(text: str) -> None:
    import unicodedata

    escaped = escape_control(text)
    assert all(unicodedata.category(c) not in ("Cc", "Cf", "Zl", "Zp") for c in escaped)


def test_display_width_counts_wide_characters_twice() -> None:
    assert display_width("abc") == 3
    assert display_width("規則") == 4
    assert display_width("\uff46\uff55\uff4c\uff4c") == 8  # full-width forms
    assert display_width("e\u0301") == 1  # a combining accent takes no column


def test_fit_and_pad_work_in_display_columns() -> None:
    assert fit("規則規則規則", 7) == "規則..."
    assert display_width(fit("規則規則規則", 7)) <= 7
    assert fit("short", 10) == "short"
    assert pad("規則", 6) == "規則  "
    assert pad("12", 4, right=True) == "  12"


@pytest.mark.parametrize("first", ["=", "+", "-", "@", "\t", "\r"])
def test_formula_cells_get_a_leading_apostrophe(first: str) -> None:
    assert neutralise_formula(first + "HYPERLINK(1)") == "'" + first + "HYPERLINK(1)"
    assert csv_field(first + "1", raw=True).strip('"') == first + "1"


def test_numbers_are_never_neutralised() -> None:
    assert csv_field(-5) == "-5"
    assert csv_field(Decimal("-1.50")) == "-1.50"
    assert csv_field(None) == ""


@given(st.lists(st.one_of(st.text(), st.integers(), st.none()), min_size=1, max_size=6))
def test_csv_rows_read_back_as_one_record(values: list[object]) -> None:
    line = csv_row(values, raw=True)  # type: ignore[arg-type]
    (record,) = list(csv.reader(io.StringIO(line, newline="")))
    assert record == ["" if v is None else str(v) for v in values]


def test_a_bare_carriage_return_is_quoted() -> None:
    assert csv_field("a\rb") == '"a\rb"'
    assert csv_field('say "hi", ok') == '"say ""hi"", ok"'


def test_html_text_escapes_markup_and_shows_controls() -> None:
    assert html_text("<script>\x1b</script>") == "&lt;script&gt;\\x1b&lt;/script&gt;"
