"""Runs whose process is killed under a real `dagster dev` (issue 13, ADR 0012).

A run launched from the UI and SIGKILLed: the next run proceeds (nothing it held survives
it) and the run is failed saying it was killed (Dagster's code server notices its child
died). A run launched from the CLI against the same instance and SIGKILLed: no code server
watches it, so the dead_run_reaper sensor fails it, saying it died, with no new run needed.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from stock_assets.lib.processes import ProcessId, is_gone
from stock_assets.settings import REPO_ROOT
from stock_assets.storage.run_process import PROCESS_TAG
from stock_assets_tests.e2e import queries as q
from stock_assets_tests.e2e.conftest import E2E_TICKERS

pytestmark = pytest.mark.slow

KILLED_DAY, NEXT_DAY, CLI_DAY = "2024-04-01", "2024-04-02", "2024-04-03"
SLOW = {"resources": {"source": {"config": {"seconds_per_symbol": 5.0}}}}  # minutes: killed long before
NO_RETRY = {"dagster/max_retries": "0"}  # the daemon would otherwise relaunch it (run_retries)
REAPED_WITHIN = 150  # the sensor's 60 s interval, a tick, and a loaded machine


def _tags(dev, run_id: str) -> dict:
    return {t["key"]: t["value"] for t in dev.graphql(q.RUN_TAGS, {"id": run_id})["runOrError"]["tags"]}


def _messages(dev, run_id: str) -> list[str]:
    return [e.get("message") or "" for e in dev.graphql(q.RUN_LOGS, {"id": run_id})["logsForRun"]["events"]]


def _wait_fetching(dev, run_id: str, timeout: float = 180) -> ProcessId:
    """The run's process, once its fetch step is under way (it holds what a warehouse step holds)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        tags = _tags(dev, run_id)
        if PROCESS_TAG in tags and any("slow synthetic: batch 1/" in m for m in _messages(dev, run_id)):
            return ProcessId.parse(tags[PROCESS_TAG])
        time.sleep(0.5)
    pytest.fail(f"run {run_id} never reached its fetch; status {dev.run_status(run_id)}")


def _sigkill(process: ProcessId) -> None:
    """As an OOM kill: no clean-up, no failure event."""
    os.kill(process.pid, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while not is_gone(process):
        assert time.monotonic() < deadline, f"PID {process.pid} survived SIGKILL"
        time.sleep(0.2)


@pytest.fixture(scope="module")
def universe(dev):
    dev.succeed(dev.launch_run("universe_job"))


def test_a_killed_ui_run_is_failed_and_the_next_run_proceeds(dev, universe):
    doomed = dev.launch_run("daily_prices_job", tags={"dagster/partition": KILLED_DAY, **NO_RETRY}, run_config=SLOW)
    _sigkill(_wait_fetching(dev, doomed))

    following = dev.launch_run("daily_prices_job", tags={"dagster/partition": NEXT_DAY})
    dev.succeed(following, timeout=300)
    assert dev.wait_run(doomed, timeout=REAPED_WITHIN) == "FAILURE"
    assert any("SIGKILL" in m or "is gone" in m for m in _messages(dev, doomed)), _messages(dev, doomed)[-5:]


def test_a_killed_cli_run_is_failed_by_the_sensor(dev, universe, tmp_path):
    stall = tmp_path / "stalled"
    env = {k: v for k, v in os.environ.items() if not k.startswith("STOCK_ASSETS_")} | {
        "DAGSTER_HOME": str(dev.home), "STOCK_ASSETS_SOURCE": "synthetic", "STOCK_ASSETS_DATA_DIR": str(dev.data_dir),
        "STOCK_ASSETS_SYNTHETIC_TICKERS": str(E2E_TICKERS), "CRASH_TEST_STALL_FILE": str(stall),
        "CRASH_TEST_STALL_AT": "1"}
    cli = subprocess.Popen([str(Path(sys.executable).parent / "dagster"), "asset", "materialize", "-m",
                            "stock_assets_tests.crash_location", "--select", "daily_ohlcv", "--partition", CLI_DAY],
                           cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           start_new_session=True)
    try:
        deadline = time.monotonic() + 180
        while not stall.exists():  # mid-write, in the lake, as the backfill was
            assert cli.poll() is None and time.monotonic() < deadline, "the CLI run never reached its write"
            time.sleep(0.5)
    finally:
        if cli.poll() is None:
            os.killpg(cli.pid, signal.SIGKILL)
        cli.wait(timeout=30)
    pid = int(stall.read_text())
    run_id = _run_of_pid(dev, pid)
    assert dev.wait_run(run_id, timeout=REAPED_WITHIN) == "FAILURE"
    [died] = [m for m in _messages(dev, run_id) if "is gone" in m]
    assert f"PID {pid}" in died and "Marked failed by the dead_run_reaper sensor" in died


def _run_of_pid(dev, pid: int) -> str:
    """The run whose process tag names `pid` (the CLI run, seen through the webserver)."""
    for run in dev.graphql(q.RECENT_RUNS)["runsOrError"]["results"]:
        tags = {t["key"]: t["value"] for t in run["tags"]}
        process = ProcessId.parse(tags.get(PROCESS_TAG, ""))
        if process and process.pid == pid:
            return run["runId"]
    pytest.fail(f"no run records process {pid}")
