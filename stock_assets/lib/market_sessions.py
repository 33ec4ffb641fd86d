"""Which (market, day) pairs a run fetches: each market's own sessions, each after its own close.

Why pure and apart: a partition is a weekday that holds every market's bars for that date
(DESIGN.md). London trades on US Thanksgiving and not on a UK bank holiday; CME Globex's
session dated D closes at 18:00 ET on D (exchange_calendars' CMES: 17:00 CT). So a run asks
each symbol only for its own market's sessions, and only once that session has closed; a
market still trading is *pending* (left for a later run), and only a day on which no market
has closed yet is refused (ADR 0019).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from stock_assets.lib import calendar, markets


class SessionNotClosed(RuntimeError):
    """Every market trading on a day is still open (or the day is in the future)."""

    def __init__(self, day: dt.date, message: str):
        super().__init__(message)
        self.day = day


@dataclass(frozen=True)
class SessionPlan:
    """Per calendar, the days of the window that are its closed sessions; and what is pending."""

    sessions: dict[str, list[dt.date]]
    pending: dict[str, list[dt.date]] = field(default_factory=dict)

    @property
    def all_sessions(self) -> list[dt.date]:
        """Days on which at least one market in use has a closed session."""
        return sorted({d for days in self.sessions.values() for d in days})

    def for_symbol(self, calendar_name: str) -> list[dt.date]:
        return self.sessions.get(calendar_name, [])


def plan(days: Iterable[dt.date], calendars: Iterable[str], now: dt.datetime) -> SessionPlan:
    """The sessions of each calendar among `days` that have closed by `now` (aware, UTC).

    Raises SessionNotClosed for a day on which no market in use has closed yet: a market
    trading that day whose close is later, or (a day that is no market's session) before
    16:00 ET. Every market open-but-not-closed on a day some other market has closed is
    listed in `pending`.
    """
    names = sorted(set(calendars)) or [calendar.EXCHANGE]
    sessions: dict[str, list[dt.date]] = {n: [] for n in names}
    pending: dict[str, list[dt.date]] = {}
    for day in sorted(set(days)):
        trading = [n for n in names if calendar.is_session(day, n)]
        if not trading:
            if not calendar.has_closed(day, now):
                raise SessionNotClosed(day, f"{day} is in the future; daily bars exist only after the close.")
            continue
        closed = [n for n in trading if calendar.has_closed(day, now, n)]
        if not closed:
            first = min(trading, key=lambda n: calendar.session_close(day, n))
            closes = calendar.session_close(day, first)
            raise SessionNotClosed(day, (
                f"session {day} has not closed yet on any market in use ({', '.join(trading)}; the first, "
                f"{first}, closes {closes:%Y-%m-%d %H:%M} UTC); daily bars exist only after the close."))
        for n in closed:
            sessions[n].append(day)
        for n in trading:
            if n not in closed:
                pending.setdefault(n, []).append(day)
    return SessionPlan(sessions=sessions, pending=pending)


def calendars_of(symbols: Iterable[str], known: Mapping[str, str | None]) -> dict[str, str]:
    """Each symbol's calendar: the universe's `calendar` column, else read from the symbol's form.

    A symbol whose market neither tells (no column, an unknown suffix: `markets.UnknownMarket`)
    is left out, never put on XNYS by default; `unknown_markets` says which and why.
    """
    return judged(symbols, known)[0]


def unknown_markets(symbols: Iterable[str], known: Mapping[str, str | None]) -> dict[str, str]:
    """symbol -> why its market cannot be told (the symbols `calendars_of` leaves out)."""
    return judged(symbols, known)[1]


def judged(symbols: Iterable[str], known: Mapping[str, str | None]) -> tuple[dict[str, str], dict[str, str]]:
    """(calendar per symbol whose market is known, reason per symbol whose market is not)."""
    calendars: dict[str, str] = {}
    unknown: dict[str, str] = {}
    for s in symbols:
        try:
            calendars[s] = markets.calendar_of(s, known.get(s))
        except markets.UnknownMarket as err:
            unknown[s] = f"market unknown: {err.reason}"
    return calendars, unknown


def markets_closed_on(day: dt.date, now: dt.datetime, calendars: Iterable[str] = calendar.CALENDARS) -> tuple[list[str], list[str]]:
    """(closed, still trading): the markets among `calendars` with a session on `day`, split by
    whether that session (early closes included) has closed by `now` (aware)."""
    trading = [n for n in calendars if calendar.is_session(day, n)]
    closed = [n for n in trading if calendar.has_closed(day, now, n)]
    return closed, [n for n in trading if n not in closed]
