"""The evening run for markets beyond the US: after every market's own close (ADR 0019)."""

import datetime as dt

import dagster as dg
import pytest

from stock_assets.defs.automation.markets_schedule import markets_evening_request, markets_evening_schedule
from stock_assets.lib import calendar, market_sessions

NY = calendar.NEW_YORK


def at(day: str, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour, minute), tzinfo=NY)


def test_thanksgiving_evening_fetches_the_day_europe_and_cme_traded():
    request = markets_evening_request(at("2024-11-28", 17, 30))
    assert isinstance(request, dg.RunRequest) and request.partition_key == "2024-11-28"
    assert "XNYS" not in request.tags["stock_assets/markets"].split(",")
    assert {"XLON", "XETR", "CMES"} <= set(request.tags["stock_assets/markets"].split(","))


def test_before_cme_closes_nothing_is_fetched():
    """16:30 ET: Europe has closed, CME Globex (17:00 ET) has not."""
    skip = markets_evening_request(at("2024-06-03", 16, 30))
    assert isinstance(skip, dg.SkipReason) and "CMES still trading" in skip.skip_message
    closed, trading = market_sessions.markets_closed_on(dt.date(2024, 6, 3), at("2024-06-03", 16, 30))
    assert {"XNYS", "XLON", "XETR", "XPAR", "XAMS"} <= set(closed) and trading == ["CMES"]


def test_early_close_is_respected():
    """2024-11-29: NYSE and CME close early (13:00 / 13:15 ET); by 14:00 both have closed."""
    closed, trading = market_sessions.markets_closed_on(dt.date(2024, 11, 29), at("2024-11-29", 14, 0))
    assert trading == [] and {"XNYS", "CMES"} <= set(closed)
    closed, trading = market_sessions.markets_closed_on(dt.date(2024, 11, 29), at("2024-11-29", 12, 0))
    assert "XNYS" in trading


@pytest.mark.parametrize("day", ["2024-12-25", "2024-06-08"])
def test_a_day_no_market_traded_is_skipped(day):
    skip = markets_evening_request(at(day, 17, 30))
    assert isinstance(skip, dg.SkipReason) and "no market" in skip.skip_message


def test_schedule_is_stopped_by_default_and_new_york_time():
    assert markets_evening_schedule.default_status == dg.DefaultScheduleStatus.STOPPED
    assert markets_evening_schedule.execution_timezone == "America/New_York"


def test_on_an_ordinary_weekday_its_own_tick_fetches_cme():
    """At the schedule's own time CME's CMES session (closing 18:00 ET) has closed: a run, not a skip."""
    minute, hour = (int(x) for x in markets_evening_schedule.cron_schedule.split()[:2])
    for day in ("2024-06-03", "2024-11-27"):  # summer and winter time
        request = markets_evening_request(at(day, hour, minute))
        assert isinstance(request, dg.RunRequest), request
        assert "CMES" in request.tags["stock_assets/markets"].split(",")
