"""The HTML report (``_generated.html_report``): chart geometry, escaping, size, totals.

The page is read back with the standard library's HTML parser, so the assertions are about
the elements a browser would build, not about substrings of the markup.
"""

from __future__ import annotations

import io
import itertools
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from html import unescape
from html.parser import HTMLParser
from pathlib import Path
from typing import Optional

import pytest

from _generated.html_report import CHART_SERIES, MAX_BARS, NAME_LIMIT, TABLE_ROWS, render_html
from _generated.reports import UsageReport, UsageRow, fetch_usage, split_windows
from _generated.testing import FakeUsageEngine, sample_records

UTC = timezone.utc
START = datetime(2026, 11, 1, tzinfo=UTC)
HOSTILE = (
    "<script>alert(1)</script>",
    '<img src=x onerror="window.__pwned=1">',
    "\"'><svg onload=alert(1)>",
    "a&amp;b</title><title>x",
    "</textarea>{{7*7}}<!--",
)


# -- building reports ---------------------------------------------------------------------


def make_report(
    rows: Sequence[tuple[int, Optional[str], Optional[str], int, int, int]],
    *,
    days: int = 3,
    group_by: Sequence[str] = ("rule_type",),
    host: str = "http://127.0.0.1:8123",
    missing: Sequence[int] = (),
    interval: Optional[str] = "day",
) -> UsageReport:
    """A report over ``days`` UTC days; a row is (window index, rule type, task, i, p, c)."""
    end = START + timedelta(days=days)
    windows = split_windows(START, end, interval, "UTC")
    return UsageReport(
        [
            UsageRow(windows[w].start, windows[w].end, rule, task, i, p, c)
            for w, rule, task, i, p, c in rows
        ],
        start=START,
        end=end,
        interval=interval,
        tz="UTC",
        group_by=group_by,
        host=host,
        generated_at=datetime(2026, 11, 20, 9, 30, tzinfo=UTC),
        windows=windows,
        missing=[windows[w] for w in missing],
    )


class Element:
    """One parsed start tag, its attributes and the text directly inside it."""

    def __init__(self, tag: str, attrs: dict[str, Optional[str]], parent: Optional[Element]):
        self.tag = tag
        self.attrs = attrs
        self.parent = parent
        self.children: list[Element] = []
        self.text = ""

    @property
    def classes(self) -> set[str]:
        return set((self.attrs.get("class") or "").split())

    def all_text(self) -> str:
        return self.text + "".join(child.all_text() for child in self.children)

    def find(self, tag: str) -> Optional[Element]:
        return next((child for child in self.children if child.tag == tag), None)


_VOID = {"meta", "link", "br", "hr", "img", "input", "col", "area", "base", "source", "wbr"}
_SVG_SELF_CLOSING = {"line", "rect", "path", "circle"}


class Page(HTMLParser):
    """A tiny DOM: every element in document order, with its text."""

    def __init__(self, markup: str) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {}, None)
        self.elements: list[Element] = []
        self._open = self.root
        self.comments: list[str] = []
        self.feed(markup)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, Optional[str]]]) -> None:
        element = Element(tag, dict(attrs), self._open)
        self._open.children.append(element)
        self.elements.append(element)
        if tag not in _VOID:
            self._open = element

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, Optional[str]]]) -> None:
        element = Element(tag, dict(attrs), self._open)
        self._open.children.append(element)
        self.elements.append(element)

    def handle_endtag(self, tag: str) -> None:
        node: Optional[Element] = self._open
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self._open = node.parent

    def handle_data(self, data: str) -> None:
        self._open.text += data

    def handle_comment(self, data: str) -> None:
        self.comments.append(data)

    def select(self, tag: str, cls: Optional[str] = None) -> list[Element]:
        return [e for e in self.elements if e.tag == tag and (cls is None or cls in e.classes)]

    def by_id(self, ident: str) -> Element:
        matches = [e for e in self.elements if e.attrs.get("id") == ident]
        assert len(matches) == 1, f"expected one element with id={ident!r}, got {len(matches)}"
        return matches[0]


def segments(page: Page) -> list[Element]:
    return page.select("rect", "seg")


def title_of(element: Element) -> str:
    title = element.find("title")
    assert title is not None, f"<{element.tag}> has no <title>"
    return title.all_text()


def num(text: str) -> int:
    return int(text.replace(",", "").strip())


# -- the chart ----------------------------------------------------------------------------

SMALL = [
    # window, rule type, task, inference, eval prompt, eval completion
    (0, "PIIDataRule", None, 1000, 200, 30),
    (0, "ToxicityRule", None, 400, 0, 0),
    (1, "PIIDataRule", None, 5000, 0, 0),
    (1, "RegexRule", None, 70, 0, 0),
    (2, "ToxicityRule", None, 2500, 1500, 100),
    (2, "RegexRule", None, 10, 0, 0),
]


def test_one_segment_per_window_and_series_with_proportional_heights() -> None:
    page = Page(render_html(make_report(SMALL)))
    svg = page.select("svg")[0]
    top = int(svg.attrs["data-top"] or 0)
    plot_height = float(svg.attrs["data-plot-height"] or 0)
    # Series are ordered by total: PIIDataRule 6230, ToxicityRule 4500, RegexRule 80.
    series = ["PIIDataRule", "ToxicityRule", "RegexRule"]
    expected: dict[tuple[int, str], int] = defaultdict(int)
    for w, rule, _, i, p, c in SMALL:
        expected[(w, rule or "")] += i + p + c

    drawn: dict[tuple[int, str], Element] = {}
    for segment in segments(page):
        key = (int(segment.attrs["data-bar"] or -1), series[int(segment.attrs["data-series"] or 0)])
        assert key not in drawn, f"two segments for {key}"
        drawn[key] = segment
    assert set(drawn) == set(expected)
    assert top >= max(sum(v for (w, _), v in expected.items() if w == b) for b in range(3))
    for key, segment in drawn.items():
        value = expected[key]
        assert int(segment.attrs["data-value"] or 0) == value
        height = float(segment.attrs["height"] or 0)
        assert height == pytest.approx(value * plot_height / top, abs=0.006), key
        # The exact number and the series are in the hover text.
        assert f"{value:,} tokens" in title_of(segment)
        assert key[1] in title_of(segment)
        # Each series has its own colour class.
        assert f"s{series.index(key[1])}" in segment.classes

    # Stacked: within a bar, each segment sits exactly on the previous one.
    for bar in range(3):
        column = sorted(
            (s for (b, _), s in drawn.items() if b == bar),
            key=lambda s: -float(s.attrs["y"] or 0),
        )
        bottom = float(column[0].attrs["y"] or 0) + float(column[0].attrs["height"] or 0)
        assert bottom == pytest.approx(float(svg.attrs["data-baseline"] or 0), abs=0.01)
        for lower, upper in itertools.pairwise(column):
            top_of_lower = float(lower.attrs["y"] or 0)
            bottom_of_upper = float(upper.attrs["y"] or 0) + float(upper.attrs["height"] or 0)
            assert bottom_of_upper == pytest.approx(top_of_lower, abs=0.011)


def test_a_segment_hover_shows_the_exact_counts_by_kind() -> None:
    page = Page(render_html(make_report(SMALL)))
    (segment,) = [
        s for s in segments(page) if s.attrs["data-bar"] == "0" and s.attrs["data-series"] == "0"
    ]
    title = title_of(segment)
    assert "PIIDataRule" in title and "2026-11-01" in title
    assert "1,230 tokens" in title
    assert "inference 1,000" in title and "eval prompt 200" in title
    assert "eval completion 30" in title


def test_top_series_plus_others_and_a_legend() -> None:
    rules = [f"Rule{n:02d}" for n in range(CHART_SERIES + 5)]
    # Rule00 is the largest; the last five go to "others".
    rows = [
        (w, rule, None, (100 - n) * 10 + w, 0, 0) for n, rule in enumerate(rules) for w in (0, 1)
    ]
    page = Page(render_html(make_report(rows, days=2)))
    drawn = segments(page)
    assert len(drawn) == 2 * (CHART_SERIES + 1)
    others = [s for s in drawn if f"s{CHART_SERIES}" in s.classes]
    assert len(others) == 2
    for segment in others:
        w = int(segment.attrs["data-bar"] or 0)
        expected = sum((100 - n) * 10 + w for n in range(CHART_SERIES, CHART_SERIES + 5))
        assert int(segment.attrs["data-value"] or 0) == expected
        assert f"{expected:,} tokens" in title_of(segment)
    legend = [li.all_text() for li in page.select("li")]
    assert len(legend) == CHART_SERIES + 1
    assert legend[0].startswith("Rule00")
    assert "others (5 rule types)" in legend[-1]


def test_series_are_tasks_when_not_grouped_by_rule_type() -> None:
    rows = [(0, None, "task-a", 5, 0, 0), (1, None, "task-b", 7, 0, 0)]
    html = render_html(make_report(rows, days=2, group_by=("task",)))
    page = Page(html)
    assert "by task" in page.by_id("chart-title").all_text()
    assert {title_of(s).split(" · ")[0] for s in segments(page)} == {"task-a", "task-b"}


def test_many_windows_are_merged_into_at_most_max_bars() -> None:
    days = 40  # 960 hourly windows
    rows = [(h, "PIIDataRule", None, h + 1, 1, 0) for h in range(days * 24)]
    page = Page(render_html(make_report(rows, days=days, interval="hour")))
    svg = page.select("svg")[0]
    bars = int(svg.attrs["data-bars"] or 0)
    per_bar = int(svg.attrs["data-per-bar"] or 0)
    assert bars <= MAX_BARS and bars * per_bar >= days * 24
    drawn = segments(page)
    assert len(drawn) == bars
    assert sum(int(s.attrs["data-value"] or 0) for s in drawn) == sum(h + 2 for h in range(960))
    assert f"each bar sums {per_bar} consecutive windows" in page.select("figcaption")[0].text
    # Axis labels are few enough not to overlap.
    labels = [t for t in page.select("text") if t.attrs.get("text-anchor") == "middle"]
    assert 2 <= len(labels) <= 12


def test_missing_windows_are_marked() -> None:
    page = Page(render_html(make_report(SMALL, missing=[1])))
    assert "1 of 3 windows could not be fetched" in page.select("p", "warn")[0].text
    (missing,) = page.select("rect", "miss")
    assert "not fetched" in title_of(missing)


def test_an_empty_report_says_so_and_draws_no_chart() -> None:
    page = Page(render_html(make_report([])))
    assert not page.select("svg")
    assert "No token usage in this period." in page.select("p", "empty")[0].text
    assert page.by_id("total-all").find("div") is not None
    assert "0" in page.by_id("total-all").all_text()


# -- totals, metadata, table --------------------------------------------------------------


def test_period_host_generation_time_and_totals_by_kind() -> None:
    report = make_report(SMALL, host="https://user:hunter2@engine.example.com/")
    page = Page(render_html(report))
    header = page.select("header")[0].all_text()
    assert "2026-11-01" in header and "2026-11-04" in header and "UTC" in header
    assert "https://engine.example.com/" in header
    assert "2026-11-20 09:30:00 UTC" in header
    html = render_html(report)
    assert "hunter2" not in html and "user:" not in html
    inference = sum(r[3] for r in SMALL)
    prompt = sum(r[4] for r in SMALL)
    completion = sum(r[5] for r in SMALL)
    for ident, value in (
        ("total-all", inference + prompt + completion),
        ("total-inference", inference),
        ("total-eval_prompt", prompt),
        ("total-eval_completion", completion),
    ):
        card = page.by_id(ident)
        values = [d for d in card.children if "v" in d.classes]
        assert num(values[0].text) == value, ident
    assert report.totals().overall.total == inference + prompt + completion


def test_table_lists_the_top_groups_by_total_then_one_others_row() -> None:
    n_groups = TABLE_ROWS + 37
    rows = [(g % 3, "PIIDataRule", f"task-{g:04d}", 10 * g + 1, g, 0) for g in range(n_groups)]
    page = Page(render_html(make_report(rows, group_by=("rule_type", "task"))))
    body = page.select("tbody")[0]
    trs = [tr for tr in body.children if tr.tag == "tr"]
    assert len(trs) == TABLE_ROWS + 1
    totals = [num(tr.children[-2].text) for tr in trs[:-1]]
    assert totals == sorted(totals, reverse=True)
    assert totals[0] == 11 * (n_groups - 1) + 1
    tasks = [tr.children[2].all_text() for tr in trs[:-1]]
    assert tasks[0] == f"task-{n_groups - 1:04d}"
    others = trs[-1]
    assert "others" in others.classes
    assert "37 more groups" in others.all_text()
    rest = range(37)  # the smallest groups
    assert num(others.children[-2].text) == sum(11 * g + 1 for g in rest)
    header = [th.all_text() for th in page.select("th")]
    assert header[1].startswith("rule type") and header[2].startswith("task")
    (sorted_by,) = [th for th in page.select("th") if th.attrs.get("aria-sort")]
    assert sorted_by.all_text().startswith("total")
    footer = page.select("tfoot")[0].all_text()
    assert f"{sum(11 * g + 1 for g in range(n_groups)):,}" in footer


# -- escaping and self-containment --------------------------------------------------------

ALLOWED_TAGS = {
    "html", "head", "meta", "link", "title", "style", "body", "header", "h1", "h2", "p",
    "span", "b", "section", "div", "figure", "figcaption", "svg", "desc", "line", "text",
    "rect", "ul", "li", "table", "thead", "tbody", "tfoot", "tr", "th", "td", "i", "footer",
    "code", "br",
}  # fmt: skip


def hostile_report() -> UsageReport:
    rows = [(n % 3, name, f"task {name}", 100 * (n + 1), 5, 1) for n, name in enumerate(HOSTILE)]
    rows.append((1, "PIIDataRule", "t", 50, 0, 0))
    return make_report(rows, group_by=("rule_type", "task"), host='http://x"><script>1</script>')


def test_hostile_names_are_text_everywhere() -> None:
    html = render_html(hostile_report())
    page = Page(html)
    assert {e.tag for e in page.elements} <= ALLOWED_TAGS
    assert not page.select("script") and not page.select("img") and not page.comments
    for element in page.elements:
        for name in element.attrs:
            assert not name.startswith("on"), f"<{element.tag} {name}=...>"
    cells = [td.all_text() for td in page.select("td", "name")]
    legend = [li.all_text() for li in page.select("li")]
    titles = [title_of(s) for s in segments(page)]
    for name in HOSTILE:
        assert name in cells, name
        assert any(name in item for item in legend), name
        assert any(title.startswith(f"{name} · ") for title in titles), name
        assert f"task {name}" in cells
    assert 'http://x"><script>1</script>' in page.select("header")[0].all_text()
    assert "<script" not in html.lower()


def test_the_page_loads_nothing_from_anywhere() -> None:
    html = render_html(hostile_report())
    page = Page(html)
    (csp,) = [m for m in page.select("meta") if m.attrs.get("http-equiv")]
    assert csp.attrs["content"] == "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
    for element in page.elements:
        for name in ("src", "href", "action", "srcset", "background", "xlink:href"):
            value = element.attrs.get(name)
            assert value is None or value.startswith("data:"), (element.tag, name, value)
    style = page.select("style")[0].text
    assert "url(" not in style and "@import" not in style and "@font-face" not in style
    # The only absolute URLs are the SVG namespace and the (text) host.
    urls = set(re.findall(r"https?://[^\s\"'<>]*", unescape(html)))
    assert urls <= {"http://www.w3.org/2000/svg", "http://x"}


def test_long_names_and_control_characters_are_tamed() -> None:
    long_name = "R" * (NAME_LIMIT * 50)
    weird = "tab\there\nnew\x00line\ud800"
    rows = [(0, long_name, None, 10, 0, 0), (1, weird, None, 5, 0, 0)]
    report = make_report(rows)
    html = render_html(report)
    assert long_name[: NAME_LIMIT * 5] not in html
    assert "R" * (NAME_LIMIT - 1) + "…" in html
    assert "\x00" not in html and "\ud800" not in html
    # The page can be written as UTF-8 even though the name cannot.
    buffer = io.BytesIO()
    report.to_html(buffer)
    assert buffer.getvalue().decode("utf-8") == html


# -- writing, size and speed --------------------------------------------------------------


def test_to_html_writes_a_path_and_a_text_file(tmp_path: Path) -> None:
    report = make_report(SMALL)
    target = tmp_path / "report.html"
    returned = report.to_html(target)
    assert target.read_text(encoding="utf-8") == returned
    text = io.StringIO()
    report.to_html(text)
    assert text.getvalue() == returned
    assert returned.startswith("<!DOCTYPE html>") and returned.rstrip().endswith("</html>")


def test_a_report_fetched_from_a_server_renders_its_numbers() -> None:
    with FakeUsageEngine(sample_records()) as engine, engine.api_client() as client:
        report = fetch_usage(client, "2026-11-01", "2026-11-08", interval="day")
    page = Page(render_html(report))
    assert num(page.by_id("total-all").children[1].text) == report.totals().overall.total
    by_bar: Counter[int] = Counter()
    for segment in segments(page):
        by_bar[int(segment.attrs["data-bar"] or 0)] += int(segment.attrs["data-value"] or 0)
    per_window = [counts.total for counts in report.totals().by_window.values()]
    assert [by_bar[b] for b in range(len(per_window))] == per_window
    assert report.host in page.select("header")[0].all_text()


def test_35000_groups_render_and_stay_small() -> None:
    n_groups = 35_000
    rows = [
        (g % 30, f"Rule{g % 12}", f"{g:08x}-4e6f-8a1b-9c2d-{g:012x}", 1000 + g % 977, g % 89, g % 7)
        for g in range(n_groups)
    ]
    rows += [(w, "PIIDataRule", f"{w:08x}-0000-0000-0000-000000000000", 5, 0, 0) for w in range(30)]
    report = make_report(rows, days=30, group_by=("rule_type", "task"))
    html = render_html(report)  # its speed is a benchmark (make bench), not a timed test
    size = len(html.encode("utf-8"))
    assert size < 2_000_000, f"{size:,} bytes"
    page = Page(html)
    assert len([tr for tr in page.select("tbody")[0].children if tr.tag == "tr"]) == TABLE_ROWS + 1
    assert f"{n_groups + 30 - TABLE_ROWS:,} more groups" in html
    assert num(page.by_id("total-all").children[1].text) == report.totals().overall.total


def test_long_hostile_names_in_every_bar_stay_under_2_mb() -> None:
    # The worst case per character: '"' is escaped to 6 bytes. 300 such names, each in every
    # one of MAX_BARS hourly windows, grouped by rule type and task.
    names = [f"{g:03d}" + '"' * NAME_LIMIT for g in range(300)]
    days = MAX_BARS // 24
    rows = [
        (w, name, name, 10**6 + g, 1, 1) for g, name in enumerate(names) for w in range(MAX_BARS)
    ]
    report = make_report(rows, days=days, interval="hour", group_by=("rule_type", "task"))
    html = render_html(report)
    size = len(html.encode("utf-8"))
    assert size < 2_000_000, f"{size:,} bytes"
    page = Page(html)
    assert len(segments(page)) == MAX_BARS * (CHART_SERIES + 1)
    assert names[-1][: NAME_LIMIT - 1] + "…" in [td.all_text() for td in page.select("td", "name")]
