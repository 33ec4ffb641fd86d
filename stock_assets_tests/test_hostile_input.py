"""Hostile symbols from a listing never become a path or SQL, and are refused with a reason."""

import datetime as dt
from collections.abc import Sequence

import polars as pl

from stock_assets.defs.universe.sources import Listing, SyntheticUniverseSource, UniverseSource
from stock_assets.lib.lifecycle import LISTING_COLUMNS
from stock_assets.lib.symbols import partition_symbols
from stock_assets.storage import compaction
from stock_assets.storage.warehouse import Warehouse
from stock_assets_tests.conftest import files_under, materialize_prices, materialize_universe

HOSTILE = ["../../etc", "A'; DROP TABLE x;--", "..\\boot", "AAPL/../../x", "$(rm -rf /)", ""]


def _rows(symbols: list[str], raw: list[str] | None = None) -> pl.DataFrame:
    raw = raw or symbols
    return pl.DataFrame(
        {"symbol": raw, "yahoo_symbol": symbols, "name": "Hostile Inc", "exchange": "XNYS",
         "sector": None, "sub_industry": None, "is_etf": False, "date_added": None, "cik": None,
         "source": "hostile", "calendar": "XNYS", "currency": "USD", "asset_class": "equity", "isin": None},
        schema=LISTING_COLUMNS,
    )


class ScrapingUniverse(UniverseSource):
    """A scraper that finds the synthetic listing plus hostile raw symbols, as a live page might."""

    ticker_count: int = 60

    def scrape(self, as_of: dt.date, extra_sources: Sequence[str] = ()) -> Listing:
        base = SyntheticUniverseSource(ticker_count=self.ticker_count).scrape(as_of)
        accepted, rejected = partition_symbols(HOSTILE + ["brk.b"])
        return Listing(rows=pl.concat([base.rows, _rows(accepted, ["BRK.B"])]),
                       rejected=rejected, sources=["synthetic", "hostile"])


class SmugglingUniverse(UniverseSource):
    """A broken scraper that puts raw hostile text straight into the rows (defence in depth)."""

    ticker_count: int = 60

    def scrape(self, as_of: dt.date, extra_sources: Sequence[str] = ()) -> Listing:
        base = SyntheticUniverseSource(ticker_count=self.ticker_count).scrape(as_of)
        return Listing(rows=pl.concat([base.rows, _rows(HOSTILE[:2])]), sources=["synthetic", "hostile"])


def _canary(data_dir) -> Warehouse:
    wh = Warehouse(data_dir / "warehouse.duckdb", data_dir / "lake")
    wh.ensure_schema()
    with wh.transaction() as conn:
        conn.execute("CREATE TABLE x (id INTEGER)")
        conn.execute("INSERT INTO x VALUES (42)")
    return wh


def test_hostile_raw_symbols_are_rejected_with_a_reason(offline_resources, instance, data_dir, tmp_path):
    wh = _canary(data_dir)
    outside_before = files_under(tmp_path) - files_under(data_dir)
    resources = offline_resources | {"universe_source": ScrapingUniverse()}
    materialize_universe(resources, instance)

    rejected = dict(wh.query("SELECT raw_symbol, reason FROM universe.rejected_symbols").iter_rows())
    assert set(rejected) == set(HOSTILE)
    assert "path separator" in rejected["../../etc"]
    assert "characters outside" in rejected["A'; DROP TABLE x;--"]
    symbols = set(wh.query("SELECT yahoo_symbol FROM universe.tickers")["yahoo_symbol"])
    assert "BRK-B" in symbols and not symbols & set(HOSTILE)

    assert materialize_prices(resources, instance, partition_key="2024-06-03").success
    assert wh.scalar("SELECT id FROM x") == 42
    assert files_under(tmp_path) - files_under(data_dir) == outside_before
    assert not (tmp_path / "etc").exists() and not (data_dir.parent.parent / "etc").exists()


def test_hostile_symbols_smuggled_into_rows_do_no_harm(offline_resources, instance, data_dir, tmp_path):
    """Even past the scraper, a symbol is only ever data: parameters, never paths or SQL text."""
    wh = _canary(data_dir)
    outside_before = files_under(tmp_path) - files_under(data_dir)
    resources = offline_resources | {"universe_source": SmugglingUniverse()}
    materialize_universe(resources, instance)
    result = materialize_prices(resources, instance, partition_key="2024-06-03", raise_on_error=False)

    assert wh.scalar("SELECT id FROM x") == 42
    assert files_under(tmp_path) - files_under(data_dir) == outside_before
    # nothing but the day's partition and the lock every daily write takes (ADR 0025)
    assert sorted(p.name for p in (data_dir / "lake" / "daily_ohlcv").iterdir()) == sorted(
        ["date=2024-06-03", compaction.MANIFEST_LOCK])
    # The synthetic exchange does not know them: recorded as failures, never stored. The day
    # is then short of symbols, so the blocking completeness check fails the run, and only it:
    # the bars were stored before it judged them.
    failed_checks = {e.check_name for e in result.get_asset_check_evaluations() if not e.passed and e.blocking}
    assert not result.success and failed_checks == {"completeness"}
    assert "daily_ohlcv" in {e.asset_key.path[-1] for e in result.get_asset_materialization_events()}
    stored = set(wh.query("SELECT DISTINCT symbol FROM prices.daily_ohlcv")["symbol"])
    assert stored and not stored & set(HOSTILE)
    failed = set(wh.query("SELECT symbol FROM ops.fetch_errors")["symbol"])
    assert set(HOSTILE[:2]) <= failed
