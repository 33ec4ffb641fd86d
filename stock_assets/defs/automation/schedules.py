"""What the daemon runs on the clock, in New York time and by the XNYS calendar.

- `nightly_prices_schedule`: weekdays 16:30 ET, `daily_prices_job` for the session that
  has just closed **and the sessions before it** (`STOCK_ASSETS_NIGHTLY_LOOKBACK_SESSIONS`,
  default 5) as one partition-range run: a missed night, a symbol that failed, a run that
  failed heal by themselves, at no extra Yahoo request (ADR 0014). Holidays are skipped with
  a reason shown on the tick; early-close days (13:00 ET) are fetched at the same 16:30.
- `weekly_maintenance_schedule`: Saturdays 06:00 ET, `weekly_maintenance_job`.
- `weekly_qa_recheck_schedule`: Saturdays 06:30 ET, the checks of `daily_ohlcv` over the
  week's partitions (one run over the range), after the maintenance has released symbols.

All three are RUNNING by default: `dagster dev` or a deployed daemon starts operating at
once (stop one in the UI to pause it). The monthly universe schedule lives with the
universe (defs/universe/).

Missed ticks (daemon down): Dagster evaluates only the latest missed tick of a schedule
without a partition set, once the daemon is back. For the nightly schedule that one run
covers the look-back window; what each schedule and sensor does about them is in its UI
description and in docs/operations.md.
"""

import datetime as dt

import dagster as dg

from stock_assets.defs.automation.jobs import daily_prices_job, qa_recheck_job
from stock_assets.defs.automation.maintenance import weekly_maintenance_job
from stock_assets.lib import calendar, market_hours, self_heal
from stock_assets.settings import Settings

TIMEZONE = "America/New_York"
NIGHTLY_CRON = f"{market_hours.NIGHTLY_RUN_AT.minute} {market_hours.NIGHTLY_RUN_AT.hour} * * 1-5"
WEEKLY_MAINTENANCE_CRON = "0 6 * * 6"
WEEKLY_QA_CRON = "30 6 * * 6"


def nightly_request(scheduled_for: dt.datetime, lookback: int = self_heal.DEFAULT_LOOKBACK_SESSIONS,
                    ) -> dg.RunRequest | dg.SkipReason:
    """The nightly run for the session closed at `scheduled_for`, or why there is none.

    The run covers that session and the `lookback` sessions before it as one partition range
    (one run under the single_run backfill policy): the price asset fetches only what each
    symbol lacks, so older sessions that are complete cost nothing but a rewrite of their file.
    """
    state = market_hours.nightly_session(scheduled_for)
    if not state.is_open:
        return dg.SkipReason(state.reason)
    key = state.session.isoformat()
    tags = {self_heal.TRIGGER_TAG: self_heal.NIGHTLY_TRIGGER,
            "stock_assets/early_close": str(market_hours.is_early_close(state.session)).lower()}
    first = self_heal.window_start(state.session, lookback)
    if first == state.session:
        return dg.RunRequest(run_key=f"nightly-{key}", partition_key=key, tags=tags)
    return dg.RunRequest(
        run_key=f"nightly-{key}",
        tags={**tags, "dagster/asset_partition_range_start": first.isoformat(),
              "dagster/asset_partition_range_end": key},
    )


@dg.schedule(
    job=daily_prices_job,
    cron_schedule=NIGHTLY_CRON,
    execution_timezone=TIMEZONE,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description=(
        "Weekdays 16:30 ET: fetch the session that just closed (prices, actions, checks, QA) together with "
        "the sessions before it (default 5, STOCK_ASSETS_NIGHTLY_LOOKBACK_SESSIONS) as one run, so a missed "
        "night, a failed symbol or a failed run is filled at no extra Yahoo request. XNYS holidays are skipped "
        "with a reason; early closes (13:00 ET) are fetched at 16:30 too. Fails (and alerts) if the universe "
        "is older than 35 days. Missed ticks: after a daemon outage only the latest missed tick runs, and its "
        "window fills the missed nights it covers; older gaps need a backfill (docs/runbooks/missed_night.md)."
    ),
)
def nightly_prices_schedule(context: dg.ScheduleEvaluationContext):
    return nightly_request(context.scheduled_execution_time, Settings.from_env().nightly_lookback_sessions)


@dg.schedule(
    job=weekly_maintenance_job,
    cron_schedule=WEEKLY_MAINTENANCE_CRON,
    execution_timezone=TIMEZONE,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description=(
        "Saturdays 06:00 ET: retry dead-lettered symbols, prune intraday quotes, vacuum the warehouse. "
        "Missed ticks: after a daemon outage only the latest missed tick runs (one run per week, by run "
        "key); a week missed entirely is done by the next Saturday's run, which covers the same ground."
    ),
)
def weekly_maintenance_schedule(context: dg.ScheduleEvaluationContext):
    week = context.scheduled_execution_time.astimezone(calendar.NEW_YORK).date().isocalendar()
    return dg.RunRequest(run_key=f"maintenance-{week.year}-W{week.week:02d}",
                         tags={"stock_assets/trigger": "weekly_maintenance_schedule"})


def week_range(scheduled_for: dt.datetime) -> tuple[str, str]:
    """Monday..Friday partition keys of the week that ended before `scheduled_for`."""
    day = scheduled_for.astimezone(calendar.NEW_YORK).date()
    friday = day - dt.timedelta(days=(day.weekday() - 4) % 7 or 7)  # the last Friday before `day`
    monday = friday - dt.timedelta(days=4)
    return monday.isoformat(), friday.isoformat()


@dg.schedule(
    job=qa_recheck_job,
    cron_schedule=WEEKLY_QA_CRON,
    execution_timezone=TIMEZONE,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description=(
        "Saturdays 06:30 ET: re-run the daily_ohlcv checks over Monday..Friday as one run. Missed ticks: "
        "after a daemon outage only the latest missed tick runs; a week missed entirely is not re-checked "
        "(the nightly runs checked it already): launch qa_recheck_job over that week by hand."
    ),
)
def weekly_qa_recheck_schedule(context: dg.ScheduleEvaluationContext):
    start, end = week_range(context.scheduled_execution_time)
    return dg.RunRequest(
        run_key=f"qa-recheck-{start}",
        tags={"dagster/asset_partition_range_start": start, "dagster/asset_partition_range_end": end,
              "stock_assets/trigger": "weekly_qa_recheck_schedule"},
    )
