"""The quote scanner's sensor and daily refresh decide from an injected clock, never the real one."""

import datetime as dt
from zoneinfo import ZoneInfo

import dagster as dg
import pytest

from stock_assets.defs.automation import quotes_automation
from stock_assets.defs.automation.quotes_automation import full_refresh_request, quote_automation, scan_request
from stock_assets.lib.quotes.scan import calendars_in_use
from stock_assets.settings import Settings

NY = ZoneInfo("America/New_York")


def test_in_us_hours_one_snapshot_per_slot_of_the_open_market():
    now = dt.datetime(2024, 6, 10, 11, 7, 30, tzinfo=NY)
    request = scan_request(now, ("XNYS", "XLON"))
    assert isinstance(request, dg.RunRequest)
    assert request.run_key == "quotes-2024-06-10T15:00Z"  # 11:07 ET is in the 15:00 UTC slot
    config = request.run_config["ops"]["quote_snapshots"]["config"]
    assert config == {"snapshot_at": "2024-06-10T15:07:30+00:00", "scope": "open"}
    assert request.tags["stock_assets/markets"] == "XNYS,XLON"  # London is open until 16:30 BST
    later = scan_request(now + dt.timedelta(minutes=2), ("XNYS",))
    assert later.run_key == request.run_key  # the same slot: one run, however often the sensor ticks


def test_london_morning_and_a_us_holiday_run_for_london_only():
    morning = scan_request(dt.datetime(2024, 6, 10, 4, 0, tzinfo=NY), ("XNYS", "XLON"))  # 09:00 London
    assert morning.tags["stock_assets/markets"] == "XLON"
    thanksgiving = scan_request(dt.datetime(2024, 11, 28, 10, 0, tzinfo=NY), ("XNYS", "XLON"))
    assert thanksgiving.tags["stock_assets/markets"] == "XLON"


@pytest.mark.parametrize("now, calendars, says", [
    (dt.datetime(2024, 6, 8, 11, 0, tzinfo=NY), ("XNYS",), "XNYS closed (a weekend; opens Mon 2024-06-10 13:30 UTC)"),
    (dt.datetime(2024, 7, 4, 11, 0, tzinfo=NY), ("XNYS",), "XNYS closed (not a session; opens Fri 2024-07-05 13:30 UTC)"),
    (dt.datetime(2024, 6, 10, 8, 0, tzinfo=NY), ("XNYS",), "XNYS closed (before the open; opens Mon 2024-06-10 13:30 UTC)"),
    (dt.datetime(2024, 11, 29, 14, 0, tzinfo=NY), ("XNYS",), "XNYS closed (after the close; opens Mon 2024-12-02"),
    (dt.datetime(2024, 6, 10, 17, 30, tzinfo=NY), ("XNYS", "XLON"), "XLON closed (after the close; opens Tue 2024-06-11 07:00 UTC)"),
])
def test_outside_every_market_s_hours_the_tick_says_why(now, calendars, says):
    skip = scan_request(now, calendars)
    assert isinstance(skip, dg.SkipReason)
    assert skip.skip_message.startswith("no market in regular hours: ")
    assert says in skip.skip_message


def test_cme_globex_evening_is_regular_hours_of_the_next_session():
    request = scan_request(dt.datetime(2024, 6, 10, 19, 0, tzinfo=NY), ("XNYS", "CMES"))
    assert request.tags["stock_assets/markets"] == "CMES"


def test_daily_full_refresh_takes_every_symbol_unless_no_market_traded():
    at = dt.datetime(2024, 6, 10, 17, 45, tzinfo=NY)
    request = full_refresh_request(at, ("XNYS", "XLON"))
    assert request.run_key == "quotes-full-2024-06-10"
    assert request.run_config["ops"]["quote_snapshots"]["config"]["scope"] == "all"
    thanksgiving = dt.datetime(2024, 11, 28, 17, 45, tzinfo=NY)
    assert isinstance(full_refresh_request(thanksgiving, ("XNYS",)), dg.SkipReason)
    assert full_refresh_request(thanksgiving, ("XNYS", "XLON")).tags["stock_assets/markets"] == "XLON"


@pytest.mark.parametrize("source, status", [("yahoo", dg.DefaultSensorStatus.RUNNING),
                                            ("synthetic", dg.DefaultSensorStatus.STOPPED)])
def test_running_by_default_with_live_yahoo_only(source, status):
    sensor, schedule = quote_automation(Settings.from_env({"STOCK_ASSETS_SOURCE": source}))
    assert sensor.default_status == status
    assert schedule.default_status.value == status.value
    assert sensor.minimum_interval_seconds == 600


def test_the_sensor_tick_uses_its_clock(monkeypatch):
    sensor, _ = quote_automation(Settings.from_env({"STOCK_ASSETS_SOURCE": "yahoo", "STOCK_ASSETS_UNIVERSE": "sp500"}))
    monkeypatch.setattr(quotes_automation, "_now", lambda: dt.datetime(2024, 6, 8, 11, 0, tzinfo=NY))
    with dg.instance_for_test() as instance:
        result = sensor.evaluate_tick(dg.build_sensor_context(instance=instance))
    assert not result.run_requests and "a weekend" in result.skip_message
    monkeypatch.setattr(quotes_automation, "_now", lambda: dt.datetime(2024, 6, 10, 11, 0, tzinfo=NY))
    with dg.instance_for_test() as instance:
        result = sensor.evaluate_tick(dg.build_sensor_context(instance=instance))
    [request] = result.run_requests
    assert request.run_key == "quotes-2024-06-10T15:00Z"


def test_markets_watched_follow_the_universe():
    assert calendars_in_use(["sp500"]) == ("XNYS",)
    assert calendars_in_use(["sp500", "ftse100", "futures"]) == ("XNYS", "XLON", "CMES")
    assert calendars_in_use(["euronext"]) == ("XPAR", "XAMS")
    assert calendars_in_use(["synthetic"], ["us", "london"]) == ("XNYS", "XLON")
    assert calendars_in_use(["some_new_source"]) == ("XNYS", "XLON", "XETR", "XPAR", "XAMS", "CMES")
