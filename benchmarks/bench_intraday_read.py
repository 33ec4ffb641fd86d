"""Benchmark: read latency of `read.bars` for ONE symbol at intraday intervals (issue 15).

Two reads, goal <= 50 ms each (seed 004: chart loads of 15-50 ms from a cache):
- a year of 1h bars (252 sessions),
- a month of 1m bars (21 sessions),
each from a lake this script builds in a temp dir: N symbols (several watchlist sizes) of
synthetic US bars, written the way `intraday_bars` writes them (one file per interval and
session, `ParquetLake.write_partition`), then, for the `months` layout, the closed months
compacted as the asset compacts them (storage/intraday_months.py, ADR 0023).

Per (watchlist size, layout, read): the median of --repeat runs of
- cold: a NEW process (`python -c`: import `stock_assets.read`, one read): the read alone (wall,
  and CPU seconds of the process during it: on a loaded machine the wall time is mostly waiting
  for a core), and the whole process (start-up and imports included);
- warm: the same read again in this process.
The page cache is warm in both (the lake was just written): this measures the read path, not
the disk.

    .venv/bin/python benchmarks/bench_intraday_read.py [--sizes 50,500] [--repeat 7]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._harness import REPO, machine  # noqa: E402
from stock_assets.lib import calendar  # noqa: E402
from stock_assets.lib.intraday.schema import INTRADAY_BARS  # noqa: E402
from stock_assets.storage.lake import ParquetLake  # noqa: E402

LAST = dt.date(2024, 9, 30)
GOAL_MS = 50.0
# (interval, minutes per bar, bars per session, sessions): a year of 1h, a month of 1m.
READS = {"1h": (60, 7, 252), "1m": (1, 390, 21)}

_COLD = """
import json, sys, time
t0 = time.perf_counter()
from stock_assets import read
t1, c1 = time.perf_counter(), time.process_time()
frame = read.bars([sys.argv[1]], sys.argv[2], sys.argv[3], interval=sys.argv[4], data_dir=sys.argv[5])
t2, c2 = time.perf_counter(), time.process_time()
print(json.dumps({"import_ms": (t1 - t0) * 1e3, "read_ms": (t2 - t1) * 1e3, "read_cpu_ms": (c2 - c1) * 1e3,
                  "rows": frame.height}))
"""


def symbols_of(n: int) -> list[str]:
    """N distinct plausible symbols (`AAA`, `AAB`, ...)."""
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return [letters[i // 676 % 26] + letters[i // 26 % 26] + letters[i % 26] for i in range(n)]


def sessions(count: int) -> list[dt.date]:
    days = calendar.sessions_between(LAST - dt.timedelta(days=count * 2), LAST)
    return days[-count:]


def day_frame(symbols: list[str], day: dt.date, interval: str, minutes: int, bars: int,
              rng: np.random.Generator) -> pl.DataFrame:
    """One session of `interval` bars for every symbol: a random walk per symbol, sorted
    by symbol and ts as the asset writes them."""
    n = len(symbols) * bars
    open_utc = dt.datetime.combine(day, dt.time(13, 30))
    base = rng.uniform(5, 500, len(symbols)).repeat(bars)
    close = base * np.exp(np.cumsum(rng.normal(0, 0.002, (len(symbols), bars)), axis=1).reshape(n))
    spread = np.abs(rng.normal(0, 0.001, n)) * close
    return pl.DataFrame({
        "ts": [open_utc + dt.timedelta(minutes=minutes * k) for k in range(bars)] * len(symbols),
        "session": [day] * n,
        "symbol": np.repeat(symbols, bars),
        "interval": [interval] * n,
        "open": close - spread / 2, "high": close + spread, "low": close - spread, "close": close,
        "volume": rng.integers(0, 50_000, n),
        "provider": ["synthetic"] * n,
        "ingested_at": [dt.datetime(2024, 10, 1)] * n, "run_id": ["bench"] * n,
    }).cast(INTRADAY_BARS)


def build_lake(root: Path, n: int) -> float:
    """The two intervals' session files for `n` symbols; seconds taken."""
    started = time.perf_counter()
    lake, names, rng = ParquetLake(root / "lake"), symbols_of(n), np.random.default_rng(n)
    for interval, (minutes, bars, count) in READS.items():
        for day in sessions(count):
            lake.write_partition(f"intraday_bars/interval={interval}", day,
                                 day_frame(names, day, interval, minutes, bars, rng), INTRADAY_BARS)
    return time.perf_counter() - started


def compact(root: Path) -> float | None:
    """Compact the closed months as the asset does; seconds (None: no month layout here)."""
    try:
        from stock_assets.storage import intraday_months
    except ImportError:
        return None
    started = time.perf_counter()
    intraday_months.compact_closed(root / "lake", today=LAST + dt.timedelta(days=1))
    return time.perf_counter() - started


def cold(data: Path, symbol: str, interval: str, first: dt.date, last: dt.date) -> dict:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", _COLD, symbol, first.isoformat(), last.isoformat(),
                           interval, str(data)], cwd=REPO, capture_output=True, text=True, check=True)
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    answer["process_ms"] = (time.perf_counter() - started) * 1e3
    return answer


def warm(data: Path, symbol: str, interval: str, first: dt.date, last: dt.date, repeat: int) -> tuple[float, int]:
    from stock_assets import read

    times, rows = [], 0
    for _ in range(repeat + 1):
        started = time.perf_counter()
        rows = read.bars([symbol], first, last, interval=interval, data_dir=data).height
        times.append((time.perf_counter() - started) * 1e3)
    return statistics.median(times[1:]), rows


def measure(data: Path, n: int, layout: str, repeat: int) -> list[dict]:
    out = []
    names = symbols_of(n)
    for interval, (_, bars, count) in READS.items():
        days = sessions(count)
        # A different symbol per run (first, middle, last, ...): no run reads what the last one did.
        picks = [names[(k * 7919) % n] for k in range(repeat)]
        runs = [cold(data, s, interval, days[0], days[-1]) for s in picks]
        assert all(r["rows"] == bars * count for r in runs), runs
        warm_ms, rows = warm(data, picks[0], interval, days[0], days[-1], repeat)
        read_ms = statistics.median(r["read_ms"] for r in runs)
        out.append({"symbols": n, "layout": layout, "read": f"{count} sessions of {interval}", "rows": rows,
                    "cold_read_ms": round(read_ms, 1),
                    "cold_read_cpu_ms": round(statistics.median(r["read_cpu_ms"] for r in runs), 1),
                    "cold_import_ms": round(statistics.median(r["import_ms"] for r in runs), 1),
                    "cold_process_ms": round(statistics.median(r["process_ms"] for r in runs), 1),
                    "warm_read_ms": round(warm_ms, 1), "goal_met": read_ms <= GOAL_MS and warm_ms <= GOAL_MS})
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="50,500", help="watchlist sizes, comma separated")
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    print(machine(), flush=True)
    for n in (int(s) for s in args.sizes.split(",")):
        root = Path(tempfile.mkdtemp(prefix="stock_assets_bench_read_"))
        try:
            built = build_lake(root, n)
            size = sum(p.stat().st_size for p in (root / "lake").rglob("*.parquet")) / 1e6
            print(f"{n} symbols: lake built in {built:.1f} s, {size:.1f} MB", flush=True)
            for row in measure(root, n, "daily files", args.repeat):
                print(json.dumps(row), flush=True)
            seconds = compact(root)
            if seconds is not None:
                print(f"{n} symbols: closed months compacted in {seconds:.1f} s", flush=True)
                for row in measure(root, n, "months + daily", args.repeat):
                    print(json.dumps(row), flush=True)
        finally:
            shutil.rmtree(root, ignore_errors=True)
    print(machine(), flush=True)


if __name__ == "__main__":
    main()
