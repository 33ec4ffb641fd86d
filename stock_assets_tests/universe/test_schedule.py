"""The monthly refresh runs on the first weekday of the month only, and everything is registered."""

import datetime as dt
import importlib
from zoneinfo import ZoneInfo

import dagster as dg
import pytest

from stock_assets.defs.universe.schedule import is_first_weekday_of_month, monthly_universe_refresh

NY = ZoneInfo("America/New_York")


@pytest.mark.parametrize("day, first", [
    (dt.date(2024, 5, 1), True),   # Wednesday the 1st
    (dt.date(2024, 5, 2), False),
    (dt.date(2024, 6, 1), False),  # Saturday
    (dt.date(2024, 6, 2), False),  # Sunday
    (dt.date(2024, 6, 3), True),   # Monday after a Saturday 1st
    (dt.date(2024, 9, 1), False),  # Sunday
    (dt.date(2024, 9, 2), True),   # Monday after a Sunday 1st (Labor Day: still the first weekday)
    (dt.date(2024, 9, 3), False),
])
def test_is_first_weekday_of_month(day, first):
    assert is_first_weekday_of_month(day) is first


def test_schedule_ticks_on_days_one_to_three_and_skips_the_rest():
    def tick(day):
        when = dt.datetime.combine(day, dt.time(6, 0), tzinfo=NY)
        return monthly_universe_refresh.evaluate_tick(dg.build_schedule_context(scheduled_execution_time=when))

    runs = tick(dt.date(2024, 6, 3))
    assert [r.run_key for r in runs.run_requests] == ["universe-2024-06-03"]
    skipped = tick(dt.date(2024, 6, 1))
    assert not skipped.run_requests and "not the first weekday" in skipped.skip_message
    assert monthly_universe_refresh.cron_schedule == "0 6 1-3 * *"
    assert monthly_universe_refresh.execution_timezone == "America/New_York"


def test_universe_automation_is_registered(monkeypatch):
    monkeypatch.setenv("STOCK_ASSETS_SOURCE", "synthetic")
    defs = importlib.import_module("stock_assets.definitions").defs
    assert defs.get_schedule_def("monthly_universe_refresh").job_name == "universe_job"
    assert defs.get_sensor_def("new_listings_sensor").job_name == "new_listing_history_job"
    job = defs.resolve_job_def("universe_job")
    checks = {k.name for k in job.asset_layer.asset_graph.asset_check_keys}
    assert {"no_duplicate_symbols", "count_within_bounds", "every_symbol_valid"} <= checks
