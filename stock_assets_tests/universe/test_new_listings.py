"""New listings: the sensor launches one run; the run merges their history into existing partitions,
leaves other symbols' rows alone, and a second run leaves the same rows."""

import datetime as dt

import dagster as dg
import polars as pl

from stock_assets.defs.prices.synthetic import SyntheticPriceSource
from stock_assets.defs.universe.assets import ticker_universe
from stock_assets.defs.universe.new_listings import merge_days, new_listing_history_job, new_listings_sensor
from stock_assets.lib import calendar, synthetic
from stock_assets.lib.schema import DAILY_OHLCV
from stock_assets.storage.lake import ParquetLake
from stock_assets_tests.conftest import DEFAULT_TEST_TICKERS
from stock_assets_tests.universe import listing_files as lf
from stock_assets_tests.universe.conftest import live_source

LAKE_DAYS = calendar.sessions_between(dt.date(2024, 5, 20), dt.date(2024, 6, 7))
AS_OF, LOOKBACK = dt.date(2024, 6, 7), 7  # window 2024-06-01..2024-06-07: five sessions
VALUES = [c for c in DAILY_OHLCV if c not in ("ingested_at", "run_id")]


def listed_throughout() -> list[str]:
    first = {t.symbol for t in synthetic.listing(DEFAULT_TEST_TICKERS, LAKE_DAYS[0])}
    return sorted(t.symbol for t in synthetic.listing(DEFAULT_TEST_TICKERS, AS_OF) if t.symbol in first)


def seed_lake(lake: ParquetLake, symbols: list[str]) -> None:
    result = SyntheticPriceSource(ticker_count=DEFAULT_TEST_TICKERS).fetch_range(symbols, LAKE_DAYS)
    bars = result.bars.with_columns(ingested_at=pl.lit(dt.datetime(2024, 6, 8)), run_id=pl.lit("nightly"))
    lake.write_partitions("daily_ohlcv", LAKE_DAYS, bars, DAILY_OHLCV)


def read_all(lake: ParquetLake) -> pl.DataFrame:
    return lake.read_range("daily_ohlcv", LAKE_DAYS[0], LAKE_DAYS[-1], DAILY_OHLCV).sort("date", "symbol")


def test_merge_days_only_existing_sessions_in_the_window():
    existing = [dt.date(2024, 5, 31), dt.date(2024, 6, 3), dt.date(2024, 6, 8), dt.date(2024, 6, 19)]
    # 05-31 is just outside 19 days back, 06-08 a Saturday, 06-19 a holiday (Juneteenth).
    assert merge_days(existing, dt.date(2024, 6, 19), 19) == [dt.date(2024, 6, 3)]


def test_sensor_launches_one_run_that_merges_idempotently(tmp_path, offline_resources, instance, warehouse, data_dir):
    symbols = listed_throughout()
    old, new = symbols[:-3], symbols[-3:]
    lake = ParquetLake(data_dir / "lake")
    seed_lake(lake, old)
    before = read_all(lake)

    # Two scrapes: the second lists three more symbols.
    path = tmp_path / "nasdaqlisted.txt"
    source = live_source({"nasdaq_listed": lf.write(path, lf.nasdaq_listed(old))})
    resources = {**offline_resources, "universe_source": source}
    dg.materialize([ticker_universe], resources=resources, instance=instance)
    skipped = new_listings_sensor.evaluate_tick(dg.build_sensor_context(instance=instance))
    assert not skipped.run_requests and "first scrape" in skipped.skip_message
    lf.write(path, lf.nasdaq_listed(symbols))
    dg.materialize([ticker_universe], resources=resources, instance=instance)

    tick = new_listings_sensor.evaluate_tick(dg.build_sensor_context(instance=instance))
    assert len(tick.run_requests) == 1  # ONE run for all new symbols
    request = tick.run_requests[0]
    assert request.job_name in (None, "new_listing_history_job")
    config = request.run_config["ops"]["merge_new_listing_history"]["config"]
    assert sorted(config["symbols"]) == new
    config.update(as_of=AS_OF.isoformat(), lookback_days=LOOKBACK)

    first = new_listing_history_job.execute_in_process(run_config=request.run_config, resources=offline_resources,
                                                       instance=instance)
    assert first.success
    merged = read_all(lake)
    window = pl.col("date").is_between(dt.date(2024, 6, 1), AS_OF)
    # Other symbols' rows are untouched, to the byte; days outside the window too.
    assert merged.filter(pl.col("symbol").is_in(old)).equals(before)
    assert merged.filter(~window)["symbol"].is_in(new).sum() == 0
    added = merged.filter(pl.col("symbol").is_in(new))
    assert added.height == 3 * 5 and set(added["symbol"]) == set(new)
    assert lake.partition_days("daily_ohlcv") == LAKE_DAYS  # no partition created
    # One materialization event per touched partition, and the warehouse view sees the rows.
    touched = [m.partition for m in first.asset_materializations_for_node("merge_new_listing_history")]
    assert touched == [d.isoformat() for d in LAKE_DAYS if d >= dt.date(2024, 6, 1)]
    assert warehouse.count("prices.daily_ohlcv", "symbol IN (SELECT unnest(?))", [new]) == 15

    second = new_listing_history_job.execute_in_process(run_config=request.run_config, resources=offline_resources,
                                                        instance=instance)
    assert second.success
    again = read_all(lake)
    assert again.select(VALUES).equals(merged.select(VALUES))
    assert again.height == merged.height


def test_nothing_to_merge_without_existing_partitions(offline_resources, instance, data_dir):
    run_config = {"ops": {"merge_new_listing_history": {"config": {
        "symbols": listed_throughout()[:2], "as_of": AS_OF.isoformat(), "lookback_days": LOOKBACK}}}}
    result = new_listing_history_job.execute_in_process(run_config=run_config, resources=offline_resources,
                                                        instance=instance)
    assert result.success
    assert result.asset_materializations_for_node("merge_new_listing_history") == []
    assert ParquetLake(data_dir / "lake").partition_days("daily_ohlcv") == []


class PartialSource(SyntheticPriceSource):
    """Answers for every session but the first one asked for: a partial answer, no failure recorded."""

    def fetch_range(self, symbols, sessions, log=None):
        result = super().fetch_range(symbols, sessions, log)
        result.bars = result.bars.filter(pl.col("date") != min(sessions))
        return result


def test_a_partial_answer_keeps_the_stored_bars_of_the_days_it_lacks(offline_resources, instance, data_dir, warehouse):
    symbols = listed_throughout()[:4]
    lake = ParquetLake(data_dir / "lake")
    seed_lake(lake, symbols)  # the nightly run already stored these symbols' bars
    before = read_all(lake)
    run_config = {"ops": {"merge_new_listing_history": {"config": {
        "symbols": symbols, "as_of": AS_OF.isoformat(), "lookback_days": LOOKBACK}}}}
    result = new_listing_history_job.execute_in_process(
        run_config=run_config, resources={**offline_resources, "source": PartialSource(ticker_count=DEFAULT_TEST_TICKERS)},
        instance=instance)
    assert result.success
    after = read_all(lake)
    assert after.height == before.height
    assert after.select(VALUES).equals(before.select(VALUES))
    lacking = after.filter(pl.col("date") == dt.date(2024, 6, 3))  # the window's first session
    assert lacking["run_id"].unique().to_list() == ["nightly"]  # not erased, not replaced
