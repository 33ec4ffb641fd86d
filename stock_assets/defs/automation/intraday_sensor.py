"""The intraday snapshot sensor: every N minutes while NYSE is open, one `intraday_quotes` run.

Why a sensor and not a cron schedule: "every 10 minutes from 9:30 to 16:00 on sessions,
13:00 on early closes" is a calendar question that cron cannot ask. The sensor asks
`lib/market_hours.py`; outside market hours each tick is skipped with the reason (weekend,
holiday, before the open, after the close), which the UI shows on the sensor's tick list.
"""

import datetime as dt

import dagster as dg

from stock_assets.defs.automation.jobs import intraday_quotes_job
from stock_assets.lib import market_hours

INTRADAY_INTERVAL_MINUTES = 10


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def intraday_request(now: dt.datetime, minutes: int = INTRADAY_INTERVAL_MINUTES) -> dg.RunRequest | dg.SkipReason:
    """A snapshot run for the `minutes`-wide slot of `now`, or why the market is closed."""
    state = market_hours.market_state(now)
    if not state.is_open:
        return dg.SkipReason(f"market closed: {state.reason}")
    slot = market_hours.snapshot_bucket(now, minutes)
    return dg.RunRequest(
        run_key=f"intraday-{slot}",
        run_config={"ops": {"intraday_quotes": {"config": {
            "snapshot_at": now.astimezone(dt.UTC).replace(microsecond=0).isoformat()}}}},
        tags={"stock_assets/trigger": "intraday_snapshot", "stock_assets/slot": slot},
    )


@dg.sensor(
    job=intraday_quotes_job,
    minimum_interval_seconds=INTRADAY_INTERVAL_MINUTES * 60,
    description=(
        f"Every {INTRADAY_INTERVAL_MINUTES} minutes during XNYS regular hours (9:30-16:00 ET, "
        "13:00 on early closes): snapshot the universe's latest quotes into prices.intraday_quotes. "
        "Outside market hours each tick is skipped with the reason. Missed ticks: a snapshot is of its moment "
        "and is not replayed; after a daemon outage the next tick takes the current slot."
    ),
)
def intraday_snapshot(context: dg.SensorEvaluationContext):
    return intraday_request(_now())
