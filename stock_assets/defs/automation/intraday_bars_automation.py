"""When `intraday_bars` runs by itself: the nightly schedule and the retention sensor.

- `intraday_bars_nightly`: weekdays 17:30 ET (after CME's 17:00 ET close, the latest of the
  watchlist's markets), `intraday_job` for the day that just closed.
- `intraday_retention_sensor`: hourly, finds weekdays inside Yahoo's 1m window
  (lib/intraday/retention.py) that have no 1m file yet and age out within 5 days, and fetches
  them first as one run; a day already past the window is reported as lost on the tick.

Both are RUNNING by default exactly when a watchlist is configured (`STOCK_ASSETS_INTRADAY_SYMBOLS`
set when the code location loads): a person who adds symbols and reloads gets nightly bars
without a second step, and a deployment that never asked for intraday bars makes no intraday
request. Started by hand without a watchlist, a tick skips and says why.
"""

import datetime as dt

from zoneinfo import ZoneInfo

import dagster as dg

from stock_assets.defs.automation.jobs import intraday_job
from stock_assets.lib.intraday import retention
from stock_assets.settings import Settings
from stock_assets.storage.lake import ParquetLake
from stock_assets.storage.resource import WarehouseResource

NIGHTLY_CRON = "30 17 * * 1-5"
TIMEZONE = "America/New_York"
TABLE_1M = "intraday_bars/interval=1m"
NO_WATCHLIST = ("no intraday watchlist: STOCK_ASSETS_INTRADAY_SYMBOLS is not set, so nothing is fetched on a "
                "schedule. Set it (`futures`, a universe name such as `sp500`, or symbols such as `AAPL,ES=F`) "
                "where the code location runs and reload it; intraday_job still runs by hand (watchlist `futures`).")


def watchlist_configured(environ: dict[str, str] | None = None) -> bool:
    """Whether `STOCK_ASSETS_INTRADAY_SYMBOLS` is set (in `environ`, default the process's)."""
    return Settings.from_env(environ).intraday_watchlist_set


def default_statuses(environ: dict[str, str] | None = None) -> tuple[dg.DefaultScheduleStatus, dg.DefaultSensorStatus]:
    """RUNNING for the nightly schedule and the retention sensor exactly when a watchlist is set."""
    if watchlist_configured(environ):
        return dg.DefaultScheduleStatus.RUNNING, dg.DefaultSensorStatus.RUNNING
    return dg.DefaultScheduleStatus.STOPPED, dg.DefaultSensorStatus.STOPPED


_SCHEDULE_STATUS, _SENSOR_STATUS = default_statuses()


def nightly_request(scheduled_for: dt.datetime) -> dg.RunRequest:
    key = scheduled_for.astimezone(ZoneInfo(TIMEZONE)).date().isoformat()
    return dg.RunRequest(run_key=f"intraday-bars-{key}", partition_key=key,
                         tags={"stock_assets/trigger": "intraday_bars_nightly"})


@dg.schedule(
    job=intraday_job,
    cron_schedule=NIGHTLY_CRON,
    execution_timezone=TIMEZONE,
    default_status=_SCHEDULE_STATUS,
    description="Weekdays 17:30 ET: intraday bars of the watchlist for the day that just closed "
                "(a holiday stores an empty day). RUNNING by default when STOCK_ASSETS_INTRADAY_SYMBOLS is set, "
                "else STOPPED (a tick then skips, saying so). Missed ticks: the latest missed tick runs; older "
                "missed days are fetched by intraday_retention_sensor while Yahoo still keeps them.",
)
def intraday_bars_nightly(context: dg.ScheduleEvaluationContext):
    if not watchlist_configured():
        return dg.SkipReason(NO_WATCHLIST)
    return nightly_request(context.scheduled_execution_time)


def retention_request(lake: ParquetLake, today: dt.date) -> tuple[dg.RunRequest | dg.SkipReason, list[dt.date]]:
    """The catch-up run for days about to age out (or why none), and the days already lost."""
    first, lost = retention.sweep(lake.partition_days(TABLE_1M), today)
    lost_text = f"; LOST (past Yahoo's 1m window, never fetched): {', '.join(map(str, lost))}" if lost else ""
    if not first:
        return dg.SkipReason(f"no intraday day ages out within {retention.AT_RISK_DAYS} days{lost_text}"), lost
    start, end = min(first).isoformat(), max(first).isoformat()
    return dg.RunRequest(
        run_key=f"intraday-retention-{start}-{end}",
        tags={"dagster/asset_partition_range_start": start, "dagster/asset_partition_range_end": end,
              "stock_assets/trigger": "intraday_retention_sensor"},
    ), lost


@dg.sensor(
    job=intraday_job,
    minimum_interval_seconds=3600,
    default_status=_SENSOR_STATUS,
    description="Hourly: fetch first the intraday days (1m) about to age out of Yahoo's ~30-day window, "
                "as one run; says on the tick which days were lost anyway. RUNNING by default when "
                "STOCK_ASSETS_INTRADAY_SYMBOLS is set, else STOPPED. Missed ticks: nothing lost "
                "while a day is inside Yahoo's window; the next tick sweeps every day still fetchable.",
)
def intraday_retention_sensor(context: dg.SensorEvaluationContext, warehouse: WarehouseResource):
    if not watchlist_configured():
        return dg.SkipReason(NO_WATCHLIST)
    answer, lost = retention_request(warehouse.lake, dt.datetime.now(dt.UTC).date())
    if lost:
        context.log.warning(f"intraday days lost to Yahoo's retention: {', '.join(map(str, lost))}")
    return answer
