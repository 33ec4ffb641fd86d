"""When a quote is too old to store, and when a market is in its regular session.

Why allow for the exchange's delay: Yahoo's London quotes are delayed by 15-20 minutes
(`exchangeDataDelayedBy: 15` and `20` in the recorded answers). Judged by the wall clock alone, every
London quote would be stale all day; judged by its delay, a London quote 16 minutes old
with a 15-minute delay is one minute old. A quote is stale when, less that announced delay, it is more than
`MAX_AGE` (5 minutes) older than the snapshot, *while its market is in regular hours*:
outside them the last trade is legitimately old.
"""

from __future__ import annotations

import datetime as dt

from stock_assets.lib import calendar

MAX_AGE = dt.timedelta(minutes=5)


def stale_reason(quote_time: dt.datetime, snapshot_at: dt.datetime, delayed_by_minutes: float = 0.0,
                 max_age: dt.timedelta = MAX_AGE) -> str | None:
    """Why the quote is stale (naive UTC instants), or None when it is fresh enough."""
    age = snapshot_at - quote_time
    late = age - dt.timedelta(minutes=max(0.0, delayed_by_minutes))
    if late <= max_age:
        return None
    delay = f" beyond the exchange's {delayed_by_minutes:g}-minute delay" if delayed_by_minutes else ""
    return (f"quote of {quote_time:%Y-%m-%d %H:%M:%S} UTC is {age.total_seconds() / 60:.1f} min old at "
            f"{snapshot_at:%H:%M:%S} UTC{delay}, more than {max_age.total_seconds() / 60:g} min in regular hours")


def open_session(now: dt.datetime, calendar_name: str) -> dt.date | None:
    """The session of `calendar_name` whose regular hours contain `now` (aware), or None.

    Looks at the UTC date and its neighbours: a CME Globex session dated D opens the evening
    before, and Asian or European sessions straddle UTC midnight nowhere we list, but the
    neighbours cost nothing to ask.
    """
    if now.tzinfo is None:
        raise ValueError("regular hours need a timezone-aware instant")
    day = now.astimezone(dt.UTC).date()
    for candidate in (day, day + dt.timedelta(days=1), day - dt.timedelta(days=1)):
        if calendar.is_session(candidate, calendar_name) and \
                calendar.session_open(candidate, calendar_name) <= now < calendar.session_close(candidate, calendar_name):
            return candidate
    return None
