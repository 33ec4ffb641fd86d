"""The NYSE trading calendar (XNYS via exchange_calendars), asked in one place.

Why a module of its own: holidays, early closes and "has this session closed yet" decide
what a partition means; every part of the project must agree on them.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    import exchange_calendars as xcals

EXCHANGE = "XNYS"
NEW_YORK = ZoneInfo("America/New_York")
FIRST_SESSION = dt.date(2000, 1, 3)


@lru_cache(maxsize=1)
def _calendar() -> xcals.ExchangeCalendar:
    # Imported on first use, not with the module: exchange_calendars brings pandas (~1 s of
    # start-up), and sensors, the webserver and most CLI calls never ask the calendar.
    import exchange_calendars as xcals

    return xcals.get_calendar(EXCHANGE, start=FIRST_SESSION.isoformat())


def _ts(day: dt.date):
    """`day` as the pandas Timestamp exchange_calendars expects (pandas is loaded by then)."""
    import pandas as pd

    return pd.Timestamp(day)


def is_session(day: dt.date) -> bool:
    """True when NYSE traded on `day` (weekends and holidays are False)."""
    cal = _calendar()
    if day < cal.first_session.date() or day > cal.last_session.date():
        return False
    return bool(cal.is_session(_ts(day)))


def sessions_between(start: dt.date, end: dt.date) -> list[dt.date]:
    """Every NYSE session from `start` to `end`, both included."""
    if end < start:
        return []
    cal = _calendar()
    lo = max(start, cal.first_session.date())
    hi = min(end, cal.last_session.date())
    if hi < lo:
        return []
    return [ts.date() for ts in cal.sessions_in_range(_ts(lo), _ts(hi))]


@lru_cache(maxsize=1)
def all_sessions() -> tuple[dt.date, ...]:
    """Every session the calendar knows, from FIRST_SESSION: the index of synthetic walks."""
    return tuple(ts.date() for ts in _calendar().sessions)


def session_index(day: dt.date) -> int:
    """Position of a session in `all_sessions()`; raises KeyError for a non-session."""
    return _session_positions()[day]


@lru_cache(maxsize=1)
def _session_positions() -> dict[dt.date, int]:
    return {day: i for i, day in enumerate(all_sessions())}


def session_open(day: dt.date) -> dt.datetime:
    """When `day`'s regular session opened, in UTC (9:30 New York time)."""
    return _calendar().session_open(_ts(day)).to_pydatetime()


def session_close(day: dt.date) -> dt.datetime:
    """When the session closed, in UTC (13:00 ET on early-close days, else 16:00 ET)."""
    return _calendar().session_close(_ts(day)).to_pydatetime()


def has_closed(day: dt.date, now: dt.datetime) -> bool:
    """True once `day`'s session is over; non-sessions count as closed at 16:00 ET."""
    if is_session(day):
        return now >= session_close(day)
    return now >= dt.datetime.combine(day, dt.time(16), tzinfo=NEW_YORK)


def previous_session(day: dt.date) -> dt.date:
    """The last session strictly before `day`."""
    return _calendar().date_to_session(_ts(day - dt.timedelta(days=1)), "previous").date()


def latest_closed_session(now: dt.datetime) -> dt.date:
    """The newest session whose close is at or before `now`."""
    day = now.astimezone(NEW_YORK).date()
    while not (is_session(day) and has_closed(day, now)):
        day -= dt.timedelta(days=1)
    return day


def sessions_behind(last: dt.date, as_of: dt.date) -> int:
    """How many sessions after `last`, up to and including `as_of`, have no row."""
    if last >= as_of:
        return 0
    return len(sessions_between(last + dt.timedelta(days=1), as_of))
