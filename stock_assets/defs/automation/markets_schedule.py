"""The evening run for markets beyond the US: after every market's close, including CME's.

Why a second schedule and not a later nightly: the nightly (schedules.py) runs at 16:30 ET on
XNYS sessions, when London, Xetra, Paris and Amsterdam have long closed but CME Globex has not,
and it does not run on a US holiday on which Europe trades (Thanksgiving). The daily side
judges CME by exchange_calendars' CMES, whose session closes at 17:00 CT = 18:00 ET (the
maintenance hour included), so this schedule runs `daily_prices_job` for the day at 18:30 ET
(at 17:30 ET it found CME still trading every ordinary day and skipped) on every weekday some market in
CALENDARS traded; the fetch is incremental, so it asks only for what the nightly could not
have (futures, a US holiday's European bars) and each market's bars are fetched after its own
close (ADR 0019). STOPPED by default: turn it on when the universe holds markets beyond the US.
"""

import datetime as dt

import dagster as dg

from stock_assets.defs.automation.jobs import daily_prices_job
from stock_assets.lib import calendar, market_sessions

MARKETS_EVENING_CRON = "30 18 * * 1-5"


def markets_evening_request(scheduled_for: dt.datetime) -> dg.RunRequest | dg.SkipReason:
    """The run for the New York date of `scheduled_for` once every market trading on it has closed."""
    day = scheduled_for.astimezone(calendar.NEW_YORK).date()
    closed, trading = market_sessions.markets_closed_on(day, scheduled_for)
    if not closed and not trading:
        return dg.SkipReason(f"{day}: no market in {', '.join(calendar.CALENDARS)} traded")
    if trading:
        return dg.SkipReason(f"{day}: {', '.join(trading)} still trading; nothing is fetched before its close")
    return dg.RunRequest(run_key=f"markets-evening-{day.isoformat()}", partition_key=day.isoformat(),
                         tags={"stock_assets/trigger": "markets_evening_schedule",
                               "stock_assets/markets": ",".join(closed)})


@dg.schedule(
    job=daily_prices_job,
    cron_schedule=MARKETS_EVENING_CRON,
    execution_timezone="America/New_York",
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description=(
        "Weekdays 18:30 ET: the day's bars of every market that traded (CME's CMES session closes 18:00 ET; "
        "Europe trades on some US holidays). Incremental: only what the 16:30 nightly could not fetch. "
        "Missed ticks: the latest missed tick runs; the next nightly run's window (5 sessions) "
        "fills the markets of the days missed."
    ),
)
def markets_evening_schedule(context: dg.ScheduleEvaluationContext):
    return markets_evening_request(context.scheduled_execution_time)
