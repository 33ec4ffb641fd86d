"""How far back Yahoo keeps intraday bars, and how to ask for days inside that window.

Yahoo keeps 1-minute bars for about 30 days and answers at most 7 days of them per request;
2m-30m bars for 60 days (docs/adr/0022-intraday-retention.md). A day past the window can
never be fetched again: it is reported as lost (YFTOOOLD) and not asked for, so no retry
loop knocks on it forever.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

RETENTION_DAYS: dict[str, int] = {"1m": 30, "5m": 60, "15m": 60, "30m": 60, "1h": 730}
MAX_SPAN_DAYS: dict[str, int] = {"1m": 7, "5m": 60, "15m": 60, "30m": 60, "1h": 730}
# A day this close to the edge of the window is fetched first by the retention sensor.
AT_RISK_DAYS = 5


def oldest_fetchable(interval: str, today: dt.date) -> dt.date:
    """The oldest day Yahoo still serves at `interval` (one day of margin kept)."""
    return today - dt.timedelta(days=RETENTION_DAYS[interval] - 1)


def split_by_retention(days: Iterable[dt.date], interval: str, today: dt.date) -> tuple[list, list]:
    """(fetchable days, days already out of the window), each sorted."""
    edge = oldest_fetchable(interval, today)
    days = sorted(set(days))
    return [d for d in days if d >= edge], [d for d in days if d < edge]


def request_windows(days: Iterable[dt.date], interval: str) -> list[tuple[dt.date, dt.date]]:
    """[start, end) calendar-date windows covering `days`, none longer than Yahoo allows.

    The end is the day after the last day of the window, so a CME session (which opens the
    evening before) is asked from the day before its first session.
    """
    span = MAX_SPAN_DAYS[interval]
    out: list[tuple[dt.date, dt.date]] = []
    for day in sorted(set(days)):
        start = day - dt.timedelta(days=1)
        if out and (day + dt.timedelta(days=1) - out[-1][0]).days <= span:
            out[-1] = (out[-1][0], day + dt.timedelta(days=1))
        else:
            out.append((start, day + dt.timedelta(days=1)))
    return out


def at_risk(missing: Iterable[dt.date], interval: str, today: dt.date,
            within: int = AT_RISK_DAYS) -> list[dt.date]:
    """Missing days that age out of the window within `within` days, oldest first."""
    edge = oldest_fetchable(interval, today)
    return sorted(d for d in set(missing) if edge <= d < edge + dt.timedelta(days=within))
