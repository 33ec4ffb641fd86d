"""The trading-day partitions: one definition, used by every partitioned asset and job.

Weekday windows in New York time from 2000-01-03. `end_offset=1` makes the window of the
day in progress a partition too, so the nightly run can target the session that has just
closed (without it, Friday's partition would only appear on Monday; DAGSTER_NOTES.md).
The assets refuse a session that has not closed yet. Holidays are real partitions that
materialise as zero rows, because the XNYS calendar says the market was closed.
"""

import datetime as dt

import dagster as dg

from stock_assets.lib.calendar import FIRST_SESSION

trading_days = dg.TimeWindowPartitionsDefinition(
    cron_schedule="0 0 * * 1-5",
    start=FIRST_SESSION.isoformat(),
    fmt="%Y-%m-%d",
    timezone="America/New_York",
    end_offset=1,
)


class BadPartitionKey(ValueError):
    """A partition key that is not a weekday date in the trading-day partitions."""


def parse_partition_key(key: str) -> dt.date:
    """The date a partition key names, or a BadPartitionKey saying what a key looks like."""
    try:
        day = dt.date.fromisoformat(key)
    except (TypeError, ValueError):
        raise BadPartitionKey(
            f"partition key {key!r} is not a date; trading-day keys look like 2024-06-03"
        ) from None
    if day.weekday() >= 5 or day < FIRST_SESSION:
        raise BadPartitionKey(
            f"partition key {key!r} is not a trading-day partition (weekdays from {FIRST_SESSION})"
        )
    return day


def window_days(context: dg.AssetExecutionContext) -> list[dt.date]:
    """Every partition day (weekday) of the run's partition range, holidays included."""
    return [parse_partition_key(k) for k in context.partition_keys]
