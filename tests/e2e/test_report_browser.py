"""The report in a real browser: Debian's Chromium, headless, driven by Playwright's Python package (never
`playwright install`: no browser is downloaded). Every image loads, nothing is logged as an error, the numbers
the page shows equal results.csv, and a click sorts a table. Skips where /usr/bin/chromium is absent
(`.ci/run` installs it as root on Debian)."""

from __future__ import annotations

import functools
import http.server
import threading
from pathlib import Path

import pandas as pd
import pytest

from fakeid.reporting.site import Settings, build
from tests.helpers.report import make_report_sweep

CHROMIUM = Path("/usr/bin/chromium")
# headless, no sandbox (root in CI), and nothing that phones home: the closed network refuses it and the
# refusals would show as errors
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = pytest.mark.skipif(not CHROMIUM.is_file(), reason=f"{CHROMIUM} is absent (apt-get install chromium)")
sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("browser")
    sweep, _ = make_report_sweep(base)
    build([sweep], base / "site", Settings(k=3, spectra_per_class=2, command="test"))
    return base / "site"


@pytest.fixture(scope="module")
def browser_page(tmp_path_factory):
    profile = tmp_path_factory.mktemp("chromium-profile")  # a fresh user-data-dir every run
    with sync_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=str(CHROMIUM),
            args=ARGS,
            headless=True,
            viewport={"width": 1280, "height": 900},
        )
        try:
            yield context.new_page()
        finally:
            context.close()


@pytest.fixture(scope="module")
def served(site):
    """The report over http://127.0.0.1 (a plain http.server), as a colleague's web server would serve it."""
    handler = functools.partial(QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/index.html"
    finally:
        server.shutdown()
        server.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


def open_report(page, url: str) -> list[str]:
    """Load `url`; the console errors and uncaught exceptions seen while it loads."""
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("requestfailed", lambda request: errors.append(f"request failed: {request.url}"))
    page.goto(url, wait_until="load")
    return errors


@pytest.mark.parametrize("where", ["file", "http"])
def test_the_report_renders_every_image_without_errors(site, browser_page, served, where, tmp_path) -> None:
    url = (site / "index.html").as_uri() if where == "file" else served
    errors = open_report(browser_page, url)
    images = browser_page.evaluate(
        "Array.from(document.images).map(i => ({src: i.getAttribute('src'), ok: i.complete && i.naturalWidth > 0}))"
    )
    assert len(images) >= 3 + 1 + 18  # figs 1-3, the spectra, 2 x 3 gallery pictures in 3 groups
    assert [image["src"] for image in images if not image["ok"]] == []
    assert errors == []
    shot = tmp_path / "report.png"
    browser_page.screenshot(path=str(shot), full_page=True)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000


def test_the_numbers_in_the_page_equal_results_csv(site, browser_page) -> None:
    open_report(browser_page, (site / "index.html").as_uri())
    table = browser_page.evaluate(
        """() => { const t = document.getElementById('per-run-sweep');
        const head = Array.from(t.tHead.rows[0].cells).map(c => c.textContent);
        const rows = Array.from(t.tBodies[0].rows).map(r => Array.from(r.cells).map(c => c.dataset.v));
        return {head: head, rows: rows}; }"""
    )
    shown = pd.DataFrame(table["rows"], columns=table["head"])
    results = pd.read_csv(site / "results.csv")
    ok = results[results["status"] == "ok"].reset_index(drop=True)
    assert shown["set"].tolist() == ok["set"].tolist()
    for metric in ("acc", "ap", "auroc", "acc_cal", "threshold"):
        assert shown[metric].astype(float).tolist() == ok[metric].tolist(), metric
    # the text a reader sees is the same number, rounded
    first = browser_page.evaluate("document.querySelector('#per-run-sweep tbody tr td:nth-child(6)').textContent")
    column = table["head"][5]
    assert float(first) == pytest.approx(float(ok[column].iloc[0]), abs=5e-4)


def test_a_click_on_a_heading_sorts_the_table(site, browser_page) -> None:
    open_report(browser_page, (site / "index.html").as_uri())
    column = browser_page.evaluate(
        "Array.from(document.querySelectorAll('#per-set-sweep th')).findIndex(th => th.textContent === 'ap')"
    )
    assert column > 0
    header = browser_page.locator("#per-set-sweep th").nth(column)
    rows = "Array.from(document.querySelectorAll('#per-set-sweep tbody tr'))"
    values = f"{rows}.map(r => Number(r.cells[{column}].dataset.v))"
    written = browser_page.evaluate(values)
    assert written != sorted(written)  # the page lists sets in name order
    header.click()
    ascending = browser_page.evaluate(values)
    assert ascending == sorted(written)
    header.click()
    descending = browser_page.evaluate(values)
    assert descending == sorted(ascending, reverse=True)
