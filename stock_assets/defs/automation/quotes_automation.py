"""The market-hours quote scanner: a snapshot every 10 minutes in regular hours, a full refresh after the close.

Why a sensor and not a cron schedule: "every 10 minutes while London, New York or CME is in
its regular session, early closes and holidays included" is a calendar question that cron
cannot ask. The sensor asks the calendars (`lib/quotes/scan.py`) of the markets the universe
holds; outside every market's hours each tick is skipped with the reason (which market
opens when), shown on the sensor's tick list. It is RUNNING by default when the source is
live Yahoo (`STOCK_ASSETS_SOURCE=yahoo`), STOPPED with the synthetic source.

The daily full refresh (weekdays 17:45 ET, after CME's 17:00 close and every European
close) snapshots every symbol, open market or not, so the fundamentals of a symbol whose
market was closed all day (a holiday) are still refreshed once a day.
"""

from __future__ import annotations

import datetime as dt

import dagster as dg

from stock_assets.defs.automation.jobs import quote_snapshots_job
from stock_assets.lib import calendar, market_hours
from stock_assets.lib.quotes.scan import calendars_in_use, markets_open
from stock_assets.settings import Settings

QUOTE_INTERVAL_MINUTES = 10
FULL_REFRESH_CRON = "45 17 * * 1-5"  # New York time


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _config(at: dt.datetime, scope: str) -> dict:
    return {"ops": {"quote_snapshots": {"config": {
        "snapshot_at": at.astimezone(dt.UTC).replace(microsecond=0).isoformat(), "scope": scope}}}}


def scan_request(now: dt.datetime, calendars: tuple[str, ...],
                 minutes: int = QUOTE_INTERVAL_MINUTES) -> dg.RunRequest | dg.SkipReason:
    """A snapshot of the markets in regular hours for the `minutes`-wide slot of `now`, or why none is."""
    opened, closed = markets_open(now, calendars)
    if not opened:
        return dg.SkipReason("no market in regular hours: " + "; ".join(closed.values()))
    slot = market_hours.snapshot_bucket(now, minutes)
    return dg.RunRequest(
        run_key=f"quotes-{slot}",
        run_config=_config(now, "open"),
        tags={"stock_assets/trigger": "quote_snapshots_sensor", "stock_assets/slot": slot,
              "stock_assets/markets": ",".join(opened)},
    )


def full_refresh_request(scheduled_for: dt.datetime, calendars: tuple[str, ...]) -> dg.RunRequest | dg.SkipReason:
    """Every symbol's quote once the day's markets have closed; skipped on a day none of them traded."""
    day = scheduled_for.astimezone(calendar.NEW_YORK).date()
    traded = [c for c in calendars if calendar.is_session(day, c)]
    if not traded:
        return dg.SkipReason(f"{day}: no market in use ({', '.join(calendars)}) traded: nothing to refresh")
    return dg.RunRequest(run_key=f"quotes-full-{day.isoformat()}", run_config=_config(scheduled_for, "all"),
                         tags={"stock_assets/trigger": "quote_snapshots_daily",
                               "stock_assets/markets": ",".join(traded)})


def quote_automation(settings: Settings) -> tuple[dg.SensorDefinition, dg.ScheduleDefinition]:
    """The sensor and the schedule for the universe and source the settings name."""
    calendars = calendars_in_use(settings.universe_names, settings.synthetic_markets)
    live = settings.source == "yahoo"

    @dg.sensor(
        name="quote_snapshots_sensor",
        job=quote_snapshots_job,
        minimum_interval_seconds=QUOTE_INTERVAL_MINUTES * 60,
        default_status=dg.DefaultSensorStatus.RUNNING if live else dg.DefaultSensorStatus.STOPPED,
        description=(
            f"Every {QUOTE_INTERVAL_MINUTES} minutes while a market of the universe ({', '.join(calendars)}) is in "
            "regular hours: quote_snapshots of the symbols of the open markets (quotes and fundamentals, "
            "batched). Outside every market's hours each tick is skipped with the reason. RUNNING by default "
            "with live Yahoo. Missed ticks: lost; a snapshot is of its moment and is not replayed, the next tick "
            "takes the current slot, and the daily full refresh refreshes every symbol after the close."
        ),
    )
    def quote_snapshots_sensor(context: dg.SensorEvaluationContext):
        return scan_request(_now(), calendars)

    @dg.schedule(
        name="quote_snapshots_daily",
        job=quote_snapshots_job,
        cron_schedule=FULL_REFRESH_CRON,
        execution_timezone="America/New_York",
        default_status=dg.DefaultScheduleStatus.RUNNING if live else dg.DefaultScheduleStatus.STOPPED,
        description=(
            "Weekdays 17:45 ET (after CME's and every European close): quote_snapshots of every symbol, the "
            "daily full refresh of universe.fundamentals; skipped on a day no market in use traded. "
            "Missed ticks: the latest missed tick runs (a snapshot of that later moment); days missed "
            "entirely are not replayed, the next refresh brings every symbol up to date."
        ),
    )
    def quote_snapshots_daily(context: dg.ScheduleEvaluationContext):
        return full_refresh_request(context.scheduled_execution_time, calendars)

    return quote_snapshots_sensor, quote_snapshots_daily
