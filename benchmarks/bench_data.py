"""Build (once) and cache the benchmark lake: synthetic bars written through ParquetLake.

Why cached: 8,782 symbols x 10 years is ~22 M rows and takes minutes to generate; the QA
benchmark only needs it to exist. Generated in chunks of sessions so memory stays bounded.
Run alone with `python benchmarks/bench_data.py [root]` to build it ahead of time.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

from stock_assets.lib import calendar, synthetic
from stock_assets.lib.schema import DAILY_OHLCV
from stock_assets.storage.lake import ParquetLake

SYMBOLS = 8782
FIRST = dt.date(2014, 7, 1)
LAST = dt.date(2024, 6, 28)
CHUNK_SESSIONS = 32
DEFAULT_ROOT = Path(os.environ.get("STOCK_ASSETS_BENCH_DIR", Path(tempfile.gettempdir()) / "stock_assets_bench"))


def build(root: Path = DEFAULT_ROOT, symbols: int = SYMBOLS, first: dt.date = FIRST, last: dt.date = LAST,
          log=print) -> tuple[ParquetLake, pl.DataFrame]:
    """The cached lake under `root` and the corporate actions of its range; built when absent."""
    lake = ParquetLake(root / f"lake_{symbols}_{first}_{last}")
    actions_path = lake.root / "corporate_actions.parquet"
    done = lake.root / ".complete"
    if done.exists():
        return lake, pl.read_parquet(actions_path)
    names = [t.symbol for t in synthetic.tickers(symbols)]
    sessions = calendar.sessions_between(first, last)
    started = time.monotonic()
    actions = []
    for i in range(0, len(sessions), CHUNK_SESSIONS):
        chunk = sessions[i:i + CHUNK_SESSIONS]
        bars, acts, _ = synthetic.bars(names, chunk, symbols)
        stamped = bars.with_columns(ingested_at=pl.col("source_ts"), run_id=pl.lit("bench"))
        lake.write_partitions("daily_ohlcv", chunk, stamped, DAILY_OHLCV)
        actions.append(acts)
        log(f"{chunk[-1]}: {i + len(chunk)}/{len(sessions)} sessions, {time.monotonic() - started:.0f}s")
    pl.concat(actions).write_parquet(actions_path)
    done.write_text("ok")
    return lake, pl.read_parquet(actions_path)


if __name__ == "__main__":
    build(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_ROOT)
