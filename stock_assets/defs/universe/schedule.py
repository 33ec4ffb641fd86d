"""The monthly universe refresh: the first weekday of each month, before the nightly price run.

Why a guard in the function and not in the cron: cron ORs day-of-month and day-of-week, so
"the first weekday" cannot be written as one cron line. The schedule ticks on days 1-3 at
06:00 New York time (well before the evening price run) and skips every tick that is not
the month's first weekday.
"""

import datetime as dt
from zoneinfo import ZoneInfo

import dagster as dg

TIMEZONE = "America/New_York"
CRON = "0 6 1-3 * *"


def is_first_weekday_of_month(day: dt.date) -> bool:
    """True on the 1st when it is a weekday, else on the Monday after a weekend 1st (2nd or 3rd)."""
    if day.weekday() >= 5:
        return False
    first = day.replace(day=1)
    while first.weekday() >= 5:
        first += dt.timedelta(days=1)
    return day == first


@dg.schedule(
    cron_schedule=CRON,
    execution_timezone=TIMEZONE,
    job_name="universe_job",
    name="monthly_universe_refresh",
    description=(
        "Refresh the ticker universe on the first weekday of each month at 06:00 New York time. Missed ticks: "
        "after a daemon outage only the latest missed tick runs, so a missed refresh is made late if the daemon "
        "is back before the next tick (06:00 on days 1-3), else that month's refresh is skipped; the nightly "
        "price run then fails with an alert once the universe is 35 days old (run universe_job by hand)."
    ),
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
def monthly_universe_refresh(context: dg.ScheduleEvaluationContext):
    tick = context.scheduled_execution_time or dt.datetime.now(ZoneInfo(TIMEZONE))
    day = tick.astimezone(ZoneInfo(TIMEZONE)).date()
    if not is_first_weekday_of_month(day):
        return dg.SkipReason(f"{day} is not the first weekday of the month")
    return dg.RunRequest(run_key=f"universe-{day.isoformat()}", tags={"universe/refresh": "monthly"})
