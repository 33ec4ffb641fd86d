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


def weekdays(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)
            if (start + dt.timedelta(days=i)).weekday() < 5]


def sweep(stored: Iterable[dt.date], today: dt.date, interval: str = "1m",
          within: int = AT_RISK_DAYS) -> tuple[list[dt.date], list[dt.date]]:
    """(days to fetch first, days already lost) for the retention sensor.

    `stored` are the partition days with a file at `interval` (holidays are stored as empty
    files, so they never look missing). Up to yesterday, a weekday inside Yahoo's window
    that is not stored and ages out within `within` days is at risk; a weekday between the
    first stored day and the window's edge that is not stored is lost.
    """
    stored = set(stored)
    edge = oldest_fetchable(interval, today)
    missing = [d for d in weekdays(edge, today - dt.timedelta(days=1)) if d not in stored]
    lost = [d for d in weekdays(min(stored), edge - dt.timedelta(days=1)) if d not in stored] if stored else []
    return at_risk(missing, interval, today, within), lost
