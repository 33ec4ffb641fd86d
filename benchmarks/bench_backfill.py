"""10 years x 500 synthetic tickers backfilled as ONE run, against one run per partition.

    uv run python benchmarks/bench_backfill.py [--tickers 500] [--sample 4]
        [--postgres] [--env DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS=true ...]
        [--skip-per-partition] [--select daily_ohlcv]

`--postgres` appends deploy/postgres_storage.yaml to the instance (the DAGSTER_PG_* variables
must point at a server); `--env` sets instance tuning variables for every `dagster` call
(docs/performance.md says which ones matter and what they cost).

Goal (issue 3): the single-run backfill of 2014-07-01..2024-06-28 (every weekday partition,
holidays included) takes <= 60 s on 2 cores; the same work as one run per partition (what a
backfill without a single-run policy launches) is measured on a sample of days spread over
the range and extrapolated; the speed-up should be >= 20x. Peak memory is the largest
resident set of the run's process. Both use `dagster asset materialize` as a user would.
"""

from __future__ import annotations

import argparse
import re
import datetime as dt
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import REPO, Workspace, machine, peak_child_rss_mb  # noqa: E402

FIRST, LAST = "2014-07-01", "2024-06-28"


def weekdays(first: str, last: str) -> list[str]:
    day, end, out = dt.date.fromisoformat(first), dt.date.fromisoformat(last), []
    while day <= end:
        if day.weekday() < 5:
            out.append(day.isoformat())
        day += dt.timedelta(days=1)
    return out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickers", type=int, default=500)
    parser.add_argument("--sample", type=int, default=4, help="partitions run one by one to extrapolate from")
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL instance storage (DAGSTER_PG_* set)")
    parser.add_argument("--env", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--skip-per-partition", action="store_true", help="only the single run")
    parser.add_argument("--select", default="daily_ohlcv,corporate_actions",
                        help="assets to backfill (issue 3 names `--select daily_ohlcv`)")
    args = parser.parse_args()
    extra_env = dict(item.split("=", 1) for item in args.env)

    def workspace() -> Workspace:
        ws = Workspace(args.tickers)
        ws.env.update(extra_env)
        if args.postgres:
            yaml = ws.home / "dagster.yaml"
            # As docs/deployment.md: the SQLite event log block out, the PostgreSQL block in.
            kept = re.sub(r"# >>> sqlite-event-log.*?# <<< sqlite-event-log\n", "", yaml.read_text(), flags=re.S)
            yaml.write_text(kept + "\n" + (REPO / "deploy" / "postgres_storage.yaml").read_text())
        return ws

    partitions = weekdays(FIRST, LAST)
    # By default with corporate_actions, as a backfill of the price group from the UI does; bars
    # alone pass price_jump too (the fetch records the splits it saw in ops.fetched_actions).
    select = ["asset", "materialize", "-m", "stock_assets.definitions", "--select", args.select]

    # One run per partition, on a sample spread over the range (a fresh workspace: no stored rows).
    step = max(1, len(partitions) // args.sample)
    sample, per_run = partitions[step // 2::step][: args.sample], []
    if not args.skip_per_partition:
        per = workspace()
        try:
            per.universe(FIRST)
            per_run = [per.dagster(*select, "--partition", day) for day in sample]
            print(f"one run per partition: {[round(x, 2) for x in per_run]} s on {sample}", flush=True)
        finally:
            per.cleanup()
    rss_before = peak_child_rss_mb()

    one = workspace()
    try:
        one.universe(FIRST)
        single = one.dagster(*select, "--partition-range", f"{FIRST}...{LAST}")
        peak = peak_child_rss_mb()
        steps = one.step_seconds()
        import duckdb
        con = duckdb.connect(str(one.data / "warehouse.duckdb"), read_only=True)
        rows, days = con.execute("SELECT count(*), count(DISTINCT date) FROM prices.daily_ohlcv").fetchone()
        con.close()
        files = len(list((one.data / "lake" / "daily_ohlcv").glob("date=*/data.parquet")))
    finally:
        one.cleanup()

    print(f"machine: {machine()}")
    print(f"instance: {'PostgreSQL' if args.postgres else 'SQLite'} storage, env {extra_env or '-'}; --select {args.select}")
    print(f"range {FIRST}..{LAST}: {len(partitions)} partitions, {days} sessions, {rows:,} rows, {files} files")
    print(f"single run:          {single:.1f}s  (goal <= 60 s: {'met' if single <= 60 else 'MISSED'})"
          f"  peak RSS {peak:.0f} MB (max of any child so far; per-partition runs peaked at {rss_before:.0f} MB)")
    if per_run:
        extrapolated = statistics.mean(per_run) * len(partitions)
        print(f"one run / partition: {[round(x, 2) for x in per_run]} s on {sample}")
        print(f"  extrapolated to {len(partitions)} runs: {extrapolated:.0f}s ({extrapolated / 3600:.1f} h)")
    print(f"single run by step (the rest, {single - sum(steps.values()):.1f}s, is process start, imports, instance):")
    for step, seconds in sorted(steps.items(), key=lambda kv: -kv[1]):
        print(f"  {step:<40}{seconds:7.2f}s")
    if per_run:
        print(f"speed-up: {extrapolated / single:.0f}x  (goal >= 20x: {'met' if extrapolated / single >= 20 else 'MISSED'})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
