"""Benchmark: the three reads of issue 17 on the daily files, a sorted native table, and the
compacted lake (ADR 0025), through DuckDB (the warehouse view's SQL) and `read.bars`.

Run: `.venv/bin/python benchmarks/bench_reads.py [symbols]` (default 8,782 symbols x 10 years,
the bench_data lake, built once and cached under $STOCK_ASSETS_BENCH_DIR or the temp dir;
compacted once, timed). Each figure is the median of 5: warm (same process, after one
untimed read) and cold (a new Python process per read, timed from opening the connection or
calling read.bars to the result; the files are in the OS page cache either way). Prints
each figure and its ratio to the better reference layout (the native table for one symbol,
the daily files for one date, the better of the two for the yearly mean).
"""

from __future__ import annotations

import datetime as dt
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

REPS = 5
_CURRENT = None
DATE = dt.date(2020, 6, 15)
YEARLY = "SELECT year(date) AS y, avg(close) AS mean_close FROM {src} GROUP BY 1 ORDER BY 1"


def _sources(lake_root: Path, native: Path) -> dict[str, tuple[str, str]]:
    """layout -> (setup SQL for a new in-memory connection, the relation to read)."""
    from stock_assets.lib.schema import DAILY_OHLCV
    from stock_assets.lib.sql_text import glob_literal, literal
    from stock_assets.storage import compacted_view

    cols = ", ".join(DAILY_OHLCV)
    daily = glob_literal(str(lake_root / "daily_ohlcv"), "date=*/data.parquet")
    return {
        "daily files": (f"CREATE VIEW v AS SELECT {cols} FROM read_parquet({daily}, hive_partitioning = true, "
                        "union_by_name = true)", "v"),
        "native sorted": (f"ATTACH {literal(str(native))} AS n (READ_ONLY)", "n.daily"),
        "compacted": (f"CREATE VIEW v AS {compacted_view.source(lake_root, list(DAILY_OHLCV))}", "v"),
    }


def _queries(symbol: str) -> dict[str, str]:
    return {
        "one symbol": "SELECT * FROM {src} WHERE symbol = '" + symbol + "'",
        "one date": "SELECT * FROM {src} WHERE date = DATE '" + DATE.isoformat() + "'",
        "yearly mean": YEARLY,
    }


def _duck_once(setup: str, sql: str, conn=None) -> float:
    import duckdb

    started = time.perf_counter()
    own = conn is None
    if own:
        conn = duckdb.connect()
        conn.execute(setup)
    conn.execute(sql).arrow()
    seconds = time.perf_counter() - started
    if own:
        conn.close()
    return seconds


def _bars_once(lake_root: Path, read: str, symbol: str, compacted: bool) -> float:
    import polars as pl

    from stock_assets.read import daily
    from stock_assets.storage import compaction

    global _CURRENT
    _CURRENT = _CURRENT or compaction.current
    # Without compaction: the read path as it was (daily files only).
    compaction.current = _CURRENT if compacted else (lambda _root: [])
    started = time.perf_counter()
    if read == "one symbol":
        daily.read(lake_root, [symbol], None, None)
    elif read == "one date":
        daily.read(lake_root, None, DATE, DATE)
    else:
        (daily.read(lake_root, None, None, None, columns=["date", "symbol", "close"])
         .group_by(pl.col("date").dt.year()).agg(pl.col("close").mean()))
    return time.perf_counter() - started


def child(spec: str) -> None:
    """One cold read in this new process; prints its seconds."""
    args = json.loads(spec)
    if args["kind"] == "duck":
        print(_duck_once(args["setup"], args["sql"]))
    else:
        print(_bars_once(Path(args["lake"]), args["read"], args["symbol"], args["compacted"]))


def _cold(args: dict) -> float:
    runs = []
    for _ in range(REPS):
        out = subprocess.run([sys.executable, __file__, "--child", json.dumps(args)], capture_output=True,
                             text=True, timeout=600, check=True)
        runs.append(float(out.stdout.strip().splitlines()[-1]))
    return statistics.median(runs)


def _warm(fn) -> float:
    fn()
    return statistics.median(fn() for _ in range(REPS))


# Reads known to take tens of seconds each on a loaded machine (every daily file opened):
# `--skip-slow` leaves them out (the issue's own figures stand for them).
SLOW = {("daily files", "one symbol"), ("daily files", "yearly mean")}


def main(symbols: int, skip_slow: bool = False) -> None:
    import duckdb

    from _harness import machine
    from bench_data import build
    from stock_assets.lib.schema import DAILY_OHLCV
    from stock_assets.lib.sql_text import glob_literal
    from stock_assets.storage import compaction

    print(machine())
    lake, _ = build(symbols=symbols, log=print)
    root = lake.root
    days = lake.partition_days("daily_ohlcv")
    print(f"lake: {symbols} symbols, {len(days)} daily files, {days[0]}..{days[-1]}")
    native = root / "native.duckdb"
    if not native.exists():
        conn = duckdb.connect(str(native))
        glob = glob_literal(str(root / "daily_ohlcv"), "date=*/data.parquet")
        conn.execute(f"CREATE TABLE daily AS SELECT {', '.join(DAILY_OHLCV)} FROM read_parquet({glob}, "
                     "hive_partitioning = true, union_by_name = true) ORDER BY symbol, date")
        conn.close()
    started = time.perf_counter()
    report = compaction.compact(root, dt.date.today())
    print(f"compaction: {len(report['periods'])} periods in {time.perf_counter() - started:.1f}s "
          f"({report['current_files']} compacted files)")
    symbol = duckdb.sql(f"SELECT min(symbol) FROM read_parquet('{lake.partition_path('daily_ohlcv', DATE)}') "
                        "WHERE symbol >= 'M'").fetchone()[0]
    sources, queries = _sources(root, native), _queries(symbol)
    results: dict[tuple[str, str], tuple[float, float]] = {}
    for layout, (setup, src) in sources.items():
        conn = duckdb.connect()
        conn.execute(setup)
        for read, sql in queries.items():
            if skip_slow and (layout, read) in SLOW:
                continue
            q = sql.format(src=src)
            warm = _warm(lambda q=q: _duck_once(setup, q, conn))
            cold = _cold({"kind": "duck", "setup": setup, "sql": q})
            results[(f"DuckDB, {layout}", read)] = (warm, cold)
            print(f"DuckDB {layout:14} {read:12} warm {warm * 1000:8.1f} ms  cold {cold * 1000:8.1f} ms", flush=True)
        conn.close()
    for compacted in (False, True):
        label = f"read.bars, {'compacted' if compacted else 'daily files'}"
        for read in queries:
            if skip_slow and not compacted and ("daily files", read) in SLOW:
                continue
            warm = _warm(lambda read=read: _bars_once(root, read, symbol, compacted))
            cold = _cold({"kind": "bars", "lake": str(root), "read": read, "symbol": symbol, "compacted": compacted})
            results[(label, read)] = (warm, cold)
            print(f"{label:28} {read:12} warm {warm * 1000:8.1f} ms  cold {cold * 1000:8.1f} ms", flush=True)
    _table(results, queries)


def _table(results: dict, queries: dict) -> None:
    best = {
        "one symbol": results[("DuckDB, native sorted", "one symbol")],
        "one date": results[("DuckDB, daily files", "one date")],
        "yearly mean": tuple(min(pair) for pair in zip(*(
            results[k] for k in (("DuckDB, native sorted", "yearly mean"), ("DuckDB, daily files", "yearly mean"))
            if k in results))),
    }
    print("\n| layout | read | warm ms | cold ms | warm / best | cold / best |\n|---|---|---|---|---|---|")
    for (layout, read), (warm, cold) in results.items():
        print(f"| {layout} | {read} | {warm * 1000:,.1f} | {cold * 1000:,.1f} | "
              f"{warm / best[read][0]:.2f}x | {cold / best[read][1]:.2f}x |")


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        child(sys.argv[2])
    else:
        numbers = [a for a in sys.argv[1:] if a.isdigit()]
        main(int(numbers[0]) if numbers else 8782, skip_slow="--skip-slow" in sys.argv)
