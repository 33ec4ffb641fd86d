"""The QA layer the way users run it: daily_prices_job for a range and a day, checks recorded,
qa tables queried afterwards, reruns replacing rows, and a blocking check stopping qa_summary."""

import datetime as dt

import dagster as dg
import polars as pl
import pytest

from stock_assets.defs import prices, quality, universe
from stock_assets.defs.automation.jobs import daily_prices_job
from stock_assets.lib.schema import DAILY_OHLCV
from stock_assets.defs.resources import build_resources
from stock_assets.settings import Settings
from stock_assets.storage.lake import ParquetLake
from stock_assets.storage.warehouse import Warehouse
from stock_assets_tests.quality.helpers import TICKERS, symbol

RANGE = ("2024-05-20", "2024-06-21")
DAY = "2024-06-20"


def _defs(resources) -> dg.Definitions:
    """The assets of the path under test (not the other domains' schedules, which are theirs to test)."""
    return dg.Definitions.merge(quality.defs, dg.Definitions(
        assets=[universe.assets.ticker_universe, prices.assets.daily_prices],
        jobs=[daily_prices_job], resources=resources))


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    """One data dir for the module: the range run is built once and the tests go on from it."""
    return tmp_path_factory.mktemp("qa_job") / "data"


@pytest.fixture(scope="module")
def instance():
    with dg.instance_for_test() as inst:
        yield inst


@pytest.fixture(scope="module")
def warehouse(data_dir):
    wh = Warehouse(data_dir / "warehouse.duckdb", data_dir / "lake")
    wh.ensure_schema()
    return wh


@pytest.fixture(scope="module")
def loaded(data_dir, instance, warehouse):
    """A universe as of 2024-05-20 and the prices of RANGE, through ticker_universe and the job."""
    offline_resources = build_resources(Settings.from_env({
        "STOCK_ASSETS_SOURCE": "synthetic", "STOCK_ASSETS_DATA_DIR": str(data_dir),
        "STOCK_ASSETS_SYNTHETIC_TICKERS": str(TICKERS)}))
    defs = _defs(offline_resources)
    result = dg.materialize([universe.assets.ticker_universe], instance=instance, resources=offline_resources,
                            run_config={"ops": {"ticker_universe": {"config": {"as_of": RANGE[0]}}}})
    assert result.success
    job = defs.resolve_job_def("daily_prices_job")
    result = job.execute_in_process(instance=instance, tags={
        "dagster/asset_partition_range_start": RANGE[0], "dagster/asset_partition_range_end": RANGE[1]})
    assert result.success
    return defs, job, result


def _evaluations(result) -> dict:
    return {e.check_name: e for e in result.get_asset_check_evaluations()}


def test_range_run_records_every_check_and_the_qa_tables(loaded, warehouse):
    _, _, result = loaded
    ev = _evaluations(result)
    expected = {"schema", "null_fields", "ohlc_consistency", "duplicates", "completeness", "missing_dates",
                "lag", "zero_volume", "price_jump", "iqr_jump", "volume_spike", "fetch_errors",
                "great_expectations"}
    assert expected <= set(ev)
    for name in ("schema", "null_fields", "ohlc_consistency", "duplicates", "completeness", "great_expectations"):
        assert ev[name].passed, (name, ev[name].metadata)
    # The 4:1 split (symbol 0) and the 1:10 reverse split (symbol 5) are in corporate_actions: explained.
    assert ev["price_jump"].passed
    assert ev["price_jump"].metadata["explained_by_splits"].value == 2
    # Symbol 4 traded zero volume on 2024-06-05 and 2024-06-20; symbol 2 has a gap 06-04..06-07.
    assert not ev["zero_volume"].passed and ev["zero_volume"].severity == dg.AssetCheckSeverity.WARN
    assert not ev["missing_dates"].passed
    assert "offending_rows" in ev["zero_volume"].metadata
    assert "qa_summary" in {e.asset_key.path[-1] for e in result.get_asset_materialization_events()}
    assert ev["column_schema_change"].passed  # dagster/column_schema is emitted by daily_prices
    assert ev["fetch_errors"].passed and ev["fetch_errors"].metadata["reports"].value >= 1  # ops.fetch_reports
    assert warehouse.count("qa.summary", "check_name = 'overall'") == 25  # weekdays of the range
    zero = warehouse.query("SELECT date, symbol FROM qa.failures WHERE check_name = 'zero_volume' AND NOT resolved "
                           "AND symbol = ? ORDER BY date", [symbol(4)])
    assert zero["date"].to_list() == [dt.date(2024, 6, 5), dt.date(2024, 6, 20)]
    gap = warehouse.query("SELECT date FROM qa.failures WHERE check_name = 'missing_dates' AND symbol = ?", [symbol(2)])
    assert sorted(gap["date"].to_list()) == [dt.date(2024, 6, d) for d in (4, 5, 6, 7)]
    # Symbol 1 was delisted on 2024-06-14: not missing after it ends (lag's business, as of the range end).
    assert warehouse.count("qa.failures", "check_name = 'missing_dates' AND symbol = ?", [symbol(1)]) == 0
    assert warehouse.count("qa.failures", "check_name = 'lag' AND symbol = ?", [symbol(1)]) == 1


def test_rerun_of_a_day_replaces_its_rows(loaded, instance, warehouse):
    _, job, _ = loaded
    before_failures = warehouse.count("qa.failures")
    first_seen_sql = "SELECT first_seen FROM qa.failures WHERE check_name = 'zero_volume' AND date = ? AND symbol = ?"
    first_seen = warehouse.scalar(first_seen_sql, [dt.date(2024, 6, 20), symbol(4)])
    for _ in range(2):
        result = job.execute_in_process(instance=instance, partition_key=DAY)
        assert result.success
        ev = _evaluations(result)
        assert not ev["zero_volume"].passed  # symbol 4, 2024-06-20
        assert warehouse.count("qa.summary", "date = ?", [dt.date(2024, 6, 20)]) == 16  # 15 checks + overall
    assert warehouse.count("qa.failures") == before_failures
    assert warehouse.scalar(first_seen_sql, [dt.date(2024, 6, 20), symbol(4)]) == first_seen  # kept, not reset
    run_ids = warehouse.query("SELECT DISTINCT run_id FROM qa.summary WHERE date = ?", [dt.date(2024, 6, 20)])
    assert run_ids.height == 1 and run_ids["run_id"][0] == result.run_id


def test_blocking_check_stops_qa_summary_then_a_passing_run_resolves(loaded, instance, warehouse, data_dir):
    defs, _, _ = loaded
    lake = ParquetLake(data_dir / "lake")
    day = dt.date(2024, 6, 20)
    good = lake.read_partition("daily_ohlcv", day, DAILY_OHLCV)
    bad = good.with_columns(high=pl.when(pl.col("symbol") == symbol(10)).then(pl.col("low") / 2).otherwise(pl.col("high")))
    lake.write_partition("daily_ohlcv", day, bad, DAILY_OHLCV)
    qa_job = dg.define_asset_job("qa_only", selection=dg.AssetSelection.groups("quality")
                                 | dg.AssetSelection.checks_for_assets("daily_ohlcv"))
    job = dg.Definitions.merge(defs, dg.Definitions(jobs=[qa_job])).resolve_job_def("qa_only")
    summary_rows = warehouse.count("qa.summary", "check_name = 'overall' AND date = ?", [day])
    result = job.execute_in_process(instance=instance, partition_key=DAY, raise_on_error=False)
    ev = _evaluations(result)
    assert not ev["ohlc_consistency"].passed and not ev["great_expectations"].passed
    assert not result.success  # the blocking checks failed the run ...
    materialized = {e.asset_key.path[-1] for e in result.get_asset_materialization_events()}
    assert "qa_summary" not in materialized  # ... and stopped qa_summary
    assert warehouse.count("qa.summary", "check_name = 'overall' AND date = ? AND run_id = ?",
                           [day, result.run_id]) == 0
    bad_rows = warehouse.query("SELECT symbol, run_id, resolved FROM qa.failures WHERE check_name = 'ohlc_consistency'")
    assert bad_rows.rows() == [(symbol(10), result.run_id, False)]
    assert warehouse.count("qa.summary", "check_name = 'ohlc_consistency' AND date = ? AND NOT passed", [day]) == 1
    lake.write_partition("daily_ohlcv", day, good, DAILY_OHLCV)
    fixed = job.execute_in_process(instance=instance, partition_key=DAY)
    assert fixed.success
    assert warehouse.query("SELECT resolved FROM qa.failures WHERE check_name = 'ohlc_consistency'").rows() == [(True,)]
    assert warehouse.count("qa.summary", "check_name = 'overall' AND date = ?", [day]) == summary_rows


def test_a_holiday_partition_passes_as_market_closed(loaded, instance, warehouse):
    _, job, _ = loaded
    result = job.execute_in_process(instance=instance, partition_key="2024-06-19")  # Juneteenth
    assert result.success
    ev = _evaluations(result)
    assert ev["completeness"].passed and ev["price_jump"].passed and ev["great_expectations"].passed
    assert ev["completeness"].metadata["market_closed"].value == ["2024-06-19"]
    assert warehouse.count("qa.summary", "date = ? AND passed", [dt.date(2024, 6, 19)]) == 16  # 15 + overall


def test_daily_ohlcv_has_a_cron_freshness_policy_and_checks_take_thresholds_as_config():
    from stock_assets.defs.quality.config import QaConfig
    from stock_assets.lib.qa.catalog import Thresholds

    spec = prices.assets.daily_prices.specs_by_key[dg.AssetKey("daily_ohlcv")]
    assert spec.freshness_policy.deadline_cron == "0 20 * * 1-5"
    assert spec.freshness_policy.timezone == "America/New_York"
    assert QaConfig().thresholds() == Thresholds()
    assert QaConfig(min_completeness=0.9, max_move=1.0).thresholds().max_move == 1.0


def test_a_blocking_engine_check_alone_stops_qa_summary_and_run_config_thresholds_are_used(
        loaded, instance, warehouse, data_dir):
    """A x3 print is a price_jump that the GX suite does not see (OHLC stay consistent): the
    engine check alone must block qa_summary. With `max_move: 3.0` as run config the same print
    is under the threshold, so the thresholds of the run config are the ones judged."""
    defs, _, _ = loaded
    lake = ParquetLake(data_dir / "lake")
    day = dt.date(2024, 6, 20)
    good = lake.read_partition("daily_ohlcv", day, DAILY_OHLCV)
    bumped = good.with_columns(pl.when(pl.col("symbol") == symbol(20)).then(pl.col(c) * 3).otherwise(pl.col(c))
                               for c in ("open", "high", "low", "close"))
    lake.write_partition("daily_ohlcv", day, bumped, DAILY_OHLCV)
    qa_job = dg.define_asset_job("qa_jump_only", selection=dg.AssetSelection.groups("quality")
                                 | dg.AssetSelection.checks_for_assets("daily_ohlcv"))
    job = dg.Definitions.merge(defs, dg.Definitions(jobs=[qa_job])).resolve_job_def("qa_jump_only")
    try:
        result = job.execute_in_process(instance=instance, partition_key=DAY, raise_on_error=False)
        ev = _evaluations(result)
        assert not ev["price_jump"].passed and ev["great_expectations"].passed
        assert [c for c, e in ev.items() if not e.passed and e.blocking] == ["price_jump"]
        assert not result.success
        assert "qa_summary" not in {e.asset_key.path[-1] for e in result.get_asset_materialization_events()}
        lenient = {"ops": {"daily_ohlcv_checks": {"config": {"max_move": 3.0}}}}
        result = job.execute_in_process(instance=instance, partition_key=DAY, run_config=lenient)
        ev = _evaluations(result)
        assert ev["price_jump"].passed and ev["price_jump"].metadata["max_move"].value == 3.0
        assert result.success
    finally:
        lake.write_partition("daily_ohlcv", day, good, DAILY_OHLCV)
