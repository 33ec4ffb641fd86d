"""The drill-down shows a symbol's last intraday session (5m closes), futures included."""

import datetime as dt
import json
import re

import dagster as dg
import polars as pl
import pytest

from stock_assets.defs.dashboard.html_asset import dashboard_html
from stock_assets.defs.dashboard.kpi_assets import dashboard_kpis
from stock_assets.defs.resources import build_resources
from stock_assets.lib.intraday import resample, synthetic
from stock_assets.lib.intraday.schema import INTRADAY_BARS
from stock_assets.settings import Settings
from stock_assets.storage.lake import ParquetLake
from stock_assets_tests.dashboard import browser, known_market

BAR = {"open": 100.0, "high": 103.0, "low": 98.0, "close": 101.0, "volume": 1_000_000}


def _write_intraday(data_dir, symbol, calendar, day):
    bars = resample.all_intervals(synthetic.minutes(symbol, day, BAR, calendar, "synthetic"), {symbol: calendar})
    bars = bars.with_columns(ingested_at=pl.lit(dt.datetime(2024, 6, 14)), run_id=pl.lit("r"))
    lake = ParquetLake(data_dir / "lake")
    for (interval,), part in bars.partition_by("interval", as_dict=True).items():
        path = f"intraday_bars/interval={interval}"
        old = lake.read_partition(path, day, INTRADAY_BARS)
        lake.write_partition(path, day, pl.concat([old, part.select(list(INTRADAY_BARS))]), INTRADAY_BARS)


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("intraday_page") / "data"
    data_dir.mkdir()
    known_market.write(data_dir)
    as_of = known_market.AS_OF
    _write_intraday(data_dir, "ES=F", "CMES", as_of - dt.timedelta(days=1))
    _write_intraday(data_dir, "ES=F", "CMES", as_of)
    _write_intraday(data_dir, "ES=F", "CMES", as_of + dt.timedelta(days=3))  # after as_of: not shown
    resources = build_resources(Settings.from_env({"STOCK_ASSETS_SOURCE": "synthetic",
                                                   "STOCK_ASSETS_DATA_DIR": str(data_dir)}))
    with dg.instance_for_test() as instance:
        result = dg.materialize([dashboard_kpis, dashboard_html], resources=resources, instance=instance)
    assert result.success
    return data_dir / "dashboard" / "index.html", as_of


def test_the_drilldown_carries_the_last_intraday_session_up_to_as_of(page):
    path, as_of = page
    html = path.read_text()
    data = json.loads(re.search(r'id="drilldown-data">(.*?)</script>', html, re.S).group(1))
    day = data["ES=F"]["intraday"]
    assert day["session"] == as_of.isoformat() and day["bars"] == 276  # 23 h of 5m bars
    others = [s for s in data if s != "ES=F"]
    assert others and all(data[s]["intraday"] is None for s in others)


def test_the_intraday_chart_switches_with_the_symbol_in_chromium(page):
    path, as_of = page
    exe = browser.chromium_path()
    with browser.sync_playwright() as pw:
        chrome = pw.chromium.launch(executable_path=exe, args=browser.LAUNCH_ARGS)
        try:
            tab = chrome.new_page()
            errors = []
            tab.on("pageerror", lambda e: errors.append(str(e)))
            tab.goto(path.as_uri())
            tab.select_option("#symbol-select", "ES=F")
            points = tab.get_attribute("#dd-intraday-line", "points")
            session = tab.text_content("#dd-intraday-session")
            hidden_note = tab.is_hidden("#dd-no-intraday")
            other = tab.eval_on_selector_all("#symbol-select option", "os => os.map(o => o.value)")[0]
            tab.select_option("#symbol-select", other)
            note_shown = tab.is_visible("#dd-no-intraday")
        finally:
            chrome.close()
    assert len(points.split()) == 276 and session == as_of.isoformat() and hidden_note
    assert note_shown and not errors
