"""A step that waits for the warehouse says so in its run's log (what the UI shows), naming the
process and the run that hold the file (ADR 0012)."""

import subprocess
import sys
import textwrap
import threading
import time

import dagster as dg

from stock_assets.lib.processes import identify
from stock_assets.storage import warehouse as warehouse_module
from stock_assets.storage.resource import WarehouseResource
from stock_assets.storage.run_process import PROCESS_TAG

HOLDER = textwrap.dedent("""
    import sys, time, duckdb
    conn = duckdb.connect(sys.argv[1])
    print("holding", flush=True)
    time.sleep(float(sys.argv[2]))
""")


@dg.asset
def counts_dead_letters(warehouse: WarehouseResource) -> int:
    return warehouse.open().count("ops.dead_letter")


def _release_once_reported(instance, holder: subprocess.Popen, within: float = 60) -> threading.Thread:
    """Kill the holder once the waiting run has logged its wait (or after `within` s): the wait
    is seen however slowly the run starts on a loaded machine."""
    def watch():
        deadline = time.monotonic() + within
        while time.monotonic() < deadline and holder.poll() is None:
            runs = [r for r in instance.get_runs(limit=5) if r.run_id != "the-holding-run"]
            if runs and any("for the warehouse" in e.user_message for e in instance.all_logs(runs[0].run_id)):
                break
            time.sleep(0.2)
        holder.kill()
    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


def test_the_wait_is_in_the_step_log_naming_the_holding_run(warehouse, data_dir, instance, monkeypatch):
    monkeypatch.setattr(warehouse_module, "LOCK_REPORT_EVERY", 0.3)
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(warehouse.path), "90"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "holding"
        instance.add_run(dg.DagsterRun(job_name="daily_prices_job", run_id="the-holding-run",
                                       status=dg.DagsterRunStatus.STARTED,
                                       tags={PROCESS_TAG: identify(holder.pid).text()}))
        watcher = _release_once_reported(instance, holder)
        resource = WarehouseResource(database=str(warehouse.path), lake_dir=str(data_dir / "lake"))
        result = dg.materialize([counts_dead_letters], resources={"warehouse": resource}, instance=instance)
        watcher.join(timeout=30)
    finally:
        holder.kill()
        holder.wait(timeout=30)
    assert result.success
    logged = [e.user_message for e in instance.all_logs(result.run_id) if e.step_key == "counts_dead_letters"]
    waits = [m for m in logged if "waiting" in m and "for the warehouse" in m]
    assert waits, logged
    assert f"PID {holder.pid} (" in waits[0] and "run the-holding-run (daily_prices_job)" in waits[0]
