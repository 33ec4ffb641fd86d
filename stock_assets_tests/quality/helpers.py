"""Shared helpers of the QA tests: a synthetic lake written through the project's own code."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

from stock_assets.lib import calendar, synthetic
from stock_assets.lib.schema import DAILY_OHLCV
from stock_assets.storage.lake import ParquetLake

TICKERS = 60
JUNE = (dt.date(2024, 6, 3), dt.date(2024, 6, 28))
HISTORY_START = dt.date(2024, 3, 1)


def symbol(i: int) -> str:
    return synthetic.tickers(TICKERS)[i].symbol


def write_synthetic(root: Path, first: dt.date = HISTORY_START, last: dt.date = JUNE[1]) -> tuple[ParquetLake, pl.DataFrame]:
    """Synthetic bars for `first..last` in a lake under `root`; returns (lake, corporate actions)."""
    lake = ParquetLake(root)
    sessions = calendar.sessions_between(first, last)
    bars, actions, _ = synthetic.bars([t.symbol for t in synthetic.tickers(TICKERS)], sessions, TICKERS)
    lake.write_partitions("daily_ohlcv", sessions, stamp(bars), DAILY_OHLCV)
    return lake, actions


def stamp(bars: pl.DataFrame, run_id: str = "test") -> pl.DataFrame:
    return bars.with_columns(ingested_at=pl.col("source_ts"), run_id=pl.lit(run_id))


def files(lake: ParquetLake) -> dict:
    return dict(zip(lake.partition_days("daily_ohlcv"), lake.partition_files("daily_ohlcv")))


def splits(actions: pl.DataFrame) -> pl.DataFrame:
    return actions.filter(pl.col("kind") == "split").select("symbol", "ex_date", "value")
