"""`dashboard_html`: the page is built from the warehouse and works alone in headless Chromium."""

import re

import dagster as dg
import pytest

from stock_assets.defs.dashboard import render
from stock_assets.defs.dashboard.html_asset import dashboard_html
from stock_assets.defs.dashboard.kpi_assets import dashboard_kpis
from stock_assets.defs.resources import build_resources
from stock_assets.lib import kpis
from stock_assets.settings import REPO_ROOT, Settings
from stock_assets.storage.warehouse import Warehouse
from stock_assets_tests.dashboard import browser, known_market

ARTIFACTS = REPO_ROOT / "test-artifacts"
PANEL_IDS = [f"panel-{key}" for key, _ in render.PANELS]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The known market, its KPIs and its page, built once through `dg.materialize`."""
    data_dir = tmp_path_factory.mktemp("page") / "data"
    data_dir.mkdir()
    known_market.write(data_dir)
    resources = build_resources(Settings.from_env({"STOCK_ASSETS_SOURCE": "synthetic",
                                                   "STOCK_ASSETS_DATA_DIR": str(data_dir)}))
    with dg.instance_for_test() as instance:
        result = dg.materialize([dashboard_kpis, dashboard_html], resources=resources, instance=instance)
    assert result.success
    page = data_dir / "dashboard" / "index.html"
    wh = Warehouse(data_dir / "warehouse.duckdb", data_dir / "lake")
    return {"page": page, "warehouse": wh, "result": result}


def test_page_is_written_with_metadata_and_no_outside_references(built):
    html = built["page"].read_text()
    meta = built["result"].asset_materializations_for_node("dashboard_html")[0].metadata
    assert meta["path"].value == str(built["page"])
    assert meta["as_of"].value == "2024-06-14"
    assert not re.search(r'(src|href)\s*=\s*"(https?:)?//', html), "the page must not load anything from outside"
    assert "<link" not in html and "@import" not in html
    assert built["result"].run_id in html  # the run that built it
    assert 'id="drilldown-data"' in html and "&lt;unexplained&gt;" in html  # QA details are escaped
    assert "<unexplained>" not in html.split('id="drilldown-data"')[0]


def test_page_in_headless_chromium(built):
    path = browser.chromium_path()
    values = {k: int(v) for k, v in built["warehouse"].query(
        "SELECT kpi, value FROM dashboard.kpis WHERE as_of = ?", [known_market.AS_OF]).iter_rows()}
    assert values == known_market.EXPECTED
    console, requests = [], []
    ARTIFACTS.mkdir(exist_ok=True)
    with browser.sync_playwright() as pw:
        chrome = pw.chromium.launch(executable_path=path, args=browser.LAUNCH_ARGS)
        try:
            page = chrome.new_page(viewport={"width": 1280, "height": 900})
            page.on("console", lambda m: console.append((m.type, m.text)))
            page.on("pageerror", lambda e: console.append(("pageerror", str(e))))
            page.on("request", lambda r: requests.append(r.url))
            page.goto(built["page"].as_uri())
            page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)
            cards = page.eval_on_selector_all(
                "[data-kpi]", "els => els.map(e => [e.dataset.kpi, e.querySelector('.value').textContent, "
                              "e.dataset.status, e.getAttribute('href')])")
            panels = page.eval_on_selector_all("section.panel", "els => els.map(e => e.id)")
            assert page.text_content("#as-of") == "2024-06-14"
            first_symbol = page.text_content("#dd-symbol")
            page.select_option("#symbol-select", "JMPA")
            picked = page.text_content("#dd-symbol")
            line = page.get_attribute("#dd-line", "points")
            failures = page.eval_on_selector_all("#dd-failures tbody tr", "rows => rows.map(r => r.textContent)")
        finally:
            chrome.close()
    assert {k: int(v) for k, v, _, _ in cards} == values  # the DOM says what the warehouse says
    statuses = {k: s for k, _, s, _ in cards}
    assert statuses["lagging_symbols"] == "yellow" and statuses["new_30d"] == "green"
    assert all(href.removeprefix("#") in panels for _, _, _, href in cards)  # each card links to its panel
    assert panels == PANEL_IDS
    assert first_symbol == "LAGG"  # flagged symbols come first
    assert picked == "JMPA" and len(line.split()) > 20 and "price_jump" in failures[0]
    assert not [c for c in console if c[0] in ("error", "pageerror")], console
    assert requests and all(url.startswith("file://") for url in requests), requests
    assert (ARTIFACTS / "dashboard.png").stat().st_size > 10_000


def test_kpi_order_and_cards_follow_the_catalogue(built):
    html = built["page"].read_text()
    order = re.findall(r'data-kpi="([a-z0-9_]+)"', html)
    assert order == list(kpis.KPI_KEYS)
