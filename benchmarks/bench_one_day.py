"""One trading day for 8,782 synthetic tickers through `dagster job execute`, against a no-op job.

    uv run python benchmarks/bench_one_day.py [--tickers 8782] [--repeats 3]

Goal (issue 3): wall time of `daily_prices_job` for one partition <= 1.5 x the wall time of a
no-op Dagster job on the same machine. Both are timed as the CLI command a user or CI runs
(process start, imports, instance, run, checks); medians of `--repeats` runs, interleaved so
that machine load hits both alike. Each repeat takes a different day, so every run really
fetches and writes 8,782 bars (a rerun of a stored day would fetch nothing).

Two more figures explain the ratio: the no-op job after importing our code location
(`noop_in_location.py`), and the floor, a job that only fetches and stores the day's prices with
no checks (`prices_only_location.py`, on other fresh days).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import Workspace, machine  # noqa: E402

DAYS = ["2024-06-03", "2024-06-04", "2024-06-05", "2024-06-06", "2024-06-07"]
FLOOR_DAYS = ["2024-06-10", "2024-06-11", "2024-06-12", "2024-06-13", "2024-06-14"]  # fresh days for the floor


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickers", type=int, default=8782)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    ws = Workspace(args.tickers)
    try:
        setup = ws.universe(DAYS[0])
        noop, noop_located, floor, day, steps = [], [], [], [], []
        for i in range(args.repeats):
            noop.append(ws.dagster("job", "execute", "-f", "benchmarks/noop_definitions.py", "-j", "noop_job"))
            noop_located.append(ws.dagster("job", "execute", "-f", "benchmarks/noop_in_location.py",
                                           "-d", "benchmarks", "-j", "noop_job"))
            floor_tags = json.dumps({"dagster/partition": FLOOR_DAYS[i % len(FLOOR_DAYS)]})
            floor.append(ws.dagster("job", "execute", "-f", "benchmarks/prices_only_location.py",
                                    "-d", "benchmarks", "-j", "prices_only_job", "--tags", floor_tags))
            tags = json.dumps({"dagster/partition": DAYS[i % len(DAYS)]})
            day.append(ws.dagster("job", "execute", "-m", "stock_assets.definitions", "-j", "daily_prices_job",
                                  "--tags", tags))
            steps.append(ws.step_seconds())
        import duckdb
        con = duckdb.connect(str(ws.data / "warehouse.duckdb"), read_only=True)
        rows = con.execute("SELECT count(*) FROM prices.daily_ohlcv WHERE date = ?", [DAYS[0]]).fetchone()[0]
        con.close()
    finally:
        ws.cleanup()
    ratio = statistics.median(day) / statistics.median(noop)
    print(f"machine: {machine()}")
    print(f"universe_job (setup, {args.tickers} tickers): {setup:.1f}s")
    print(f"no-op job:        median {statistics.median(noop):.2f}s  runs {[round(x, 2) for x in noop]}")
    print(f"no-op job, code location imported: median {statistics.median(noop_located):.2f}s  "
          f"runs {[round(x, 2) for x in noop_located]}  (ratio {statistics.median(day) / statistics.median(noop_located):.2f}x)")
    print(f"floor, prices only (fetch + lake write, no checks): median {statistics.median(floor):.2f}s  "
          f"runs {[round(x, 2) for x in floor]}  (ratio {statistics.median(floor) / statistics.median(noop):.2f}x)")
    print(f"daily_prices_job: median {statistics.median(day):.2f}s  runs {[round(x, 2) for x in day]}  "
          f"({rows} rows on {DAYS[0]})")
    print(f"ratio: {ratio:.2f}x  (goal <= 1.5x: {'met' if ratio <= 1.5 else 'MISSED'})")
    median_run = steps[day.index(statistics.median(day))] if len(day) % 2 else steps[-1]
    in_steps = sum(median_run.values())
    print(f"where the median run's time went: process start + imports + instance {statistics.median(day) - in_steps:.1f}s, "
          f"steps {in_steps:.1f}s:")
    for step, seconds in sorted(median_run.items(), key=lambda kv: -kv[1]):
        print(f"  {step:<40}{seconds:6.2f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
