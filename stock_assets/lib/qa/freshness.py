"""Freshness per market: is each market's newest stored session its last session that is due?

Why per market and not the asset's one cron policy: `daily_ohlcv` holds London, Xetra,
Paris, Amsterdam, CME and US bars, each closing at its own hour on its own calendar. One
NYSE-timed policy calls London stale on a UK bank holiday and never notices London missing
on US Thanksgiving. Here each market (an `exchange_calendars` name, the universe's
`calendar`) is judged on its own sessions:

- a session is *due* once `grace` has passed after its close (early closes included);
- a market is fresh when its newest stored session is at or after its last due session, so a
  market whose calendar had no session since (a holiday, a weekend) is fresh;
- otherwise it is behind by the number of its own sessions due and not stored.

`GRACE` (6 h) is stated, not tuned: the nightly runs at 16:30 ET (after XNYS's 16:00 close,
five hours after Europe's) and the evening run at 18:30 ET (after CMES's 18:00 ET close), so
6 h after any market's close its first scheduled run has had at least half an hour. The
judgement is made `as_of` a moment: now for the nightly, the end of the window's last day for
a backfill of old partitions (history is not "stale" because it is old; lag and completeness
judge it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import polars as pl

from stock_assets.lib import calendar
from stock_assets.lib.validation import Outcome

GRACE = dt.timedelta(hours=6)
LOOKBACK = dt.timedelta(days=14)  # a market with no due session in two weeks has nothing to judge
COLUMNS = {"market": pl.String, "newest_stored": pl.Date, "last_due": pl.Date, "sessions_behind": pl.Int64,
           "fresh": pl.Boolean}


def as_of(now: dt.datetime, last_day: dt.date) -> dt.datetime:
    """The moment to judge at: `now` (aware), or midnight New York after `last_day` when that is earlier."""
    end = dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time(0), tzinfo=calendar.NEW_YORK)
    return min(now, end)


def last_due(name: str, at: dt.datetime, grace: dt.timedelta = GRACE) -> dt.date | None:
    """The newest session of calendar `name` whose close + `grace` is at or before `at`, within LOOKBACK."""
    day = at.astimezone(calendar.NEW_YORK).date()
    for session in reversed(calendar.sessions_between((at - LOOKBACK).date(), day, name)):
        if calendar.session_close(session, name) + grace <= at:
            return session
    return None


def per_market(newest: Mapping[str, dt.date | None], at: dt.datetime, grace: dt.timedelta = GRACE) -> pl.DataFrame:
    """One row per market: its newest stored session, its last due one, sessions behind, fresh."""
    rows = []
    for name in sorted(newest):
        stored, due = newest[name], last_due(name, at, grace)
        if due is None:  # no session due in the look-back: nothing to be behind on
            behind = 0
        elif stored is None:
            behind = len(calendar.sessions_between((at - LOOKBACK).date(), due, name))
        else:
            behind = calendar.sessions_behind(stored, due, name)  # 0 when stored >= due
        rows.append((name, stored, due, behind, behind == 0))
    return pl.DataFrame(rows, schema=COLUMNS, orient="row")


def judge(newest: Mapping[str, dt.date | None], at: dt.datetime, grace: dt.timedelta = GRACE) -> Outcome:
    """The `market_freshness` rule: one offending row per market behind (symbol-less, `market` set)."""
    table = per_market(newest, at, grace)
    stale = table.filter(~pl.col("fresh"))
    offending = stale.select(
        date=pl.lit(None, pl.Date), symbol=pl.lit(None, pl.String), market="market",  # dated on the run's last day
        value=pl.col("sessions_behind").cast(pl.Float64),
        details=pl.format("{}: newest stored session {}, last session due {} ({} of its sessions not stored; "
                          "due {} h after its close)", "market", pl.col("newest_stored").cast(pl.String).fill_null("none"),
                          "last_due", "sessions_behind", pl.lit(int(grace.total_seconds() // 3600))))
    markets = {r["market"]: {"newest_stored": str(r["newest_stored"]) if r["newest_stored"] else None,
                             "last_due": str(r["last_due"]) if r["last_due"] else None,
                             "sessions_behind": r["sessions_behind"], "fresh": r["fresh"]}
               for r in table.iter_rows(named=True)}
    return Outcome(stale.height == 0, offending,
                   {"markets": len(markets), "markets_behind": stale.height, "as_of": at.isoformat(timespec="minutes"),
                    "grace_hours": grace.total_seconds() / 3600, "freshness_by_market": markets},
                   threshold=0.0, scope=(dt.date(1900, 1, 1), dt.date(9999, 12, 31)))


def newest_by_market(bars: pl.DataFrame, calendars: Mapping[str, str]) -> dict[str, dt.date | None]:
    """Each market's newest date with a stored row, from (symbol, date) rows; None for a market with none."""
    out: dict[str, dt.date | None] = dict.fromkeys(set(calendars.values()))
    if bars.height:
        cal = pl.DataFrame({"symbol": list(calendars), "market": list(calendars.values())},
                           schema={"symbol": pl.String, "market": pl.String})
        for market, day in bars.join(cal, on="symbol").group_by("market").agg(pl.col("date").max()).iter_rows():
            out[market] = day
    return out
