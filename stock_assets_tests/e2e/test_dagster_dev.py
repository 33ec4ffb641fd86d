"""End to end on a running `dagster dev` (webserver + daemon), driven over GraphQL.

One `dagster dev` serves every test of this module (starting one costs ~30-50 s on 2
cores); the tests run in file order and build on each other: the universe, then a UI-style
backfill, a relaunch of the missing partitions only, a forced relaunch, a run terminated
mid-fetch, the nightly schedule at chosen instants, the intraday sensor under the daemon.
The Chromium screenshots (test_ui.py) reuse the same instance (a package-scoped fixture).
"""

import datetime as dt
import time

import dagster as dg
import pytest

from stock_assets.defs.automation import quotes_automation
from stock_assets.lib import calendar
from stock_assets_tests.e2e import queries as q
from stock_assets_tests.e2e.backfills import (
    DAILY, expected_runs, launch_backfill, materialized_keys, no_duplicates, wait_backfill, warehouse,
)

pytestmark = pytest.mark.slow

FIRST_HALF = ["2024-03-18", "2024-03-19", "2024-03-20", "2024-03-21", "2024-03-22"]
RANGE = FIRST_HALF + ["2024-03-25", "2024-03-26", "2024-03-27", "2024-03-28", "2024-03-29"]  # 03-29: Good Friday
CHECKS = ("schema", "duplicates", "ohlc_consistency", "completeness")


def test_universe_over_graphql(dev):
    dev.succeed(dev.launch_run("universe_job"))
    assert warehouse(dev).count("universe.tickers", "status = 'active'") > 50


def test_backfill_runs_as_bounded_runs_and_records_checks(dev):
    backfill = wait_backfill(dev, launch_backfill(dev, FIRST_HALF))
    assert backfill["status"] == "COMPLETED_SUCCESS"
    assert len(backfill["runs"]) == expected_runs(len(FIRST_HALF))  # never one run per day
    assert all(r["status"] == "SUCCESS" for r in backfill["runs"])
    assert materialized_keys(dev) >= set(FIRST_HALF)
    rows, distinct = no_duplicates(warehouse(dev), FIRST_HALF[0], FIRST_HALF[-1])
    assert rows == distinct > 0
    run_ids = {r["runId"] for r in backfill["runs"]}
    for name in CHECKS:  # a range run records one evaluation per check over the whole range
        runs = dev.graphql(q.CHECK_EXECUTIONS, {"key": DAILY, "name": name})["assetCheckExecutions"]
        assert {e["runId"] for e in runs if e["status"] == "SUCCEEDED"} == run_ids, name


def test_second_launch_redoes_only_what_is_missing(dev):
    """The UI's "missing and failed only" launch: partitions minus those materialised."""
    before = no_duplicates(warehouse(dev), FIRST_HALF[0], FIRST_HALF[-1])
    missing = sorted(set(RANGE) - materialized_keys(dev))
    assert missing == RANGE[5:]
    backfill = wait_backfill(dev, launch_backfill(dev, missing))
    assert backfill["status"] == "COMPLETED_SUCCESS"
    assert backfill["numPartitions"] == 5
    assert materialized_keys(dev) >= set(RANGE)
    assert no_duplicates(warehouse(dev), FIRST_HALF[0], FIRST_HALF[-1]) == before  # untouched
    rows, distinct = no_duplicates(warehouse(dev), RANGE[0], RANGE[-1])
    assert rows == distinct > before[0]
    assert warehouse(dev).count("prices.daily_ohlcv", "date = ?", ["2024-03-29"]) == 0  # Good Friday


def test_forced_relaunch_replaces_partitions_without_duplicates(dev):
    wh = warehouse(dev)
    before = no_duplicates(wh, RANGE[0], RANGE[-1])
    force = {"ops": {"daily_prices": {"config": {"full_refetch": True}}}}
    backfill = wait_backfill(dev, launch_backfill(dev, RANGE, run_config=force))
    assert backfill["status"] == "COMPLETED_SUCCESS"
    assert len(backfill["runs"]) == expected_runs(len(RANGE))
    assert no_duplicates(wh, RANGE[0], RANGE[-1]) == before
    # every stored row now comes from the forced run (the lake replaced its partitions whole)
    run_ids = wh.query("SELECT DISTINCT run_id FROM prices.daily_ohlcv WHERE date BETWEEN ? AND ?",
                       [RANGE[0], RANGE[-1]])["run_id"].to_list()
    assert run_ids and set(run_ids) <= {r["runId"] for r in backfill["runs"]}


def test_run_terminated_mid_fetch_leaves_no_partial_partition(dev):
    day = "2024-03-11"
    slow = {"resources": {"source": {"config": {"seconds_per_symbol": 0.5}}}}
    run_id = dev.launch_run("daily_prices_job", tags={"dagster/partition": day}, run_config=slow)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # wait until the fetch is under way
        events = dev.graphql(q.RUN_LOGS, {"id": run_id})["logsForRun"]["events"]
        if any("slow synthetic: batch 2/" in (e.get("message") or "") for e in events):
            break
        time.sleep(0.5)
    else:
        pytest.fail(f"run {run_id} never reached the fetch; status {dev.run_status(run_id)}")
    result = dev.graphql(q.TERMINATE, {"id": run_id})["terminateRun"]
    assert result["__typename"] == "TerminateRunSuccess", result
    assert dev.wait_run(run_id, timeout=120) == "CANCELED"
    assert not (dev.data_dir / "lake" / "daily_ohlcv" / f"date={day}").exists()
    assert day not in materialized_keys(dev)
    wh = warehouse(dev)
    assert wh.count("prices.daily_ohlcv", "date = ?", [day]) == 0
    cancelled = wh.count("ops.fetch_errors", "run_id = ? AND code = 'YFCANCELLED'", [run_id])
    assert cancelled == wh.count("universe.tickers", "status = 'active'")  # every symbol, none fetched


def _schedule(dev, name: str) -> dict:
    return {"repositoryLocationName": "stock_assets", "repositoryName": "__repository__", "scheduleName": name}


def _dry_run(dev, name: str, when: dt.datetime) -> dict:
    data = dev.graphql(q.SCHEDULE_DRY_RUN, {"s": _schedule(dev, name), "t": when.timestamp()})["scheduleDryRun"]
    assert data["__typename"] == "DryRunInstigationTick", data
    return data["evaluationResult"]


def test_nightly_schedule_at_chosen_instants_and_its_run(dev):
    """The UI's "Test schedule" at a session evening and on a holiday, then launch what it asks."""
    evening = dt.datetime(2024, 3, 13, 16, 30, tzinfo=calendar.NEW_YORK)
    result = _dry_run(dev, "nightly_prices_schedule", evening)
    [request] = result["runRequests"]
    tags = {t["key"]: t["value"] for t in request["tags"]}
    # tonight and the five sessions before it, as one run (ADR 0014)
    assert (tags["dagster/asset_partition_range_start"], tags["dagster/asset_partition_range_end"]) == (
        "2024-03-06", "2024-03-13")
    dev.succeed(dev.launch_run("daily_prices_job", tags=tags), timeout=300)
    assert warehouse(dev).count("prices.daily_ohlcv", "date = ?", ["2024-03-13"]) > 0

    holiday = _dry_run(dev, "nightly_prices_schedule", dt.datetime(2024, 3, 29, 16, 30, tzinfo=calendar.NEW_YORK))
    assert not holiday["runRequests"]
    assert "XNYS holiday" in holiday["skipReason"]

    schedule = dev.graphql(q.SCHEDULE, {"s": _schedule(dev, "nightly_prices_schedule")})["scheduleOrError"]
    assert schedule["scheduleState"]["status"] == "RUNNING"  # on by default: the daemon ticks it
    assert schedule["executionTimezone"] == "America/New_York"
    for tick in schedule["futureTicks"]["results"]:
        local = dt.datetime.fromtimestamp(tick["timestamp"], dt.UTC).astimezone(calendar.NEW_YORK)
        assert (local.hour, local.minute, local.weekday() < 5) == (16, 30, True)


def test_quote_sensor_ticks_under_the_daemon(dev):
    selector = {"repositoryLocationName": "stock_assets", "repositoryName": "__repository__",
                "sensorName": "quote_snapshots_sensor"}
    started = dev.graphql(q.START_SENSOR, {"s": selector})["startSensor"]  # STOPPED by default offline
    assert started["sensorState"]["status"] == "RUNNING", started
    deadline = time.monotonic() + 120
    ticks: list = []
    while time.monotonic() < deadline and not [t for t in ticks if t["status"] != "STARTED"]:
        sensor = dev.graphql(q.SENSOR_TICKS, {"s": selector})["sensorOrError"]
        ticks = sensor["sensorState"]["ticks"]
        time.sleep(1)
    tick = next(t for t in ticks if t["status"] != "STARTED")
    dev.graphql(q.STOP_SENSOR, {"id": sensor["sensorState"]["id"], "sid": sensor["sensorState"]["selectorId"]})
    # what the sensor must have decided at that instant (the synthetic universe: XNYS)
    expected = quotes_automation.scan_request(dt.datetime.fromtimestamp(tick["timestamp"], dt.UTC), ("XNYS",))
    if isinstance(expected, dg.RunRequest):
        assert tick["status"] == "SUCCESS", tick
        [run_id] = tick["runIds"]
        dev.succeed(run_id)
        assert warehouse(dev).count("universe.fundamentals") > 0
    else:
        assert tick["status"] == "SKIPPED", tick
        assert tick["skipReason"] == expected.skip_message
