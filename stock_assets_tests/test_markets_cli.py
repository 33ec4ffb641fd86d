"""Markets beyond the US through Dagster's CLI: each market on its own calendar (ADR 0019).

A range holding 2024-05-06 (UK Early May bank holiday, US open) and one holding 2024-11-28
(US Thanksgiving, Europe open) with the synthetic US + London + Xetra + Paris + CME futures
universe: London has no row and no missing date on the first and rows on the second; the US
the reverse; every blocking check passes.
"""

import datetime as dt
import os
from pathlib import Path

import polars as pl
import pytest

from stock_assets.lib.qa.catalog import CHECKS
from stock_assets.settings import REPO_ROOT
from stock_assets.storage.warehouse import Warehouse
from stock_assets_tests.conftest import run_cli

pytestmark = pytest.mark.slow

UK_HOLIDAY, THANKSGIVING = dt.date(2024, 5, 6), dt.date(2024, 11, 28)
RANGES = (("2024-05-01", "2024-05-08"), ("2024-11-25", "2024-11-29"))


def _env(data: Path, home: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STOCK_ASSETS_")}
    env.update(DAGSTER_HOME=str(home), STOCK_ASSETS_SOURCE="synthetic", STOCK_ASSETS_DATA_DIR=str(data),
               STOCK_ASSETS_SYNTHETIC_TICKERS="20", STOCK_ASSETS_SYNTHETIC_MARKETS="all")
    return env


@pytest.fixture(scope="module")
def stored(tmp_path_factory) -> Warehouse:
    root = tmp_path_factory.mktemp("markets")
    data, home = root / "data", root / "home"
    home.mkdir()
    (home / "dagster.yaml").write_text((REPO_ROOT / "dagster.yaml").read_text())
    env = _env(data, home)
    for start, end in RANGES:
        config = root / f"universe-{start}.yaml"
        config.write_text(f'ops:\n  ticker_universe:\n    config:\n      as_of: "{start}"\n')
        done = run_cli(["job", "execute", "-m", "stock_assets.definitions", "-j", "universe_job", "-c", str(config)], env)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        done = run_cli(["asset", "materialize", "-m", "stock_assets.definitions", "--select",
                        "daily_ohlcv,corporate_actions,qa_summary", "--partition-range", f"{start}...{end}"], env,
                       timeout=600)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        assert "RUN_SUCCESS" in done.stderr + done.stdout
    done = run_cli(["asset", "materialize", "-m", "stock_assets.definitions", "--select", "dashboard_kpis,dashboard_html"],
                   env)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return Warehouse(data / "warehouse.duckdb", data / "lake")


def _rows_on(wh: Warehouse, day: dt.date) -> pl.DataFrame:
    return wh.query("SELECT b.symbol, b.currency, t.calendar FROM prices.daily_ohlcv b "
                    "JOIN universe.tickers t ON t.yahoo_symbol = b.symbol WHERE b.date = ?", [day])


def test_uk_bank_holiday_london_closed_us_open(stored):
    rows = _rows_on(stored, UK_HOLIDAY)
    markets = set(rows["calendar"])
    assert "XLON" not in markets
    assert {"XNYS", "XETR", "XPAR", "CMES"} <= markets
    assert stored.count("qa.failures", "check_name = 'missing_dates' AND date = ?", [UK_HOLIDAY]) == 0
    assert stored.count("qa.failures", "check_name = 'completeness' AND date = ?", [UK_HOLIDAY]) == 0


def test_us_thanksgiving_london_open_us_closed(stored):
    rows = _rows_on(stored, THANKSGIVING)
    markets = set(rows["calendar"])
    assert "XNYS" not in markets
    assert {"XLON", "XETR", "XPAR"} <= markets
    assert rows.filter(pl.col("calendar") == "XLON").height == 4  # every London listing
    assert stored.count("qa.failures", "check_name IN ('missing_dates', 'completeness') AND date = ?",
                        [THANKSGIVING]) == 0


def test_every_blocking_check_passed_on_every_day(stored):
    blocking = [name for name, c in CHECKS.items() if c.blocking]
    failed = stored.query("SELECT date, check_name FROM qa.summary WHERE NOT passed AND list_contains(?, check_name)",
                          [blocking])
    assert failed.height == 0, failed
    checked = stored.query("SELECT DISTINCT date FROM qa.summary ORDER BY date")["date"].to_list()
    assert UK_HOLIDAY in checked and THANKSGIVING in checked


def test_rows_carry_their_quote_currency(stored):
    rows = _rows_on(stored, dt.date(2024, 11, 27))
    by_calendar = dict(rows.group_by("calendar").agg(pl.col("currency").unique().sort().str.join(",")).iter_rows())
    assert by_calendar == {"XNYS": "USD", "XLON": "GBp", "XETR": "EUR", "XPAR": "EUR", "CMES": "USD"}


def test_qa_summary_and_dashboard_break_down_per_market(stored):
    by_market = stored.query("SELECT market, bool_and(passed) AS ok FROM qa.summary_by_market "
                             "WHERE date = ? AND check_name IN ('completeness', 'missing_dates', 'lag') GROUP BY market",
                             [THANKSGIVING])
    assert dict(by_market.iter_rows()) == {m: True for m in ("XNYS", "XLON", "XETR", "XPAR", "CMES")}
    # freshness per market, judged at the end of the range's last day (its failures are dated there)
    fresh = stored.query("SELECT market, passed FROM qa.summary_by_market WHERE date = ? "
                         "AND check_name = 'market_freshness'", [dt.date(2024, 11, 29)])
    assert dict(fresh.iter_rows()) == {m: True for m in ("XNYS", "XLON", "XETR", "XPAR", "CMES")}
    kpis = dict(stored.query("SELECT kpi, value FROM dashboard.kpis WHERE as_of = ?", [dt.date(2024, 11, 29)]).iter_rows())
    assert kpis["missing_dates"] == 0 and kpis["lagging_symbols"] == 0
    html = (stored.path.parent / "dashboard" / "index.html").read_text()
    assert '<table id="markets-table">' in html
    for market in ("XNYS", "XLON", "XETR", "XPAR", "CMES"):
        assert f"<td>{market}</td>" in html
