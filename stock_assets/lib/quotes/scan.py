"""Which markets the quote scanner watches, and which of them are in regular hours at an instant.

Why from the settings and not the warehouse: the sensor asks every 10 minutes, and a sensor
tick must not wait on the warehouse's write lock. The universe's listing sources say which
markets it can hold (`sp500` -> XNYS, `ftse100` -> XLON, `futures` -> CMES); an unknown name
means every calendar, so a market is never left unwatched by mistake.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from stock_assets.lib import calendar
from stock_assets.lib.quotes.freshness import open_session

UNIVERSE_CALENDARS: dict[str, tuple[str, ...]] = {
    "sp500": ("XNYS",), "nasdaq": ("XNYS",), "us": ("XNYS",), "nasdaq_listed": ("XNYS",),
    "other_listed": ("XNYS",), "ftse100": ("XLON",), "ftse250": ("XLON",), "dax40": ("XETR",),
    "mdax": ("XETR",), "xetra": ("XETR",), "cac40": ("XPAR",), "aex": ("XAMS",),
    "euronext": ("XPAR", "XAMS"), "futures": ("CMES",),
}
SYNTHETIC_CALENDARS: dict[str, str] = {"us": "XNYS", "london": "XLON", "xetra": "XETR", "paris": "XPAR",
                                       "futures": "CMES"}


def calendars_in_use(universe: Iterable[str], synthetic_markets: Iterable[str] = ("us",)) -> tuple[str, ...]:
    """The calendars of the markets a universe (its registry names) can hold, in CALENDARS order."""
    wanted: set[str] = set()
    for name in universe:
        if name == "synthetic":
            wanted |= {SYNTHETIC_CALENDARS[m] for m in synthetic_markets if m in SYNTHETIC_CALENDARS}
        else:
            wanted |= set(UNIVERSE_CALENDARS.get(name, calendar.CALENDARS))
    return tuple(c for c in calendar.CALENDARS if c in wanted)


def closed_reason(now: dt.datetime, calendar_name: str) -> str:
    """Why `calendar_name` is not in regular hours at `now` (aware), naming its next open in UTC."""
    day = now.astimezone(dt.UTC).date()
    why = ("a weekend" if day.weekday() >= 5 else "not a session") if not calendar.is_session(day, calendar_name) \
        else ("before the open" if now < calendar.session_open(day, calendar_name) else "after the close")
    for ahead in range(0, 15):
        candidate = day + dt.timedelta(days=ahead)
        if calendar.is_session(candidate, calendar_name):
            opens = calendar.session_open(candidate, calendar_name)
            if opens > now:
                return f"{calendar_name} closed ({why}; opens {opens:%a %Y-%m-%d %H:%M} UTC)"
    return f"{calendar_name} closed ({why})"


def markets_open(now: dt.datetime, calendars: Iterable[str]) -> tuple[tuple[str, ...], dict[str, str]]:
    """(calendars in regular hours at `now`, {closed calendar: why}), both in the order given."""
    opened, closed = [], {}
    for name in calendars:
        if open_session(now, name) is not None:
            opened.append(name)
        else:
            closed[name] = closed_reason(now, name)
    return tuple(opened), closed
