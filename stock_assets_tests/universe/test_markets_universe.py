"""`ticker_universe` across markets: London, Amsterdam, Paris, Xetra and CME futures in one scrape,
the instrument columns stored, and a warehouse written before those columns still working."""

from pathlib import Path

import duckdb

from stock_assets.storage.warehouse import Warehouse
from stock_assets_tests.universe import exchange_files as xf
from stock_assets_tests.universe import listing_files as lf
from stock_assets_tests.universe.conftest import live_source
from stock_assets_tests.universe.test_ticker_universe import metadata, scrape

FIXTURES = Path(__file__).parent / "fixtures"

# universe.tickers and universe.listing_snapshots as they were before the instrument columns.
OLD_TABLES = """
CREATE SCHEMA universe;
CREATE TABLE universe.tickers (
    symbol VARCHAR NOT NULL, yahoo_symbol VARCHAR NOT NULL, name VARCHAR, exchange VARCHAR, sources VARCHAR,
    sector VARCHAR, sub_industry VARCHAR, is_etf BOOLEAN NOT NULL DEFAULT FALSE, status VARCHAR NOT NULL,
    first_seen TIMESTAMP NOT NULL, last_seen TIMESTAMP NOT NULL, delisted_on DATE, archived_on DATE,
    updated_at TIMESTAMP NOT NULL);
CREATE TABLE universe.listing_snapshots (
    scraped_at TIMESTAMP NOT NULL, source VARCHAR NOT NULL, symbol VARCHAR NOT NULL, yahoo_symbol VARCHAR NOT NULL,
    name VARCHAR, exchange VARCHAR, sector VARCHAR, sub_industry VARCHAR, is_etf BOOLEAN NOT NULL DEFAULT FALSE,
    date_added VARCHAR, cik VARCHAR, run_id VARCHAR);
INSERT INTO universe.tickers VALUES
    ('AAPL', 'AAPL', 'Apple', 'NASDAQ', 'nasdaq_listed', NULL, NULL, FALSE, 'delisted',
     '2023-01-02', '2023-06-01', '2023-07-03', NULL, '2023-07-03'),
    ('GONE', 'GONE', 'Gone Inc', 'NYSE Arca', 'other_listed', NULL, NULL, TRUE, 'archived',
     '2020-01-02', '2021-06-01', '2021-07-01', '2022-07-01', '2022-07-01'),
    ('VOD', 'VOD.L', 'Vodafone', 'LSE', 'ftse100', NULL, NULL, FALSE, 'delisted',
     '2023-01-02', '2023-06-01', '2023-07-03', NULL, '2023-07-03');
"""


def sources(tmp_path: Path) -> dict[str, str]:
    return {
        "ftse100": (FIXTURES / "ftse100.html").as_uri(),
        "aex": (FIXTURES / "aex.html").as_uri(),
        "euronext": lf.write(tmp_path / "euronext.csv", xf.euronext()),
        "xetra": lf.write(tmp_path / "xetra.csv", xf.xetra()),
    }


def stored(wh: Warehouse) -> dict[str, dict]:
    frame = wh.query("SELECT yahoo_symbol, exchange, calendar, currency, asset_class, isin, status, sources "
                     "FROM universe.tickers")
    return {r.pop("yahoo_symbol"): r for r in frame.to_dicts()}


def test_one_scrape_across_markets_stores_each_symbols_market(tmp_path, offline_resources, instance, warehouse):
    source = live_source(sources(tmp_path), sources=[*sources(tmp_path), "futures"])
    result = scrape(offline_resources, instance, source, "2024-01-02")
    assert result.success
    rows = stored(warehouse)
    assert {k: (v["exchange"], v["calendar"], v["currency"]) for k, v in rows.items()
            if k in ("SHEL.L", "SHELL.AS", "AI.PA", "SAP.DE", "ES=F", "ZN=F", "GC=F")} == {
        "SHEL.L": ("XLON", "XLON", "GBp"), "SHELL.AS": ("XAMS", "XAMS", "EUR"), "AI.PA": ("XPAR", "XPAR", "EUR"),
        "SAP.DE": ("XETR", "XETR", "EUR"), "ES=F": ("XCME", "CMES", "USD"), "ZN=F": ("XCBT", "CMES", "USD"),
        "GC=F": ("XCEC", "CMES", "USD")}
    # the same company on two exchanges: two rows, one ISIN (from the Euronext list, merged with the AEX page)
    assert rows["SHELL.AS"]["isin"] == "GB00BP6MXD84" and rows["SHELL.AS"]["sources"] == "aex,euronext"
    assert rows["EXS1.DE"]["asset_class"] == "etf" and rows["ES=F"]["asset_class"] == "future"
    assert all(v["calendar"] and v["currency"] and v["asset_class"] for v in rows.values())
    snap = warehouse.query("SELECT count(*) FROM universe.listing_snapshots WHERE calendar IS NULL").item()
    assert snap == 0
    md = metadata(result)
    assert "XCME" in md["by_exchange_and_status"] and "ABI" in md["rejected"]  # Brussels: refused, recorded
    checks = {c.check_name: c.passed for c in result.get_asset_check_evaluations()}
    assert checks["no_duplicate_symbols"] and checks["every_symbol_valid"]


def test_a_warehouse_from_before_the_instrument_columns_keeps_working(tmp_path, data_dir, offline_resources, instance):
    path = data_dir / "warehouse.duckdb"
    with duckdb.connect(str(path)) as conn:
        conn.execute(OLD_TABLES)
    source = live_source({"nasdaq_listed": lf.write(tmp_path / "n.txt", lf.nasdaq_listed(["AAPL", "MSFT"]))})
    result = scrape(offline_resources, instance, source, "2024-01-02")
    assert result.success
    rows = stored(Warehouse(path, data_dir / "lake"))
    # listed again: refreshed by the scrape; never listed again: given their market from what they held
    assert {k: (v["exchange"], v["calendar"], v["currency"], v["asset_class"], v["status"]) for k, v in rows.items()} == {
        "AAPL": ("XNAS", "XNYS", "USD", "equity", "active"),
        "MSFT": ("XNAS", "XNYS", "USD", "equity", "active"),
        "GONE": ("ARCX", "XNYS", "USD", "etf", "archived"),
        "VOD.L": ("XLON", "XLON", "GBp", "equity", "delisted"),
    }
    with duckdb.connect(str(path), read_only=True) as conn:
        columns = {r[0] for r in conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'listing_snapshots'").fetchall()}
    assert {"calendar", "currency", "asset_class", "isin"} <= columns
