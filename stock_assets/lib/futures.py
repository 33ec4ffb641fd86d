"""Continuous futures (`ES=F`): when the front month rolls, so that a roll is not an alert.

Why: Yahoo's `=F` series is the front-month contract, and it switches to the next contract
around expiry. On those days the price steps by the calendar spread and the volume moves from
one contract to the next: real, explained, and not a finding for the unusual-move and volume
rules. Zero volume on a trading day of a liquid contract stays a finding (`zero_volume`).

Roll windows (approximate, by product; CME's published calendars are the authority):
- equity index (ES, NQ, YM, RTY and the micros): March, June, September, December contracts
  expire on the third Friday; volume rolls on the Thursday eight days before. Window: that
  Thursday minus one weekday through the expiry Friday plus one weekday.
- every other root: its contract months (GC: Feb/Apr/Jun/Aug/Oct/Dec; CL, NG: every month;
  treasuries: Mar/Jun/Sep/Dec); the window is the last seven calendar days before the
  contract month starts plus its first three (first notice / last trade fall there).
"""

from __future__ import annotations

import datetime as dt

EQUITY_INDEX = {"ES", "NQ", "YM", "RTY", "MES", "MNQ", "MYM", "M2K"}
CONTRACT_MONTHS = {
    "GC": (2, 4, 6, 8, 10, 12), "MGC": (2, 4, 6, 8, 10, 12), "SI": (3, 5, 7, 9, 12), "HG": (3, 5, 7, 9, 12),
    "ZN": (3, 6, 9, 12), "ZB": (3, 6, 9, 12), "ZF": (3, 6, 9, 12), "ZT": (3, 6, 9, 12),
}
MONTHLY = tuple(range(1, 13))


def is_future(symbol: str) -> bool:
    return symbol.endswith("=F")


def root(symbol: str) -> str:
    return symbol[:-2] if is_future(symbol) else symbol


def _third_friday(year: int, month: int) -> dt.date:
    first = dt.date(year, month, 1)
    return first + dt.timedelta(days=(4 - first.weekday()) % 7 + 14)


def _shift_weekdays(day: dt.date, n: int) -> dt.date:
    step = 1 if n > 0 else -1
    for _ in range(abs(n)):
        day += dt.timedelta(days=step)
        while day.weekday() >= 5:
            day += dt.timedelta(days=step)
    return day


def in_roll_window(symbol: str, day: dt.date) -> bool:
    """True when `day` falls in the front-month roll window of continuous future `symbol`."""
    if not is_future(symbol):
        return False
    r = root(symbol)
    if r in EQUITY_INDEX:
        if day.month not in (3, 6, 9, 12):
            return False
        expiry = _third_friday(day.year, day.month)
        roll = expiry - dt.timedelta(days=8)
        return _shift_weekdays(roll, -1) <= day <= _shift_weekdays(expiry, 1)
    months = CONTRACT_MONTHS.get(r, MONTHLY)
    for year in (day.year, day.year + 1):
        for month in months:
            start = dt.date(year, month, 1)
            if start - dt.timedelta(days=7) <= day < start + dt.timedelta(days=3):
                return True
    return False
