"""The intraday nightly schedule and the retention sensor: which days they ask for, and what they say."""

import datetime as dt
import importlib

import dagster as dg
import polars as pl
import pytest

from stock_assets.defs.automation import intraday_bars_automation
from stock_assets.defs.automation.intraday_bars_automation import (
    TABLE_1M,
    default_statuses,
    intraday_bars_nightly,
    intraday_retention_sensor,
    nightly_request,
    retention_request,
)
from stock_assets.lib.intraday import retention
from stock_assets.lib.intraday.schema import INTRADAY_BARS
from stock_assets.storage.lake import ParquetLake
from stock_assets.storage.resource import WarehouseResource

D = dt.date
TODAY = D(2024, 10, 31)  # a Thursday


def _store(lake, days):
    for day in days:
        lake.write_partition(TABLE_1M, day, pl.DataFrame(schema=INTRADAY_BARS), INTRADAY_BARS)


def test_nightly_asks_for_the_new_york_day_that_just_closed():
    request = nightly_request(dt.datetime(2024, 10, 2, 21, 30, tzinfo=dt.UTC))  # 17:30 ET
    assert request.partition_key == "2024-10-02" and request.run_key == "intraday-bars-2024-10-02"


def test_the_sweep_fetches_days_about_to_age_out_first_and_names_lost_ones():
    edge = retention.oldest_fetchable("1m", TODAY)  # 2024-10-02
    stored = [d for d in retention.weekdays(D(2024, 9, 23), TODAY - dt.timedelta(days=1))
              if d not in (D(2024, 9, 26), edge, D(2024, 10, 4), D(2024, 10, 21))]
    first, lost = retention.sweep(stored, TODAY)
    assert first == [edge, D(2024, 10, 4)]  # 10-21 is missing too, but not at risk yet
    assert lost == [D(2024, 9, 26)]
    assert retention.sweep([], TODAY)[1] == []  # nothing stored yet: nothing called lost


def test_the_retention_request_is_one_range_run_and_says_what_was_lost(tmp_path):
    lake = ParquetLake(tmp_path / "lake")
    edge = retention.oldest_fetchable("1m", TODAY)
    _store(lake, [d for d in retention.weekdays(D(2024, 9, 23), TODAY) if d not in (D(2024, 9, 26), edge)])
    request, lost = retention_request(lake, TODAY)
    assert isinstance(request, dg.RunRequest) and lost == [D(2024, 9, 26)]
    assert request.tags["dagster/asset_partition_range_start"] == request.tags["dagster/asset_partition_range_end"] \
        == edge.isoformat()
    _store(lake, [edge])
    skip, _ = retention_request(lake, TODAY)
    assert isinstance(skip, dg.SkipReason) and "LOST" in skip.skip_message and "2024-09-26" in skip.skip_message


def test_the_sensor_evaluates_against_the_lake(data_dir, monkeypatch):
    monkeypatch.setenv("STOCK_ASSETS_INTRADAY_SYMBOLS", "ES=F")
    resource = WarehouseResource(database=str(data_dir / "warehouse.duckdb"), lake_dir=str(data_dir / "lake"))
    with dg.build_sensor_context(resources={"warehouse": resource}) as context:
        result = intraday_retention_sensor(context)
    assert isinstance(result, dg.RunRequest)  # an empty lake: the oldest days still served come first
    start = dt.date.fromisoformat(result.tags["dagster/asset_partition_range_start"])
    edge = retention.oldest_fetchable("1m", dt.datetime.now(dt.UTC).date())
    assert start == retention.weekdays(edge, edge + dt.timedelta(days=3))[0]


def test_automation_runs_by_default_exactly_when_a_watchlist_is_set():
    assert default_statuses({}) == (dg.DefaultScheduleStatus.STOPPED, dg.DefaultSensorStatus.STOPPED)
    assert default_statuses({"STOCK_ASSETS_INTRADAY_SYMBOLS": "futures"}) == (
        dg.DefaultScheduleStatus.RUNNING, dg.DefaultSensorStatus.RUNNING)


@pytest.fixture
def reloaded(monkeypatch):
    """The automation module loaded again under the test's environment, as a code location reload does."""
    def load(watchlist: str | None):
        if watchlist is None:
            monkeypatch.delenv("STOCK_ASSETS_INTRADAY_SYMBOLS", raising=False)
        else:
            monkeypatch.setenv("STOCK_ASSETS_INTRADAY_SYMBOLS", watchlist)
        return importlib.reload(intraday_bars_automation)
    yield load
    monkeypatch.delenv("STOCK_ASSETS_INTRADAY_SYMBOLS", raising=False)
    importlib.reload(intraday_bars_automation)


def test_the_loaded_definitions_follow_the_watchlist(reloaded):
    module = reloaded("AAPL,ES=F")
    assert module.intraday_bars_nightly.default_status == dg.DefaultScheduleStatus.RUNNING
    assert module.intraday_retention_sensor.default_status == dg.DefaultSensorStatus.RUNNING
    module = reloaded(None)
    assert module.intraday_bars_nightly.default_status == dg.DefaultScheduleStatus.STOPPED
    assert module.intraday_retention_sensor.default_status == dg.DefaultSensorStatus.STOPPED


def test_without_a_watchlist_a_tick_says_why_it_skips(data_dir, monkeypatch):
    monkeypatch.delenv("STOCK_ASSETS_INTRADAY_SYMBOLS", raising=False)
    when = dt.datetime(2024, 10, 2, 21, 30, tzinfo=dt.UTC)
    with dg.build_schedule_context(scheduled_execution_time=when) as context:
        skipped = intraday_bars_nightly(context)
    assert isinstance(skipped, dg.SkipReason) and "STOCK_ASSETS_INTRADAY_SYMBOLS is not set" in skipped.skip_message
    resource = WarehouseResource(database=str(data_dir / "warehouse.duckdb"), lake_dir=str(data_dir / "lake"))
    with dg.build_sensor_context(resources={"warehouse": resource}) as context:
        assert "STOCK_ASSETS_INTRADAY_SYMBOLS is not set" in intraday_retention_sensor(context).skip_message
    monkeypatch.setenv("STOCK_ASSETS_INTRADAY_SYMBOLS", "futures")
    with dg.build_schedule_context(scheduled_execution_time=when) as context:
        assert intraday_bars_nightly(context).partition_key == "2024-10-02"
