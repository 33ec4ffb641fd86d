"""The foundation pipeline through `dg.materialize`: universe -> one day / a range -> lake + warehouse.

Every expectation is computed independently from `lib/synthetic` (the market is a pure
function of its seed), so a value that goes wrong on its way to the lake is caught.
"""

import datetime as dt

import dagster as dg
import polars as pl
import pytest

from stock_assets.lib import synthetic
from stock_assets.lib.schema import DAILY_OHLCV
from stock_assets.storage.lake import ParquetLake
from stock_assets.storage.warehouse import Warehouse
from stock_assets_tests.conftest import DEFAULT_TEST_TICKERS, FOUNDATION_CHECKS, materialize_prices

DAY = dt.date(2024, 6, 3)
VALUE_COLUMNS = ["date", "symbol", "open", "high", "low", "close", "adj_close", "volume", "provider", "source_ts"]


def _expected(symbols: list[str], sessions: list[dt.date]) -> pl.DataFrame:
    bars, _, _ = synthetic.bars(symbols, sessions, DEFAULT_TEST_TICKERS)
    return bars.select(VALUE_COLUMNS).sort("date", "symbol")


def _listed(as_of: dt.date) -> list[str]:
    return sorted(t.symbol for t in synthetic.listing(DEFAULT_TEST_TICKERS, as_of))


def _warehouse(data_dir) -> Warehouse:
    return Warehouse(data_dir / "warehouse.duckdb", data_dir / "lake")


def test_one_day_end_to_end_rows_and_values(universe_ready, instance, data_dir):
    result = materialize_prices(universe_ready, instance, partition_key=DAY.isoformat())
    assert result.success
    symbols = _listed(DAY)
    wh = _warehouse(data_dir)
    assert wh.count("universe.tickers") == len(symbols)

    stored = wh.query("SELECT * FROM prices.daily_ohlcv ORDER BY date, symbol")
    assert stored.height == len(symbols)
    assert stored.select(VALUE_COLUMNS).equals(_expected(symbols, [DAY]))
    assert stored["run_id"].unique().to_list() == [result.run_id]
    assert (data_dir / "lake" / "daily_ohlcv" / "date=2024-06-03" / "data.parquet").exists()

    checks = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert {name: checks.get(name) for name in FOUNDATION_CHECKS} == dict.fromkeys(FOUNDATION_CHECKS, True)
    [ohlcv] = [m for m in result.get_asset_materialization_events() if m.asset_key == dg.AssetKey("daily_ohlcv")]
    meta = ohlcv.materialization.metadata
    assert meta["rows"].value == len(symbols)
    assert meta["first_date"].value == meta["last_date"].value == "2024-06-03"
    assert meta["market_closed"].value == []
    assert "| symbol |" in meta["preview"].value


def test_range_as_one_run_then_again_is_identical(universe_ready, instance, data_dir):
    """A June fortnight with a split, a delisting, a gap and a holiday; rerun replaces, never adds."""
    first, last = "2024-06-10", "2024-06-21"
    one = materialize_prices(universe_ready, instance, partition_range=(first, last))
    assert one.success
    wh = _warehouse(data_dir)
    before = wh.query("SELECT * EXCLUDE (ingested_at, run_id) FROM prices.daily_ohlcv ORDER BY date, symbol")
    actions_before = wh.query("SELECT * EXCLUDE (ingested_at, run_id) FROM prices.corporate_actions ORDER BY ALL")

    sessions = [dt.date(2024, 6, d) for d in (10, 11, 12, 13, 14, 17, 18, 20, 21)]  # 19th: Juneteenth
    expected = _expected(_listed(DAY), sessions)
    assert before.select(VALUE_COLUMNS).equals(expected)
    assert ParquetLake(data_dir / "lake").partition_days("daily_ohlcv") == [
        dt.date(2024, 6, d) for d in (10, 11, 12, 13, 14, 17, 18, 19, 20, 21)]
    # The symbols with fixed June events: a 4:1 split on the 10th shows in the as-traded close.
    split_symbol = synthetic.tickers(DEFAULT_TEST_TICKERS)[0].symbol
    assert actions_before.filter((pl.col("symbol") == split_symbol) & (pl.col("kind") == "split")).height == 1
    delisted = synthetic.tickers(DEFAULT_TEST_TICKERS)[1].symbol
    assert before.filter(pl.col("symbol") == delisted)["date"].max() == dt.date(2024, 6, 13)

    two = materialize_prices(universe_ready, instance, partition_range=(first, last))
    assert two.success and two.run_id != one.run_id
    after = wh.query("SELECT * EXCLUDE (ingested_at, run_id) FROM prices.daily_ohlcv ORDER BY date, symbol")
    assert after.equals(before)
    assert set(wh.query("SELECT DISTINCT run_id FROM prices.daily_ohlcv")["run_id"]) <= {one.run_id, two.run_id}
    assert wh.query("SELECT * EXCLUDE (ingested_at, run_id) FROM prices.corporate_actions ORDER BY ALL").equals(actions_before)
    dups = wh.scalar("SELECT count(*) FROM (SELECT date, symbol FROM prices.daily_ohlcv GROUP BY ALL HAVING count(*) > 1)")
    assert dups == 0


@pytest.mark.parametrize("holiday", ["2024-06-19", "2024-07-04"])
def test_holiday_partition_is_zero_rows_and_says_market_closed(universe_ready, instance, data_dir, holiday):
    result = materialize_prices(universe_ready, instance, partition_key=holiday)
    assert result.success
    [ohlcv] = [m for m in result.get_asset_materialization_events() if m.asset_key == dg.AssetKey("daily_ohlcv")]
    assert ohlcv.materialization.metadata["rows"].value == 0
    assert ohlcv.materialization.metadata["market_closed"].value == [holiday]
    evaluations = [e for e in result.get_asset_check_evaluations() if e.check_name in FOUNDATION_CHECKS]
    assert len(evaluations) == 4 and all(e.passed for e in evaluations)
    assert all(e.metadata["market_closed"].value == [holiday] for e in evaluations)
    lake = ParquetLake(data_dir / "lake")
    day = dt.date.fromisoformat(holiday)
    assert lake.has_partition("daily_ohlcv", day)  # materialised as empty, not missing
    assert lake.read_partition("daily_ohlcv", day, DAILY_OHLCV).height == 0


def test_unclosed_session_is_refused_with_a_clear_message(universe_ready, instance, data_dir, monkeypatch):
    """At 14:00 ET on 2024-06-03 that session is still trading: no bar may be stored for it."""
    from stock_assets.defs.prices import assets

    monkeypatch.setattr(assets, "_utcnow", lambda: dt.datetime(2024, 6, 3, 18, 0))
    result = materialize_prices(universe_ready, instance, partition_key="2024-06-03", raise_on_error=False)
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE)
    message = failure.step_failure_data.user_failure_data.description
    assert "2024-06-03 has not closed yet" in message and "20:00 UTC" in message
    assert not (data_dir / "lake" / "daily_ohlcv").exists()


def test_future_key_is_refused_too(universe_ready, instance, monkeypatch):
    from stock_assets.defs.prices import assets

    monkeypatch.setattr(assets, "_utcnow", lambda: dt.datetime(2024, 6, 7, 21, 0))  # Friday, after close
    ok = materialize_prices(universe_ready, instance, partition_key="2024-06-07")
    assert ok.success
    refused = materialize_prices(universe_ready, instance, partition_key="2024-06-10", raise_on_error=False)
    assert not refused.success


@pytest.mark.parametrize("key", ["2024-06-08", "2024-13-01", "not-a-date"])
def test_bad_partition_key_is_a_clear_error(offline_resources, instance, key):
    """A Saturday, an impossible date, not a date: refused before anything runs or is written."""
    with pytest.raises(dg.DagsterUnknownPartitionError, match=f"partition with key `{key}`"):
        materialize_prices(offline_resources, instance, partition_key=key)
    assert instance.get_runs_count() == 0


@pytest.mark.parametrize("key, reason", [("2024-06-08", "not a trading-day partition"),
                                         ("1999-12-31", "not a trading-day partition"),
                                         ("06/03/2024", "not a date")])
def test_parse_partition_key_says_what_a_key_looks_like(key, reason):
    from stock_assets.defs.partitions import BadPartitionKey, parse_partition_key

    with pytest.raises(BadPartitionKey, match=reason):
        parse_partition_key(key)
    assert parse_partition_key("2024-06-19") == dt.date(2024, 6, 19)  # holidays are partitions


def test_prices_without_a_universe_fail_and_say_what_to_run(offline_resources, instance):
    result = materialize_prices(offline_resources, instance, partition_key="2024-06-03", raise_on_error=False)
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE)
    assert "universe_job" in failure.step_failure_data.user_failure_data.description
