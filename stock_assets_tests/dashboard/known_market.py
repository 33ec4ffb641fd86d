"""A tiny warehouse with known answers for every KPI, written the way the pipeline writes it.

As of 2024-06-14 (window 2024-05-15..2024-06-14):
- 10 tickers: 7 active (2 of them first seen on 2024-06-03, after the first scrape), 3 delisted
  in the window                                        -> active 7, new 2, delisted 3
- LAGG's last bar is 2024-06-07 (5 sessions behind)    -> lagging 1
- HOLE has no bar on 2024-06-04 and 2024-06-05         -> missing dates 2
- JMPA +100 % on 2024-06-05, JMPB -60 % on 2024-06-12 (no split); SPLT halves on 2024-06-10
  with a 2:1 split                                     -> unexplained jumps 2 (3 jumps in all)
- ZERO has volume 0 on three sessions                  -> zero-volume offender
- 4 fetch errors recorded for 2024-06-14 (2 YF429, 1 YFEMPTY, 1 YFTZ), 1 for 2024-06-13
                                                       -> fetch errors last night 4
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

from stock_assets.lib import calendar
from stock_assets.lib.lifecycle import TICKER_COLUMNS
from stock_assets.lib.schema import DAILY_OHLCV
from stock_assets.storage.lake import ParquetLake
from stock_assets.storage.warehouse import Warehouse

AS_OF = dt.date(2024, 6, 14)
EXPECTED = {
    "total_active_symbols": 7, "new_30d": 2, "delisted_30d": 3, "lagging_symbols": 1,
    "missing_dates": 2, "fetch_errors_last_night": 4, "unexplained_jumps": 2,
}
ACTIVE_OLD = ["HOLE", "JMPA", "JMPB", "LAGG", "SPLT"]
ACTIVE_NEW = ["NEWA", "NEWB"]
DELISTED = {"GONA": dt.date(2024, 5, 20), "GONB": dt.date(2024, 6, 3), "GONC": dt.date(2024, 6, 12)}
ZERO = "ZERO"  # listed in the lake only (an old symbol no longer in the universe)
FIRST_SCRAPE = dt.datetime(2024, 1, 2, 22, 0)
NEW_SEEN = dt.datetime(2024, 6, 3, 22, 0)
START = dt.date(2024, 5, 1)


def tickers() -> pl.DataFrame:
    rows = []
    for symbol in ACTIVE_OLD + ACTIVE_NEW + list(DELISTED):
        seen = NEW_SEEN if symbol in ACTIVE_NEW else FIRST_SCRAPE
        gone = DELISTED.get(symbol)
        rows.append({
            "symbol": symbol, "yahoo_symbol": symbol, "name": f"{symbol.title()} Inc", "exchange": "XNYS",
            "sources": "synthetic", "sector": "Industrials", "sub_industry": None, "is_etf": False,
            "calendar": "XNYS", "currency": "USD", "asset_class": "equity", "isin": None,
            "status": "delisted" if gone else "active", "first_seen": seen,
            "last_seen": dt.datetime.combine(gone, dt.time(22)) if gone else dt.datetime(2024, 6, 14, 22),
            "delisted_on": gone, "archived_on": None, "updated_at": dt.datetime(2024, 6, 14, 22),
        })
    return pl.DataFrame(rows, schema=TICKER_COLUMNS)


def bars() -> pl.DataFrame:
    rows = []
    for day in calendar.sessions_between(START, AS_OF):
        for symbol in ACTIVE_OLD + ACTIVE_NEW + list(DELISTED) + [ZERO]:
            if symbol in ACTIVE_NEW and day < dt.date(2024, 6, 3):
                continue
            if symbol in DELISTED and day >= DELISTED[symbol]:
                continue
            if symbol == "LAGG" and day > dt.date(2024, 6, 7):
                continue
            if symbol == "HOLE" and day in (dt.date(2024, 6, 4), dt.date(2024, 6, 5)):
                continue
            close = 100.0
            if symbol == "JMPA" and day >= dt.date(2024, 6, 5):
                close = 200.0
            if symbol == "JMPB" and day >= dt.date(2024, 6, 12):
                close = 40.0
            if symbol == "SPLT" and day >= dt.date(2024, 6, 10):
                close = 50.0
            volume = 0 if symbol == ZERO and day in (dt.date(2024, 6, 3), dt.date(2024, 6, 4), dt.date(2024, 6, 5)) else 1000
            rows.append({"date": day, "symbol": symbol, "open": close, "high": close * 1.01, "low": close * 0.99,
                         "close": close, "adj_close": close, "volume": volume, "currency": "USD", "provider": "test",
                         "source_ts": dt.datetime.combine(day, dt.time(20)), "ingested_at": dt.datetime(2024, 6, 15),
                         "run_id": "known"})
    return pl.DataFrame(rows, schema=DAILY_OHLCV)


def write(data_dir: Path) -> Warehouse:
    """Write the known market into `data_dir` (lake + warehouse) and return the warehouse."""
    lake = ParquetLake(data_dir / "lake")
    lake.write_partitions("daily_ohlcv", calendar.sessions_between(START, AS_OF), bars(), DAILY_OHLCV)
    wh = Warehouse(data_dir / "warehouse.duckdb", data_dir / "lake")
    wh.ensure_schema()
    wh.replace_rows("universe.tickers", tickers(), "TRUE")
    wh.replace_rows("prices.corporate_actions", pl.DataFrame({
        "symbol": ["SPLT", "JMPA"], "ex_date": [dt.date(2024, 6, 10), dt.date(2024, 5, 20)],
        "kind": ["split", "dividend"], "value": [2.0, 0.5], "source": "test",
        "ingested_at": dt.datetime(2024, 6, 15), "run_id": "known"}), "TRUE")
    errors = [("NEWB", "YF429"), ("JMPA", "YF429"), ("NEWA", "YFEMPTY"), ("GONC", "YFTZ")]
    wh.replace_rows("ops.fetch_errors", pl.DataFrame({
        "run_id": "known", "session": [AS_OF] * 4 + [dt.date(2024, 6, 13)],
        "symbol": [s for s, _ in errors] + ["LAGG"], "code": [c for _, c in errors] + ["YFTIMEOUT"],
        "message": "test", "attempts": 1, "recorded_at": dt.datetime(2024, 6, 15)},
        schema_overrides={"attempts": pl.Int32}), "TRUE")
    wh.replace_rows("ops.fetch_reports", pl.DataFrame({
        "run_id": ["r1", "r2"], "first_session": [dt.date(2024, 6, 13), AS_OF],
        "last_session": [dt.date(2024, 6, 13), AS_OF], "provider": "test", "requested": 10, "fetched": [9, 6],
        "failed": [1, 4], "rows": [9, 6], "refetched": 0, "latency_p50_ms": [120.0, 180.0],
        "latency_p95_ms": [400.0, 900.0], "failures_by_code": "{}", "seconds": 1.0,
        "recorded_at": dt.datetime(2024, 6, 15)}), "TRUE")
    wh.replace_rows("qa.failures", pl.DataFrame({
        "check_name": ["price_jump"], "severity": ["ERROR"], "date": [dt.date(2024, 6, 5)], "symbol": ["JMPA"],
        "value": [1.0], "threshold": [0.75], "details": ["+100 % <unexplained>"], "run_id": ["known"],
        "first_seen": [dt.datetime(2024, 6, 6)], "resolved": [False], "resolved_at": [None]},
        schema_overrides={"resolved_at": pl.Datetime("us")}), "TRUE")
    return wh
