"""Which (symbol, session) pairs to fetch, and how fresh 1m bars merge with stored bars.

Cache-first: a pair already stored at 1m is never asked again unless a full refetch is
requested. A merge replaces a refetched pair's bars at every interval and keeps every other
pair's rows as they were, so a rerun is idempotent and a partial fetch loses nothing.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from stock_assets.lib.intraday import resample, sessions
from stock_assets.lib.intraday.schema import INTRADAY_BARS


def lacking(symbols: list[str], days: list[dt.date], calendars: dict[str, str],
            stored_1m: pl.DataFrame) -> dict[str, list[dt.date]]:
    """symbol -> the sessions of its own calendar among `days` with no stored 1m bar."""
    have = set(stored_1m.select("symbol", "session").unique().iter_rows()) if stored_1m.height else set()
    out: dict[str, list[dt.date]] = {}
    for symbol in symbols:
        cal = calendars.get(symbol, "XNYS")
        missing = [d for d in days if sessions.is_session(cal, d) and (symbol, d) not in have]
        if missing:
            out[symbol] = missing
    return out


def merge(stored: pl.DataFrame, fresh_1m: pl.DataFrame, calendars: dict[str, str],
          ingested_at: dt.datetime, run_id: str) -> pl.DataFrame:
    """Stored rows (every interval) with each freshly fetched (symbol, session) replaced."""
    derived = resample.all_intervals(fresh_1m, calendars) if fresh_1m.height else fresh_1m
    stamped = derived.with_columns(ingested_at=pl.lit(ingested_at).cast(pl.Datetime("us")),
                                   run_id=pl.lit(run_id)).select(list(INTRADAY_BARS))
    if not stored.height:
        return stamped
    kept = stored.join(fresh_1m.select("symbol", "session").unique(), on=["symbol", "session"], how="anti")
    return pl.concat([kept.select(list(INTRADAY_BARS)), stamped], how="vertical_relaxed")
