"""The HTML report in a real browser: headless Chromium opens it from file:// while offline.

Checks what only a browser can tell: the page makes no request but its own, logs no error,
runs nothing a hostile rule type smuggles in, shows the chart and the totals, follows the
dark colour scheme and fits A4 when printed. It also writes the screenshot shown in the
README (``docs/img/report.png``).

Needs the Debian packages ``chromium`` and ``chromium-driver`` (``.ci/run`` installs them);
skipped with the reason when they are missing.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from _generated.reports import UsageReport, UsageRow, fetch_usage
from _generated.testing import FakeUsageEngine, sample_records

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOT = ROOT / "docs" / "img" / "report.png"
HOSTILE_SCRIPT = "<script>alert(1)</script>"
HOSTILE_IMG = '<img src=x onerror="window.__pwned=1">'
# A4 minus the page's 12 mm margins, in CSS pixels (96 per inch): 186 mm.
A4_CONTENT_WIDTH = 703
A4_POINTS = (595, 842)
PAGE_LOAD_TIMEOUT = 20


def _find(path: str, name: str) -> str | None:
    return path if Path(path).exists() else shutil.which(name)


@dataclass
class Loaded:
    """What happened while a page loaded: the URLs requested and the console's errors."""

    url: str
    requests: list[str]
    errors: list[str]


class Browser:
    """A headless Chromium with the network switched off and its logs at hand."""

    def __init__(self, driver: Any) -> None:
        self.driver = driver

    def load(self, path: Path) -> Loaded:
        self._drain()
        url = path.resolve().as_uri()
        self.driver.get(url)
        requests: list[str] = []
        for entry in self.driver.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            if message["method"] == "Network.requestWillBeSent":
                requests.append(message["params"]["request"]["url"])
            elif message["method"] == "Network.webSocketCreated":
                requests.append(message["params"]["url"])
        errors = [
            entry["message"]
            for entry in self.driver.get_log("browser")
            if entry["level"] in ("SEVERE", "ERROR")
        ]
        return Loaded(url, requests, errors)

    def js(self, script: str, *args: Any) -> Any:
        return self.driver.execute_script(script, *args)

    def cdp(self, command: str, params: dict[str, Any] | None = None) -> Any:
        return self.driver.execute_cdp_cmd(command, params or {})

    def scheme(self, scheme: str, *, media: str = "") -> None:
        self.cdp(
            "Emulation.setEmulatedMedia",
            {"media": media, "features": [{"name": "prefers-color-scheme", "value": scheme}]},
        )

    def _drain(self) -> None:
        self.driver.get_log("performance")
        self.driver.get_log("browser")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    chromium = _find("/usr/bin/chromium", "chromium")
    chromedriver = _find("/usr/bin/chromedriver", "chromedriver")
    if chromium is None or chromedriver is None:
        found = (("chromium", chromium), ("chromedriver", chromedriver))
        missing = [name for name, path in found if path is None]
        pytest.skip(
            f"headless Chromium is not installed ({' and '.join(missing)} not found): "
            "apt-get install chromium chromium-driver (.ci/run does this)"
        )
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.options import Options
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        pytest.skip("selenium is not installed: pip install -e '.[dev]'")

    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        options = Options()
        for argument in (
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--hide-scrollbars",
            "--force-device-scale-factor=1",
            "--window-size=1280,1400",
            f"--user-data-dir={profile}",
        ):
            options.add_argument(argument)
        options.binary_location = chromium
        options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
        # Chromium does not start under libfaketime (make test-calendar); the page it renders
        # does not depend on the date, so the browser runs on the real clock.
        env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD" and "FAKETIME" not in k}
        driver = webdriver.Chrome(options=options, service=Service(chromedriver, env=env))
        try:
            driver.set_page_load_timeout(PAGE_LOAD_TIMEOUT)
            driver.set_script_timeout(PAGE_LOAD_TIMEOUT)
            session = Browser(driver)
            session.cdp("Network.enable")
            session.cdp(
                "Network.emulateNetworkConditions",
                {"offline": True, "latency": 0, "downloadThroughput": 0, "uploadThroughput": 0},
            )
            yield session
        finally:
            driver.quit()


@pytest.fixture(autouse=True)
def _light_and_wide(browser: Browser) -> Iterator[None]:
    browser.scheme("light")
    yield
    browser.cdp("Emulation.setEmulatedMedia", {"media": "", "features": []})
    browser.cdp("Emulation.clearDeviceMetricsOverride")


@pytest.fixture(scope="module")
def demo_report() -> UsageReport:
    """The demo data, daily for two weeks by rule type, plus two hostile rule types."""
    with FakeUsageEngine(sample_records()) as engine, engine.api_client() as client:
        fetched = fetch_usage(
            client, "2026-11-01", "2026-11-15", interval="day", group_by="rule_type"
        )
    windows = fetched.windows
    hostile = [
        UsageRow(windows[3].start, windows[3].end, HOSTILE_SCRIPT, None, 4000, 1200, 120),
        UsageRow(windows[9].start, windows[9].end, HOSTILE_IMG, None, 6000, 900, 80),
    ]
    # A fixed host and time: the screenshot in docs changes only when the page does.
    return UsageReport(
        [*fetched.rows, *hostile],
        start=fetched.start,
        end=fetched.end,
        interval=fetched.interval,
        tz=fetched.tz,
        group_by=fetched.group_by,
        host="https://genai-engine.example.com",
        generated_at=datetime(2026, 11, 15, 8, 30, tzinfo=timezone.utc),
        windows=windows,
    )


@pytest.fixture(scope="module")
def report_file(demo_report: UsageReport, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("html") / "report.html"
    demo_report.to_html(path)
    return path


def test_the_detectors_catch_a_request_an_error_and_a_script(
    browser: Browser, tmp_path: Path
) -> None:
    """Control: a page that does what the report must not do is caught by every check."""
    control = tmp_path / "control.html"
    control.write_text(
        '<!DOCTYPE html><title>control</title><img src="http://127.0.0.1:9/pixel.png" '
        'onerror="window.__pwned=1">',
        encoding="utf-8",
    )
    loaded = browser.load(control)
    assert "http://127.0.0.1:9/pixel.png" in loaded.requests
    assert loaded.errors, "the failed request should have been logged as an error"
    assert browser.js("return window.__pwned") == 1


def test_offline_no_requests_no_errors_no_script(browser: Browser, report_file: Path) -> None:
    from selenium.common.exceptions import NoAlertPresentException

    loaded = browser.load(report_file)
    assert set(loaded.requests) <= {loaded.url}, loaded.requests
    assert loaded.errors == []
    with pytest.raises(NoAlertPresentException):
        browser.driver.switch_to.alert  # noqa: B018 -- the property raises when there is none
    assert browser.js("return window.__pwned === undefined") is True
    assert browser.js("return document.scripts.length") == 0
    assert browser.js("return document.images.length") == 0
    # Nothing in the page may carry an event handler attribute.
    handlers = browser.js(
        "return Array.from(document.querySelectorAll('*')).flatMap(e => "
        "Array.from(e.attributes).filter(a => a.name.startsWith('on')).map(a => a.name))"
    )
    assert handlers == []


def test_hostile_rule_types_show_as_text(browser: Browser, report_file: Path) -> None:
    from selenium.webdriver.common.by import By

    browser.load(report_file)
    cells = {cell.text: cell for cell in browser.driver.find_elements(By.CSS_SELECTOR, "td.name")}
    for name in (HOSTILE_SCRIPT, HOSTILE_IMG):
        assert name in cells, f"{name!r} not shown; cells: {sorted(cells)}"
        assert cells[name].is_displayed()
        assert any(name in item.text for item in browser.driver.find_elements(By.TAG_NAME, "li"))


def test_chart_and_totals_are_visible(
    browser: Browser, report_file: Path, demo_report: UsageReport
) -> None:
    from selenium.webdriver.common.by import By

    browser.load(report_file)
    driver = browser.driver
    total = driver.find_element(By.CSS_SELECTOR, "#total-all .v")
    assert total.is_displayed()
    assert total.text == f"{demo_report.totals().overall.total:,}"
    for kind in ("inference", "eval_prompt", "eval_completion"):
        card = driver.find_element(By.CSS_SELECTOR, f"#total-{kind} .v")
        assert card.text == f"{demo_report.totals().overall.get(kind):,}"

    chart = driver.find_element(By.TAG_NAME, "svg")
    assert chart.is_displayed()
    assert chart.size["width"] > 900 and chart.size["height"] > 250
    pivot = demo_report.pivot()
    expected = sum(1 for row in pivot.values for value in row if value > 0)
    segments = driver.find_elements(By.CSS_SELECTOR, "rect.seg")
    assert len(segments) == expected
    # The tallest segment is painted where it is said to be (not hidden or covered)...
    tallest = max(segments, key=lambda s: float(s.get_attribute("height") or 0))
    hit = browser.js(
        "const r = arguments[0].getBoundingClientRect();"
        "return document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2) === arguments[0]",
        tallest,
    )
    assert hit is True
    # ... and its hover text holds the exact numbers.
    hover = browser.js("return arguments[0].querySelector('title').textContent", tallest)
    assert f"{int(tallest.get_attribute('data-value') or 0):,} tokens" in hover
    assert re.search(r"inference [\d,]+ · eval prompt [\d,]+ · eval completion [\d,]+", hover)

    # The screenshot for the README: the whole page at 1280 px.
    height = browser.js("return Math.ceil(document.body.getBoundingClientRect().bottom)")
    browser.cdp(
        "Emulation.setDeviceMetricsOverride",
        {"width": 1280, "height": min(int(height), 4000), "deviceScaleFactor": 1, "mobile": False},
    )
    png = base64.b64decode(browser.cdp("Page.captureScreenshot", {"format": "png"})["data"])
    assert png.startswith(b"\x89PNG") and len(png) > 20_000
    # Only on request: a test run must not change the checkout (pixels differ between runs).
    if os.environ.get("UPDATE_SCREENSHOT") == "1":
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        SCREENSHOT.write_bytes(png)


def _luminance(css_colour: str) -> float:
    red, green, blue = (int(v) / 255 for v in re.findall(r"\d+", css_colour)[:3])
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def test_light_and_dark_colour_schemes(browser: Browser, report_file: Path) -> None:
    browser.load(report_file)
    styles = (
        "const b = getComputedStyle(document.body);"
        "const s = getComputedStyle(document.querySelector('rect.seg'));"
        "const t = getComputedStyle(document.querySelector('td.name'));"
        "return [b.backgroundColor, b.color, s.fill, t.color]"
    )
    light = browser.js(styles)
    assert _luminance(light[0]) > 0.9 and _luminance(light[1]) < 0.2
    assert _luminance(light[3]) < 0.2
    browser.scheme("dark")
    dark = browser.js(styles)
    assert _luminance(dark[0]) < 0.1 and _luminance(dark[1]) > 0.8
    assert _luminance(dark[3]) > 0.8
    assert dark[2] != light[2], "series colours should adapt to the dark background"


def test_prints_on_a4(browser: Browser, report_file: Path) -> None:
    browser.load(report_file)
    # Printed (even from a dark-mode browser) the page is light and as wide as A4 allows.
    browser.scheme("dark", media="print")
    browser.cdp(
        "Emulation.setDeviceMetricsOverride",
        {"width": A4_CONTENT_WIDTH, "height": 1000, "deviceScaleFactor": 1, "mobile": False},
    )
    widths = browser.js(
        "return [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], f"content {widths[0]} px wider than the A4 column {widths[1]}"
    background = browser.js("return getComputedStyle(document.body).backgroundColor")
    assert _luminance(background) > 0.9
    browser.cdp("Emulation.clearDeviceMetricsOverride")
    pdf = base64.b64decode(
        browser.cdp("Page.printToPDF", {"preferCSSPageSize": True, "printBackground": True})["data"]
    )
    assert pdf.startswith(b"%PDF")
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
    assert boxes, "no page in the PDF"
    for width, height in boxes:
        assert (round(float(width)), round(float(height))) == A4_POINTS
    assert len(boxes) <= 3
