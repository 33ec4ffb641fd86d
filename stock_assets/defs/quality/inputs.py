"""What the checks read besides the lake: splits, the universe's active symbols, fetch reports,
each market's newest stored session."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

from stock_assets.defs.prices import records
from stock_assets.lib import calendar
from stock_assets.lib.qa import freshness
from stock_assets.lib.validation import Outcome
from stock_assets.read import daily
from stock_assets.storage.lake import ParquetLake
from stock_assets.storage.warehouse import Warehouse


def lake_files(lake: ParquetLake) -> dict[dt.date, Path]:
    return dict(zip(lake.partition_days("daily_ohlcv"), lake.partition_files("daily_ohlcv")))


def splits(wh: Warehouse) -> pl.DataFrame:
    """Known splits (symbol, ex_date, value): prices.corporate_actions, plus those a fetch saw
    when `corporate_actions` was not materialised with the bars (ops.fetched_actions)."""
    wh.ensure_schema()
    return wh.query(
        """SELECT symbol, ex_date, value FROM prices.corporate_actions WHERE kind = 'split'
           UNION ALL
           SELECT f.symbol, f.ex_date, f.value FROM ops.fetched_actions f
           WHERE f.kind = 'split' AND NOT EXISTS (
               SELECT 1 FROM prices.corporate_actions c
               WHERE c.kind = 'split' AND c.symbol = f.symbol AND c.ex_date = f.ex_date)""")


def expected_symbols(wh: Warehouse, first_session: dt.date | None) -> list[str] | None:
    """Symbols the universe says traded from `first_session`; None when there is no universe."""
    if first_session is None:
        return []
    try:
        return records.symbols_for(wh, first_session)
    except records.UniverseMissing:
        return None


def calendars(wh: Warehouse, symbols: list[str] | None) -> dict[str, str]:
    """Each expected symbol's calendar (universe.tickers.calendar, else read from the symbol)."""
    return records.symbol_calendars(wh, symbols) if symbols else {}


def fetch_reports(wh: Warehouse, start: dt.date, end: dt.date) -> pl.DataFrame:
    wh.ensure_schema()
    return wh.query(
        """SELECT run_id, first_session, last_session, requested, failed, latency_p95_ms,
                  failures_by_code, recorded_at
           FROM ops.fetch_reports WHERE first_session <= ? AND last_session >= ?""", [end, start])


def market_freshness(wh: Warehouse, calendars: dict[str, str], last_day: dt.date, now: dt.datetime) -> Outcome:
    """The `market_freshness` rule over the lake's last two weeks: each market of the universe
    (its symbols' calendars) judged on its own sessions (lib/qa/freshness.py)."""
    at = freshness.as_of(now, last_day)
    end = at.astimezone(calendar.NEW_YORK).date()
    bars = daily.read(wh.lake_root, None, end - freshness.LOOKBACK, end, columns=["symbol", "date"])
    return freshness.judge(freshness.newest_by_market(bars, calendars), at)
