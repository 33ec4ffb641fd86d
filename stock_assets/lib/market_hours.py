"""When is NYSE trading right now, and which session should the nightly run fetch?

Why pure functions: the intraday sensor and the nightly schedule decide *whether* to run
from the clock and the XNYS calendar; tested here at chosen instants (a session morning,
a holiday, a weekend, an early-close afternoon) without a daemon.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from stock_assets.lib import calendar
from stock_assets.lib.calendar import NEW_YORK

REGULAR_OPEN = dt.time(9, 30)
NIGHTLY_RUN_AT = dt.time(16, 30)  # New York time: after every close, early closes included


@dataclass(frozen=True)
class MarketState:
    """Whether the regular session is open at an instant, and a sentence saying why (not)."""

    is_open: bool
    reason: str
    session: dt.date | None = None


def _aware(now: dt.datetime) -> dt.datetime:
    if now.tzinfo is None:
        raise ValueError("market hours need a timezone-aware instant (UTC or New York)")
    return now


def session_open(day: dt.date) -> dt.datetime:
    """When `day`'s regular session opens, in UTC (9:30 New York time)."""
    return calendar.session_open(day)


def is_early_close(day: dt.date) -> bool:
    """True on sessions that close before 16:00 New York time (e.g. 13:00 the day after Thanksgiving)."""
    if not calendar.is_session(day):
        return False
    return calendar.session_close(day).astimezone(NEW_YORK).time() < dt.time(16)


def market_state(now: dt.datetime) -> MarketState:
    """Is the XNYS regular session open at `now` (timezone-aware)? Always with a reason."""
    local = _aware(now).astimezone(NEW_YORK)
    day = local.date()
    if not calendar.is_session(day):
        kind = "a weekend" if day.weekday() >= 5 else "an XNYS holiday"
        return MarketState(False, f"{day} is {kind}: the market is closed all day")
    opens, closes = session_open(day), calendar.session_close(day)
    if now < opens:
        return MarketState(False, f"before the open: {day} opens at {opens.astimezone(NEW_YORK):%H:%M} ET", day)
    if now >= closes:
        early = " (early close)" if is_early_close(day) else ""
        return MarketState(False, f"after the close: {day} closed at {closes.astimezone(NEW_YORK):%H:%M} ET{early}", day)
    return MarketState(True, f"{day} is open until {closes.astimezone(NEW_YORK):%H:%M} ET", day)


def nightly_session(scheduled_for: dt.datetime) -> MarketState:
    """Which session a nightly run scheduled at `scheduled_for` should fetch, if any.

    The session is the New York date of the tick; it is fetched only when it is an XNYS
    session and it has closed (so a run at 16:30 ET on an early-close day fetches it, and
    a tick before the close, e.g. a manual test at noon, is refused).
    """
    local = _aware(scheduled_for).astimezone(NEW_YORK)
    day = local.date()
    if not calendar.is_session(day):
        kind = "a weekend" if day.weekday() >= 5 else "an XNYS holiday"
        return MarketState(False, f"{day} is {kind}: no session to fetch")
    if not calendar.has_closed(day, scheduled_for):
        close = calendar.session_close(day).astimezone(NEW_YORK)
        return MarketState(False, f"{day} has not closed yet (closes {close:%H:%M} ET)", day)
    early = " (early close)" if is_early_close(day) else ""
    return MarketState(True, f"{day} closed{early}: fetch it", day)


def snapshot_bucket(now: dt.datetime, minutes: int) -> str:
    """A key naming the `minutes`-wide slot `now` falls in (UTC): one snapshot per slot."""
    utc = _aware(now).astimezone(dt.UTC)
    slot = (utc.hour * 60 + utc.minute) // minutes * minutes
    return f"{utc:%Y-%m-%d}T{slot // 60:02d}:{slot % 60:02d}Z"
