"""Server names with bidi overrides, zero-width or separator characters on the HTML page.

End to end: the fake engine serves the name, ``genai-usage tokens -o page.html`` writes the
page, and no character that can reorder or hide text reaches it.
"""

from __future__ import annotations

import sys
import unicodedata
from datetime import datetime, timezone
from pathlib import Path

import pytest

from _generated.reports.html.text import display_name
from _generated.testing import FakeUsageEngine, UsageRecord

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "cli"))
from cli_helpers import engine_env, run_cli

DAY = ["--since", "2026-11-03", "--until", "2026-11-04"]
#: Categories that must never reach the page raw (the markup's own newlines aside).
UNSAFE = {"Cc", "Cf", "Zl", "Zp", "Cn", "Cs"}
NAMES = ("bidi\u202eevil", "zero\u200bwidth", "line\u2028sep", "para\u2029sep", "bom\ufeffx")


def unsafe_in(page: str) -> set[str]:
    return {f"U+{ord(c):04X}" for c in page if c != "\n" and unicodedata.category(c) in UNSAFE}


@pytest.mark.parametrize(
    "extra",
    [
        [],
        ["--group-by", "rule_type", "--compare", "previous"],
        ["--group-by", "rule_type", "--price", "inference=2.50/1M"],
    ],
    ids=["page", "compare", "cost"],
)
def test_no_bidi_or_format_character_reaches_the_page(tmp_path: Path, extra: list[str]) -> None:
    at = datetime(2026, 11, 3, 10, tzinfo=timezone.utc)
    records = [UsageRecord(at, "t", name, 18, 5, 1) for name in NAMES]
    target = tmp_path / "page.html"
    with FakeUsageEngine(records) as engine:
        result = run_cli("tokens", *DAY, *extra, "-o", str(target), env=engine_env(engine))
    assert result.returncode == 0, result.stderr
    page = target.read_text(encoding="utf-8")
    assert unsafe_in(page) == set()
    # The legend and the hover titles show the name with U+FFFD in place of the override.
    assert "bidi\ufffdevil <span" in page
    assert "<title>bidi\ufffdevil · 2026-11-03" in page


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("bidi\u202eevil", "bidi\ufffdevil"),
        ("zero\u200bwidth", "zero\ufffdwidth"),
        ("a\u2028b\u2029c", "a\ufffdb\ufffdc"),
        ("nul\x00del\x7fc1\x9b", "nul\ufffddel\ufffdc1\ufffd"),
        ("lone\ud800", "lone\ufffd"),
        ("規則 ok é\u00a0", "規則 ok é\u00a0"),
    ],
)
def test_display_name_replaces_every_unsafe_character(raw: str, shown: str) -> None:
    assert display_name(raw) == shown
