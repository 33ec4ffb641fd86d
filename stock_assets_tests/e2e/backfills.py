"""What the end-to-end tests do with backfills over GraphQL, as the UI does: launch one, wait
for it, read what the partitions page shows, and count rows in the warehouse."""

import datetime as dt
import math
import time

from stock_assets.defs.prices.assets import daily_prices
from stock_assets.storage.warehouse import Warehouse
from stock_assets_tests.e2e import queries as q

DAILY = {"path": ["daily_ohlcv"]}


def warehouse(dev) -> Warehouse:
    return Warehouse(dev.data_dir / "warehouse.duckdb", dev.data_dir / "lake")


def launch_backfill(dev, partitions: list[str], run_config: dict | None = None) -> str:
    params = {"partitionNames": partitions, "assetSelection": [DAILY], "title": "e2e backfill",
              "runConfigData": run_config or {}}
    data = dev.graphql(q.LAUNCH_BACKFILL, {"p": params})["launchPartitionBackfill"]
    assert data["__typename"] == "LaunchBackfillSuccess", data
    return data["backfillId"]


def wait_backfill(dev, backfill_id: str, timeout: float = 240) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        backfill = dev.graphql(q.BACKFILL, {"id": backfill_id})["partitionBackfillOrError"]
        runs_done = all(r["status"] in ("SUCCESS", "FAILURE", "CANCELED") for r in backfill["runs"])
        if backfill["status"] != "REQUESTED" and runs_done:
            return backfill
        dev.check_alive()
        time.sleep(1)
    raise TimeoutError(f"backfill {backfill_id} unfinished after {timeout}s: {backfill}")


def materialized_keys(dev) -> set[str]:
    """What the partitions page shows as materialised (the UI asks exactly this)."""
    node = dev.graphql(q.PARTITION_STATUS, {"key": DAILY})["assetNodeOrError"]
    keys: set[str] = set()
    for rng in node["assetPartitionStatuses"]["ranges"]:
        if rng["status"] != "MATERIALIZED":
            continue
        day = dt.date.fromisoformat(rng["startKey"])
        while day <= dt.date.fromisoformat(rng["endKey"]):
            if day.weekday() < 5:
                keys.add(day.isoformat())
            day += dt.timedelta(days=1)
    return keys


def expected_runs(partitions: int) -> int:
    """Runs a backfill of `partitions` partitions takes under the asset's backfill policy."""
    per_run = daily_prices.backfill_policy.max_partitions_per_run
    return 1 if per_run is None else math.ceil(partitions / per_run)


def no_duplicates(wh: Warehouse, start: str, end: str) -> tuple[int, int]:
    frame = wh.query(
        "SELECT count(*) AS n, count(DISTINCT (date, symbol)) AS d FROM prices.daily_ohlcv "
        "WHERE date BETWEEN ? AND ?", [start, end])
    return frame["n"].item(), frame["d"].item()
