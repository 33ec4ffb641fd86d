"""Milliseconds per stored asset event: Dagster's SQLite event log against ours (ADR 0011).

    uv run python benchmarks/bench_event_log.py [--events 500] [--dir /tmp]

Stores `--events` materialisation events of one run, as a single-run backfill's step does, in a
fresh directory under `--dir` (its filesystem decides what an fsync costs), with Dagster's
`SqliteEventLogStorage` and with `PooledSqliteEventLogStorage`, interleaved three times.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from dagster._core.storage.event_log import SqliteEventLogStorage

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import machine  # noqa: E402

from stock_assets.storage.dagster_event_log import PooledSqliteEventLogStorage  # noqa: E402
from stock_assets_tests.storage.event_entries import materialization  # noqa: E402

RUN_ID = "bench000-0000-0000-0000-000000000000"


def ms_per_event(storage_class, events: int, parent: str | None) -> float:
    storage = storage_class(tempfile.mkdtemp(prefix="bench_event_log_", dir=parent))
    try:
        storage.store_event(materialization(RUN_ID, "warm-up"))  # creates the run shard
        started = time.perf_counter()
        for i in range(events):
            storage.store_event(materialization(RUN_ID, f"p{i}"))
        return (time.perf_counter() - started) / events * 1000
    finally:
        storage.dispose()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=500)
    parser.add_argument("--dir", default=None, help="parent directory of the temp storages")
    args = parser.parse_args()
    stock, pooled = [], []
    for _ in range(3):
        stock.append(ms_per_event(SqliteEventLogStorage, args.events, args.dir))
        pooled.append(ms_per_event(PooledSqliteEventLogStorage, args.events, args.dir))
    print(f"machine: {machine()}")
    print(f"directory: {args.dir or tempfile.gettempdir()}, {args.events} materialisation events per measurement")
    print(f"SqliteEventLogStorage (Dagster):  median {statistics.median(stock):.2f} ms/event  {[round(x, 2) for x in stock]}")
    print(f"PooledSqliteEventLogStorage:      median {statistics.median(pooled):.2f} ms/event  {[round(x, 2) for x in pooled]}")
    print(f"ratio: {statistics.median(stock) / statistics.median(pooled):.1f}x fewer ms per event")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
