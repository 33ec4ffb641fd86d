"""The schedules at chosen instants: a session evening, a holiday, a weekend, an early close."""

import datetime as dt
import functools
from zoneinfo import ZoneInfo

import dagster as dg
import pytest

from stock_assets.defs.automation import schedules
from stock_assets.defs.automation.jobs import daily_prices_job

NY = ZoneInfo("America/New_York")


@functools.cache
def repository() -> dg.RepositoryDefinition:
    """The code location's definitions (offline resources): partitioned requests resolve against it."""
    from stock_assets.defs import automation, prices, quality, universe
    from stock_assets.defs.resources import build_resources
    from stock_assets.settings import Settings

    resources = build_resources(Settings.from_env({"STOCK_ASSETS_SOURCE": "synthetic", "STOCK_ASSETS_DATA_DIR": "/nonexistent"}))
    return dg.Definitions.merge(
        universe.defs, prices.defs, quality.defs, automation.defs, dg.Definitions(resources=resources)
    ).get_repository_def()


def evaluate(schedule, when: dt.datetime):
    with dg.instance_for_test() as instance:
        context = dg.build_schedule_context(
            instance=instance, scheduled_execution_time=when, repository_def=repository()
        )
        return schedule.evaluate_tick(context)


def test_nightly_schedule_is_new_york_weekdays_after_the_close():
    sched = schedules.nightly_prices_schedule
    assert sched.execution_timezone == "America/New_York"
    assert sched.cron_schedule == "30 16 * * 1-5"
    assert sched.job_name == "daily_prices_job"
    assert sched.default_status == dg.DefaultScheduleStatus.RUNNING


def _window(request: dg.RunRequest) -> tuple[str, str]:
    """The partition range a nightly request covers (one key: (key, key))."""
    if request.partition_key:
        return request.partition_key, request.partition_key
    return request.tags["dagster/asset_partition_range_start"], request.tags["dagster/asset_partition_range_end"]


def test_session_evening_runs_that_session_and_the_five_before_it():
    result = evaluate(schedules.nightly_prices_schedule, dt.datetime(2024, 6, 10, 16, 30, tzinfo=NY))
    [request] = result.run_requests
    assert _window(request) == ("2024-06-03", "2024-06-10")  # Mon..Mon: five sessions back, one run
    assert request.tags["stock_assets/early_close"] == "false"
    assert request.tags["stock_assets/trigger"] == "nightly_prices_schedule"
    assert request.run_key == "nightly-2024-06-10"


def test_the_window_counts_sessions_not_days():
    """Good Friday 2024-03-29 is no session: five sessions before Wed 04-03 start on Tue 03-26."""
    [request] = evaluate(schedules.nightly_prices_schedule, dt.datetime(2024, 4, 3, 16, 30, tzinfo=NY)).run_requests
    assert _window(request) == ("2024-03-26", "2024-04-03")


def test_the_lookback_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("STOCK_ASSETS_NIGHTLY_LOOKBACK_SESSIONS", "2")
    [request] = evaluate(schedules.nightly_prices_schedule, dt.datetime(2024, 6, 10, 16, 30, tzinfo=NY)).run_requests
    assert _window(request) == ("2024-06-06", "2024-06-10")
    monkeypatch.setenv("STOCK_ASSETS_NIGHTLY_LOOKBACK_SESSIONS", "0")  # tonight only, as one partition
    [request] = evaluate(schedules.nightly_prices_schedule, dt.datetime(2024, 6, 10, 16, 30, tzinfo=NY)).run_requests
    assert request.partition_key == "2024-06-10"
    assert "dagster/asset_partition_range_start" not in request.tags


def test_early_close_day_runs_that_session():
    result = evaluate(schedules.nightly_prices_schedule, dt.datetime(2024, 11, 29, 16, 30, tzinfo=NY))
    [request] = result.run_requests
    assert _window(request)[1] == "2024-11-29"
    assert request.tags["stock_assets/early_close"] == "true"


@pytest.mark.parametrize("when, words", [
    (dt.datetime(2024, 11, 28, 16, 30, tzinfo=NY), "2024-11-28 is an XNYS holiday"),
    (dt.datetime(2024, 12, 25, 16, 30, tzinfo=NY), "2024-12-25 is an XNYS holiday"),
    (dt.datetime(2024, 6, 8, 16, 30, tzinfo=NY), "a weekend"),
    (dt.datetime(2024, 6, 10, 15, 0, tzinfo=NY), "has not closed yet"),
])
def test_no_session_is_skipped_with_a_reason(when, words):
    result = evaluate(schedules.nightly_prices_schedule, when)
    assert not result.run_requests
    assert words in result.skip_message


def test_nightly_ticks_over_a_holiday_week():
    """Thanksgiving week 2024: the daemon's real ticks (Mon-Fri 16:30 ET) and what each does."""
    ticks = dg.ScheduleDefinition(
        cron_schedule=schedules.NIGHTLY_CRON, execution_timezone="America/New_York", job=daily_prices_job,
    )
    start = dt.datetime(2024, 11, 25, 0, 0, tzinfo=NY).timestamp()
    from dagster._utils.schedules import cron_string_iterator

    times = []
    for tick in cron_string_iterator(start, ticks.cron_schedule, "America/New_York"):
        if tick.date() > dt.date(2024, 11, 29):
            break
        times.append(tick)
    outcomes = [evaluate(schedules.nightly_prices_schedule, t) for t in times]
    keys = [_window(o.run_requests[0])[1] if o.run_requests else None for o in outcomes]
    assert keys == ["2024-11-25", "2024-11-26", "2024-11-27", None, "2024-11-29"]


def test_weekly_qa_recheck_covers_the_past_week_as_one_range():
    result = evaluate(schedules.weekly_qa_recheck_schedule, dt.datetime(2024, 6, 15, 6, 30, tzinfo=NY))
    [request] = result.run_requests
    assert request.tags["dagster/asset_partition_range_start"] == "2024-06-10"
    assert request.tags["dagster/asset_partition_range_end"] == "2024-06-14"


@pytest.mark.parametrize("day, friday", [
    (dt.date(2024, 6, 15), "2024-06-14"),  # Saturday
    (dt.date(2024, 6, 17), "2024-06-14"),  # Monday
    (dt.date(2024, 6, 14), "2024-06-07"),  # Friday: that week has not ended
])
def test_week_range(day, friday):
    start, end = schedules.week_range(dt.datetime.combine(day, dt.time(6), tzinfo=NY))
    assert end == friday
    assert dt.date.fromisoformat(start) == dt.date.fromisoformat(end) - dt.timedelta(days=4)


def test_weekly_maintenance_has_one_run_per_week():
    a = evaluate(schedules.weekly_maintenance_schedule, dt.datetime(2024, 6, 15, 6, 0, tzinfo=NY))
    b = evaluate(schedules.weekly_maintenance_schedule, dt.datetime(2024, 6, 22, 6, 0, tzinfo=NY))
    assert a.run_requests[0].run_key == "maintenance-2024-W24"
    assert b.run_requests[0].run_key == "maintenance-2024-W25"
