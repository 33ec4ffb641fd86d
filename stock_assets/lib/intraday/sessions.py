"""When an instrument's session opens and closes, in UTC, on any exchange_calendars calendar.

Why not just `exchange_calendars`: its CMES calendar runs 17:00 CT to 17:00 CT with no gap,
but CME Globex stops for an hour every day (16:00-17:00 CT, the maintenance break). A CME
session here runs 17:00 CT the evening before (18:00 ET) to 16:00 CT (17:00 ET), or to the
calendar's earlier close on a half-day. Every other calendar (XNYS, XLON, XETR, ...) is taken
as it is: regular hours, half-days included.

Intervals: `1m` is fetched; 5m, 15m, 30m and 1h are derived, aligned to the session open.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo

FETCHED = "1m"
INTERVALS: dict[str, int] = {"1m": 1, "5m": 5, "15m": 15, "30m": 30, "1h": 60}  # minutes
DERIVED = tuple(i for i in INTERVALS if i != FETCHED)
CME = "CMES"
CHICAGO = ZoneInfo("America/Chicago")
CME_CLOSE = dt.time(16)  # CT: the maintenance break runs 16:00-17:00 CT
# Extended hours of a US share (pre-market from 04:00, post-market to 20:00 New York time).
PRE_OPEN = dt.time(4)
POST_CLOSE = dt.time(20)
FIRST_DAY = "2000-01-03"


class UnknownInterval(ValueError):
    """An interval outside INTERVALS."""


def minutes_of(interval: str) -> int:
    try:
        return INTERVALS[interval]
    except KeyError:
        raise UnknownInterval(f"interval {interval!r} is not one of {', '.join(INTERVALS)}") from None


@dataclass(frozen=True)
class SessionWindow:
    """One session of one calendar: regular hours, and the wider hours bars may carry."""

    calendar: str
    day: dt.date
    open: dt.datetime  # UTC, aware
    close: dt.datetime  # UTC, aware (exclusive: the last 1m bar starts a minute before)
    extended_open: dt.datetime
    extended_close: dt.datetime

    @property
    def minutes(self) -> int:
        return int((self.close - self.open).total_seconds() // 60)

    def contains(self, ts: dt.datetime, extended: bool = False) -> bool:
        lo, hi = (self.extended_open, self.extended_close) if extended else (self.open, self.close)
        return lo <= ts < hi


@lru_cache(maxsize=16)
def _calendar(name: str):
    import exchange_calendars as xcals  # pandas on first use only (lib/calendar.py says why)

    return xcals.get_calendar(name, start=FIRST_DAY)


def timezone_of(calendar: str) -> ZoneInfo:
    return ZoneInfo(str(_calendar(calendar).tz))


def is_session(calendar: str, day: dt.date) -> bool:
    import pandas as pd

    cal = _calendar(calendar)
    if day < cal.first_session.date() or day > cal.last_session.date():
        return False
    return bool(cal.is_session(pd.Timestamp(day)))


def next_session(calendar: str, day: dt.date) -> dt.date:
    """`day` if it is a session, else the next one."""
    import pandas as pd

    return _calendar(calendar).date_to_session(pd.Timestamp(day), "next").date()


@lru_cache(maxsize=4096)
def window(calendar: str, day: dt.date) -> SessionWindow | None:
    """`day`'s session of `calendar`, or None when the market did not trade that day."""
    import pandas as pd

    if not is_session(calendar, day):
        return None
    cal = _calendar(calendar)
    opened = cal.session_open(pd.Timestamp(day)).to_pydatetime()
    closed = cal.session_close(pd.Timestamp(day)).to_pydatetime()
    if calendar == CME:
        closed = min(closed, dt.datetime.combine(day, CME_CLOSE, CHICAGO).astimezone(dt.UTC))
        return SessionWindow(calendar, day, opened, closed, opened, closed)
    if calendar != "XNYS":  # Yahoo has extended hours for US shares only
        return SessionWindow(calendar, day, opened, closed, opened, closed)
    tz = timezone_of(calendar)
    ext_open = min(opened, dt.datetime.combine(day, PRE_OPEN, tz).astimezone(dt.UTC))
    ext_close = max(closed, dt.datetime.combine(day, POST_CLOSE, tz).astimezone(dt.UTC))
    return SessionWindow(calendar, day, opened, closed, ext_open, ext_close)


def session_date(calendar: str, ts: dt.datetime) -> dt.date:
    """The trading date a bar starting at `ts` (aware) belongs to.

    A share's bar belongs to its exchange-local date. A CME bar at or after 17:00 CT belongs
    to the next session (Sunday 17:00 CT opens Monday's session).
    """
    if calendar == CME:
        local = ts.astimezone(CHICAGO)
        day = local.date() + dt.timedelta(days=1) if local.time() >= dt.time(17) else local.date()
        return next_session(calendar, day) if not is_session(calendar, day) else day
    return ts.astimezone(timezone_of(calendar)).date()


def calendar_for(symbol: str, known: dict[str, str] | None = None) -> str:
    """The calendar of `symbol`: what the universe stored for it, else the instrument model's
    answer, else XNYS for a bare symbol (the universe's own US shares)."""
    if known and known.get(symbol):
        return known[symbol]
    from stock_assets.lib.markets import UnknownMarket, instrument_for

    try:
        return instrument_for(symbol).calendar
    except UnknownMarket:
        if "." not in symbol and "=" not in symbol and not symbol.startswith("^"):
            return "XNYS"
        raise
