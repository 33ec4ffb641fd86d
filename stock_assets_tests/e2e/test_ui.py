"""The Dagster UI in headless Chromium, on the `dagster dev` the other e2e tests filled.

What a person sees after the backfills of test_dagster_dev.py: the asset graph with the
project's assets, daily_ohlcv's partitions page with materialised partitions, and its
checks with their results. Screenshots are kept under test-artifacts/ (git-ignored).
"""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from stock_assets_tests.e2e import queries as q
from stock_assets_tests.e2e.dagster_dev import ARTIFACTS

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]
PAGE_TIMEOUT_MS = 60_000


def chromium() -> Path:
    """Debian's chromium: installed here when root with apt (never a downloaded browser build)."""
    if not CHROMIUM.exists() and os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(["apt-get", "install", "-y", "-q", "chromium"], capture_output=True, timeout=600,
                       env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed and cannot be (needs root and apt-get): "
                    "apt-get install chromium")
    return CHROMIUM


@pytest.fixture(scope="module")
def page(dev):
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright (dev group) is not installed")
    exe = chromium()
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(exe), headless=True, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            page.set_default_timeout(PAGE_TIMEOUT_MS)
            yield page
        finally:
            browser.close()


def open_page(page, url: str, *texts: str) -> None:
    """Go to `url`, close the first-visit "Join the Dagster community" dialog, wait for `texts`."""
    page.goto(url)
    page.wait_for_load_state("networkidle")
    skip = page.get_by_role("button", name="Skip")
    if skip.count():
        skip.first.click()
    open_page_wait(page, *texts)


def snapshot(page, name: str) -> str:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"ui_{name}.png"), full_page=True)
    text = page.inner_text("body")
    (ARTIFACTS / f"ui_{name}.txt").write_text(text)
    return text


def test_asset_graph_shows_the_project(page, dev):
    open_page(page, f"{dev.url}/asset-groups", "Global asset lineage", "prices", "universe", "quality")
    snapshot(page, "global_lineage")
    open_page(page, f"{dev.url}/assets/daily_ohlcv?view=lineage", "ticker_universe", "daily_ohlcv")
    text = snapshot(page, "daily_ohlcv_lineage")
    assert "ticker_universe" in text and "daily_ohlcv" in text


def test_partitions_page_shows_materialised_partitions(page, dev):
    stats = dev.graphql(q.PARTITION_STATUS, {"key": {"path": ["daily_ohlcv"]}})["assetNodeOrError"]["partitionStats"]
    done = stats["numMaterialized"]
    assert done >= 11  # the e2e backfills (10 partitions) and the scheduled night
    open_page(page, f"{dev.url}/assets/daily_ohlcv?view=partitions", f"Materialized ({done})")
    page.get_by_text("Missing (", exact=False).first.click()  # hide the missing ones, as a person would
    open_page_wait(page, "2024-03-18", "2024-03-29")
    page.get_by_text("2024-03-18", exact=True).first.click()
    open_page_wait(page, "Latest materialization", "symbols_requested")
    text = snapshot(page, "daily_ohlcv_partitions")
    assert f"Materialized ({done})" in text and "2024-03-29" in text


def test_checks_page_shows_check_results(page, dev):
    open_page(page, f"{dev.url}/assets/daily_ohlcv?view=checks", "completeness", "duplicates")
    page.get_by_text("completeness", exact=True).first.click()
    page.get_by_text("Execution history", exact=True).first.click()
    open_page_wait(page, "Succeeded")
    text = snapshot(page, "daily_ohlcv_checks")
    for name in ("schema", "duplicates", "ohlc_consistency", "completeness"):
        assert name in text


def open_page_wait(page, *texts: str) -> None:
    for text in texts:
        page.wait_for_function("t => document.body.innerText.includes(t)", arg=text)
