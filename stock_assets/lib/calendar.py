"""The trading calendars (exchange_calendars), asked in one place: XNYS by default.

Why a module of its own: holidays, early closes and "has this session closed yet" decide
what a partition means; every part of the project must agree on them. Every function takes
the calendar's exchange_calendars name (`XNYS`, `XLON`, `XETR`, `XPAR`, `XAMS`, `CMES`):
a bar's date is its own market's session date (ADR 0019). CMES sessions are CME Globex
trading days: the session dated D opens at 18:00 ET on the evening before and closes at
17:00 CT = 18:00 ET on D (exchange_calendars counts the daily maintenance hour in the session;
lib/intraday/sessions.py keeps the 17:00 ET end of trading for minute bars).

The weekday index (`all_weekdays`, `weekday_index`) is the one position every calendar
shares: the partitions are the weekdays, so the QA's ordered pass indexes rows by it and
asks each calendar which weekdays are its sessions (`session_counts`).
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import numpy as np

if TYPE_CHECKING:
    import exchange_calendars as xcals

EXCHANGE = "XNYS"
CALENDARS = ("XNYS", "XLON", "XETR", "XPAR", "XAMS", "CMES")
NEW_YORK = ZoneInfo("America/New_York")
FIRST_SESSION = dt.date(2000, 1, 3)


class UnknownCalendar(ValueError):
    """A calendar name outside CALENDARS."""


@lru_cache(maxsize=32)
def _calendar(name: str = EXCHANGE) -> xcals.ExchangeCalendar:
    # Imported on first use, not with the module: exchange_calendars brings pandas (~1 s of
    # start-up), and sensors, the webserver and most CLI calls never ask the calendar.
    import exchange_calendars as xcals

    if name not in CALENDARS and name not in xcals.get_calendar_names(include_aliases=False):
        raise UnknownCalendar(f"calendar {name!r} is neither one of {', '.join(CALENDARS)} nor an "
                              "exchange_calendars name")
    return xcals.get_calendar(name, start=FIRST_SESSION.isoformat())


def _ts(day: dt.date):
    """`day` as the pandas Timestamp exchange_calendars expects (pandas is loaded by then)."""
    import pandas as pd

    return pd.Timestamp(day)


def is_session(day: dt.date, name: str = EXCHANGE) -> bool:
    """True when the market `name` traded on `day` (weekends and holidays are False)."""
    cal = _calendar(name)
    if day < cal.first_session.date() or day > cal.last_session.date():
        return False
    return bool(cal.is_session(_ts(day)))


def sessions_between(start: dt.date, end: dt.date, name: str = EXCHANGE) -> list[dt.date]:
    """Every session of `name` from `start` to `end`, both included."""
    if end < start:
        return []
    cal = _calendar(name)
    lo = max(start, cal.first_session.date())
    hi = min(end, cal.last_session.date())
    if hi < lo:
        return []
    return [ts.date() for ts in cal.sessions_in_range(_ts(lo), _ts(hi))]


@lru_cache(maxsize=32)
def all_sessions(name: str = EXCHANGE) -> tuple[dt.date, ...]:
    """Every session the calendar knows, from FIRST_SESSION: the index of synthetic walks."""
    return tuple(ts.date() for ts in _calendar(name).sessions)


def session_index(day: dt.date, name: str = EXCHANGE) -> int:
    """Position of a session in `all_sessions(name)`; raises KeyError for a non-session."""
    return _session_positions(name)[day]


@lru_cache(maxsize=32)
def _session_positions(name: str = EXCHANGE) -> dict[dt.date, int]:
    return {day: i for i, day in enumerate(all_sessions(name))}


def session_open(day: dt.date, name: str = EXCHANGE) -> dt.datetime:
    """When `day`'s session opened, in UTC (XNYS: 9:30 New York; CMES: 18:00 ET the evening before)."""
    return _calendar(name).session_open(_ts(day)).to_pydatetime()


def session_close(day: dt.date, name: str = EXCHANGE) -> dt.datetime:
    """When the session closed, in UTC, early closes included (XNYS: 13:00 ET on those, else 16:00 ET)."""
    return _calendar(name).session_close(_ts(day)).to_pydatetime()


def has_closed(day: dt.date, now: dt.datetime, name: str = EXCHANGE) -> bool:
    """True once `day`'s session of `name` is over; non-sessions count as closed at 16:00 ET."""
    if is_session(day, name):
        return now >= session_close(day, name)
    return now >= dt.datetime.combine(day, dt.time(16), tzinfo=NEW_YORK)


def previous_session(day: dt.date, name: str = EXCHANGE) -> dt.date:
    """The last session of `name` strictly before `day`."""
    return _calendar(name).date_to_session(_ts(day - dt.timedelta(days=1)), "previous").date()


def latest_closed_session(now: dt.datetime, name: str = EXCHANGE) -> dt.date:
    """The newest session of `name` whose close is at or before `now`."""
    day = now.astimezone(NEW_YORK).date()
    while not (is_session(day, name) and has_closed(day, now, name)):
        day -= dt.timedelta(days=1)
    return day


def sessions_behind(last: dt.date, as_of: dt.date, name: str = EXCHANGE) -> int:
    """How many sessions of `name` after `last`, up to and including `as_of`, have no row."""
    if last >= as_of:
        return 0
    return len(sessions_between(last + dt.timedelta(days=1), as_of, name))


# -- the weekday index every calendar shares --------------------------------------------------
@lru_cache(maxsize=1)
def all_weekdays() -> tuple[dt.date, ...]:
    """Every weekday from FIRST_SESSION to the calendars' last session: the partition days."""
    last = _calendar(EXCHANGE).last_session.date()
    days = (FIRST_SESSION + dt.timedelta(days=i) for i in range((last - FIRST_SESSION).days + 1))
    return tuple(d for d in days if d.weekday() < 5)


def weekday_index(day: dt.date) -> int:
    """Position of a weekday in `all_weekdays()`; raises KeyError for a weekend day."""
    return _weekday_positions()[day]


@lru_cache(maxsize=1)
def _weekday_positions() -> dict[dt.date, int]:
    return {day: i for i, day in enumerate(all_weekdays())}


@lru_cache(maxsize=16)
def session_counts(name: str = EXCHANGE) -> np.ndarray:
    """Sessions of `name` on or before each weekday, indexed by `weekday_index` (int64).

    Why cumulative: the sessions of a symbol's own market strictly between two of its rows
    at weekday positions p < i are `counts[i - 1] - counts[p]`, one subtraction per row.
    """
    sessions = set(all_sessions(name))
    return np.cumsum([d in sessions for d in all_weekdays()], dtype=np.int64)
