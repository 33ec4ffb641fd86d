"""A run killed mid-write never blocks the runs after it (issue 13, ADR 0012), through the CLI
as users run it: `dagster asset materialize --partition-range` SIGKILLed while it writes the
lake, then the same command again. No daemon runs: the rerun itself fails the dead run."""

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest

from stock_assets.settings import REPO_ROOT
from stock_assets.storage.run_process import PROCESS_TAG
from stock_assets.storage.warehouse import Warehouse
from stock_assets_tests.conftest import run_cli

pytestmark = pytest.mark.slow

RANGE = ("2024-06-03", "2024-06-14")  # ten sessions, the 4:1 split of 2024-06-10 among them
SESSIONS = [dt.date(2024, 6, d) for d in (3, 4, 5, 6, 7, 10, 11, 12, 13, 14)]
STALL_TIMEOUT = 240.0
RERUN_TIMEOUT = 240.0


def _materialize(module: str) -> list[str]:
    """`dagster asset materialize` of RANGE as one run (the arguments after `dagster`)."""
    return ["asset", "materialize", "-m", module, "--select", "daily_ohlcv",
            "--partition-range", f"{RANGE[0]}...{RANGE[1]}"]


def _kill_mid_write(env: dict, stall_file) -> None:
    """Start the range write, wait (bounded) until it stalls half-way through a day's file, SIGKILL it."""
    dagster = str(Path(sys.executable).parent / "dagster")
    proc = subprocess.Popen([dagster, *_materialize("stock_assets_tests.crash_location")], cwd=REPO_ROOT, env=env | {"CRASH_TEST_STALL_FILE": str(stall_file)},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + STALL_TIMEOUT
    try:
        while not stall_file.exists():
            assert proc.poll() is None, f"the run ended ({proc.returncode}) before it stalled"
            assert time.monotonic() < deadline, f"the run did not reach its stall in {STALL_TIMEOUT}s"
            time.sleep(0.5)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL


def test_a_range_write_killed_mid_write_does_not_block_the_rerun(universe_ready, cli_env, data_dir, dagster_home,
                                                                tmp_path, monkeypatch):
    lake_dir = data_dir / "lake" / "daily_ohlcv"
    _kill_mid_write(cli_env, tmp_path / "stalled")
    assert list(lake_dir.glob("date=*/.data.parquet.*.tmp")), "the kill left no temp file: it was not mid-write"
    monkeypatch.setenv("DAGSTER_HOME", str(dagster_home))  # where the CLI's instance keeps its event log
    instance = dg.DagsterInstance.from_config(str(dagster_home))
    [killed] = instance.get_runs()
    assert killed.status == dg.DagsterRunStatus.STARTED and PROCESS_TAG in killed.tags

    started = time.monotonic()
    rerun = run_cli(_materialize("stock_assets.definitions"), cli_env, timeout=RERUN_TIMEOUT)
    took = time.monotonic() - started
    assert rerun.returncode == 0, rerun.stdout[-3000:] + rerun.stderr[-3000:]
    assert "blocked by limit" not in rerun.stderr

    killed = instance.get_run_by_id(killed.run_id)
    assert killed.status == dg.DagsterRunStatus.FAILURE
    [failure] = instance.all_logs(killed.run_id, of_type=dg.DagsterEventType.RUN_FAILURE)
    assert "process (PID" in failure.message and "is gone" in failure.message
    assert f"Run {killed.run_id} (__ASSET_JOB) was STARTED but its process" in rerun.stderr
    wh = Warehouse(data_dir / "warehouse.duckdb", data_dir / "lake")
    per_session = wh.query("SELECT date, count(*) AS rows, count(DISTINCT symbol) AS symbols "
                           "FROM prices.daily_ohlcv GROUP BY date ORDER BY date")
    assert per_session["date"].to_list() == SESSIONS
    assert per_session["rows"].to_list() == per_session["symbols"].to_list()  # every (session, symbol) once
    assert min(per_session["rows"]) > 0
    assert list(lake_dir.glob("date=*/.*.tmp")) == []
    print(f"rerun after the kill: {took:.1f}s")
