"""The weekly maintenance job and the weekly QA re-check, executed in process."""

import datetime as dt

import dagster as dg
import polars as pl
import pytest

from stock_assets.defs import automation, prices, quality, universe
from stock_assets.defs.automation.maintenance import weekly_maintenance_job
from stock_assets.defs.universe.assets import ticker_universe
from stock_assets.storage import dead_letter


@pytest.fixture
def defs(offline_resources) -> dg.Definitions:
    return dg.Definitions.merge(
        universe.defs, prices.defs, quality.defs, automation.defs, dg.Definitions(resources=offline_resources)
    )


def _dead(symbols: list[str]) -> pl.DataFrame:
    return pl.DataFrame({
        "symbol": symbols, "since": [dt.datetime(2024, 6, 1)] * len(symbols),
        "failed_nights": [3] * len(symbols), "last_code": ["YFTZ"] * len(symbols),
        "last_message": ["possibly delisted"] * len(symbols),
    }, schema={"symbol": pl.String, "since": pl.Datetime("us"), "failed_nights": pl.Int32,
               "last_code": pl.String, "last_message": pl.String})


def test_maintenance_releases_dead_symbols_that_answer_again(defs, offline_resources, instance, warehouse):
    assert dg.materialize([ticker_universe], resources=offline_resources, instance=instance).success
    alive = warehouse.query("SELECT yahoo_symbol FROM universe.tickers WHERE status = 'active' ORDER BY 1 LIMIT 1").item()
    warehouse.append_rows("ops.dead_letter", _dead([alive, "GONE1"]))

    result = defs.resolve_job_def("weekly_maintenance_job").execute_in_process(
        instance=instance,
        run_config={"ops": {"retry_dead_letters": {"config": {"session": "2024-06-10"}}}},
    )
    assert result.success
    assert result.output_for_node("retry_dead_letters") == [alive]
    assert dead_letter.dead_symbols(warehouse) == ["GONE1"]
    assert warehouse.count("ops.dead_letter_releases", "symbol = ?", [alive]) == 1
    report = result.output_for_node("tidy_warehouse")
    assert report["dead_letters_released"] == 1
    assert report["bytes_after"] > 0


def test_maintenance_with_nothing_dead_still_tidies(defs, instance, warehouse):
    result = defs.resolve_job_def(weekly_maintenance_job.name).execute_in_process(instance=instance)
    assert result.success
    assert result.output_for_node("retry_dead_letters") == []


def test_maintenance_purges_runs_older_than_the_retention(defs, instance):
    job = defs.resolve_job_def("weekly_maintenance_job")
    old = job.execute_in_process(instance=instance).run_id
    keep_all = job.execute_in_process(instance=instance)
    assert keep_all.output_for_node("purge_old_runs") == 0
    assert instance.get_run_by_id(old) is not None
    purge = job.execute_in_process(
        instance=instance, run_config={"ops": {"purge_old_runs": {"config": {"keep_days": 0}}}},
    )
    assert purge.output_for_node("purge_old_runs") >= 2
    assert instance.get_run_by_id(old) is None
    assert instance.get_run_by_id(purge.run_id) is not None  # the purging run itself is still running


def test_qa_recheck_runs_the_checks_over_a_week_as_one_run(defs, offline_resources, instance, warehouse):
    assert dg.materialize([ticker_universe], resources=offline_resources, instance=instance).success
    week = {"dagster/asset_partition_range_start": "2024-03-18", "dagster/asset_partition_range_end": "2024-03-22"}
    assert defs.resolve_job_def("daily_prices_job").execute_in_process(instance=instance, tags=week).success
    rows = warehouse.count("prices.daily_ohlcv")
    assert rows > 0

    recheck = defs.resolve_job_def("qa_recheck_job").execute_in_process(instance=instance, tags=week)
    assert recheck.success
    evaluations = {e.check_name: e for e in recheck.get_asset_check_evaluations()}
    foundation = {"schema", "duplicates", "ohlc_consistency", "completeness"}
    assert foundation <= set(evaluations)
    assert all(evaluations[name].passed for name in foundation)
    assert not recheck.get_asset_materialization_events()  # checks only: prices are not refetched
    assert warehouse.count("prices.daily_ohlcv") == rows
