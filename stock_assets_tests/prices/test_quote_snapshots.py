"""`quote_snapshots` end to end (synthetic source): lake, view, fundamentals, reruns, retention."""

import datetime as dt
import shutil

import dagster as dg
import polars as pl
import pytest

from stock_assets.defs import automation, prices, universe
from stock_assets.defs.automation import maintenance
from stock_assets.defs.automation.maintenance import TidyConfig
from stock_assets.defs.prices.quote_snapshots import QuoteSnapshotConfig, quote_snapshots
from stock_assets.lib.quotes.schema import QUOTE_SNAPSHOTS
from stock_assets import read
from stock_assets.lib import synthetic
from stock_assets.storage import quote_store
from stock_assets_tests.conftest import DEFAULT_TEST_TICKERS


@pytest.fixture
def universe_ready(universe_warehouse, offline_resources, data_dir) -> dict:
    """offline_resources over a copy of the module's universe (9 s saved per test on 2 cores)."""
    shutil.copy(universe_warehouse, data_dir / "warehouse.duckdb")
    return offline_resources


def snap(resources, instance, at: str, scope: str = "all", raise_on_error: bool = True):
    return dg.materialize([quote_snapshots], resources=resources, instance=instance, raise_on_error=raise_on_error,
                          run_config={"ops": {"quote_snapshots": {"config": {"snapshot_at": at, "scope": scope}}}})


def test_a_snapshot_lands_in_the_lake_the_view_and_fundamentals(universe_ready, instance, warehouse, data_dir):
    result = snap(universe_ready, instance, "2024-06-10T15:00:00+00:00")
    assert result.success
    path = data_dir / "lake" / "quote_snapshots" / "date=2024-06-10" / "snapshot-150000.parquet"
    stored = pl.read_parquet(path)
    assert stored.schema == pl.Schema(QUOTE_SNAPSHOTS)
    active = warehouse.count("universe.tickers", "status = 'active'")
    assert stored.height == active > 0
    assert stored["snapshot_at"].unique().to_list() == [dt.datetime(2024, 6, 10, 15)]
    assert stored.filter(pl.col("price") <= 0).height == 0
    assert stored["market_state"].unique().to_list() == ["REGULAR"]  # 11:00 ET on a Monday
    assert stored.select(pl.col("market_cap", "pe_trailing", "dividend_yield").null_count()).sum_horizontal().item() == 0
    view = warehouse.query("SELECT * FROM prices.quote_snapshots ORDER BY symbol")
    assert view.equals(stored.sort("symbol"))
    assert warehouse.count("universe.fundamentals") == active
    mat = result.asset_materializations_for_node("quote_snapshots")[0]
    assert mat.metadata["symbols_quoted"].value == active
    assert mat.metadata["markets_open"].value == "XNYS"


def test_reruns_replace_and_an_older_snapshot_never_wins_fundamentals(universe_ready, instance, warehouse, data_dir):
    assert snap(universe_ready, instance, "2024-06-10T15:10:00+00:00").success
    count = warehouse.count("prices.quote_snapshots")
    assert snap(universe_ready, instance, "2024-06-10T15:10:00+00:00").success  # a retried run
    assert warehouse.count("prices.quote_snapshots") == count
    assert len(list((data_dir / "lake" / "quote_snapshots").rglob("*.parquet"))) == 1
    assert snap(universe_ready, instance, "2024-06-10T15:20:00+00:00").success
    assert warehouse.count("prices.quote_snapshots") == 2 * count
    assert snap(universe_ready, instance, "2024-06-10T15:00:00+00:00").success  # late, older
    newest = warehouse.query("SELECT DISTINCT snapshot_at FROM universe.fundamentals")
    assert newest["snapshot_at"].to_list() == [dt.datetime(2024, 6, 10, 15, 20)]
    assert warehouse.count("universe.fundamentals") == count  # one row per symbol


def test_scope_open_outside_every_market_asks_nothing_and_writes_nothing(universe_ready, instance, data_dir):
    result = snap(universe_ready, instance, "2024-06-08T15:00:00+00:00", scope="open")  # a Saturday
    assert result.success
    mat = result.asset_materializations_for_node("quote_snapshots")[0]
    assert mat.metadata["symbols_requested"].value == 0
    assert not (data_dir / "lake" / "quote_snapshots").exists()
    # the daily full refresh on the same Saturday: every symbol at its last close, nothing stale
    assert snap(universe_ready, instance, "2024-06-08T15:00:00+00:00", scope="all").success
    rows = read.quotes(data_dir=data_dir)
    assert rows.height > 0 and rows["market_state"].unique().to_list() == ["CLOSED"]
    friday, _, _ = synthetic.bars(rows["symbol"].to_list(), [dt.date(2024, 6, 7)], DEFAULT_TEST_TICKERS)
    traded = rows.join(friday.select("symbol", "close"), on="symbol")  # a symbol in a gap keeps its older close
    assert traded.height >= rows.height - 2
    assert traded["quote_time"].unique().to_list() == [dt.datetime(2024, 6, 7, 20, tzinfo=dt.UTC)]  # Fri 16:00 ET
    assert (traded["price"] == traded["close"]).all()


def test_unknown_symbols_are_recorded_like_price_failures(universe_ready, instance, warehouse):
    warehouse.append_rows("universe.tickers", warehouse.query(
        "SELECT * REPLACE ('ZZZZ9' AS yahoo_symbol, 'ZZZZ9' AS symbol) FROM universe.tickers LIMIT 1"))
    result = snap(universe_ready, instance, "2024-06-10T15:00:00+00:00")
    errors = warehouse.query("SELECT symbol, code, message, session FROM ops.fetch_errors")
    assert errors.rows() == [("ZZZZ9", "YFNOQUOTE", errors["message"][0], dt.date(2024, 6, 10))]
    assert errors["message"][0].startswith("quote ")
    mat = result.asset_materializations_for_node("quote_snapshots")[0]
    assert mat.metadata["failures_by_code"].value == {"YFNOQUOTE": 1}
    # a quote failure is not a failed night of the daily prices (dead letters count those)
    from stock_assets.storage import dead_letter
    assert dead_letter.failed_streaks(warehouse, ["ZZZZ9"]) == {}


def test_weekly_maintenance_prunes_snapshots_past_their_retention(universe_ready, instance, warehouse, data_dir,
                                                                 monkeypatch):
    assert snap(universe_ready, instance, "2024-05-01T15:00:00+00:00").success
    assert snap(universe_ready, instance, "2024-06-10T15:00:00+00:00").success
    monkeypatch.setattr(maintenance, "_utcnow", lambda: dt.datetime(2024, 6, 15, 10, tzinfo=dt.UTC))
    defs = dg.Definitions.merge(universe.defs, prices.defs, automation.defs, dg.Definitions(resources=universe_ready))
    result = defs.resolve_job_def("weekly_maintenance_job").execute_in_process(instance=instance)
    assert result.output_for_node("tidy_warehouse")["quote_days_pruned"] == 1
    assert quote_store.snapshot_days(data_dir / "lake") == [dt.date(2024, 6, 10)]
    assert warehouse.query("SELECT DISTINCT snapshot_at FROM prices.quote_snapshots")["snapshot_at"].to_list() == [
        dt.datetime(2024, 6, 10, 15)]
    # everything pruned: the view stays queryable (a typed empty one), fundamentals keep the newest
    monkeypatch.setattr(maintenance, "_utcnow", lambda: dt.datetime(2024, 9, 1, tzinfo=dt.UTC))
    assert defs.resolve_job_def("weekly_maintenance_job").execute_in_process(instance=instance).success
    assert warehouse.count("prices.quote_snapshots") == 0
    assert warehouse.count("universe.fundamentals") > 0


def test_retention_and_snapshot_config_refuse_bad_values(tmp_path):
    with pytest.raises(ValueError, match="quote_retention_days"):
        TidyConfig(quote_retention_days=-1)
    assert TidyConfig(quote_retention_days=0).quote_retention_days == 0  # keep everything
    assert quote_store.prune(tmp_path, 0, dt.date(2030, 1, 1)) == []
    with pytest.raises(ValueError, match="keep_days must be >= 0"):
        quote_store.prune(tmp_path, -3, dt.date(2030, 1, 1))
    with pytest.raises(ValueError, match="scope"):
        QuoteSnapshotConfig(scope="some")
    with pytest.raises(ValueError, match="max_age_minutes"):
        QuoteSnapshotConfig(max_age_minutes=-5)
