"""Waiting for DuckDB's lock: a sleeping, bounded wait that names the holder and how to free it,
and a holder that is killed frees the file at once (the OS drops its lock)."""

import subprocess
import sys
import textwrap
import time

import pytest

from stock_assets.storage import warehouse as warehouse_module
from stock_assets.storage.warehouse import Warehouse, WarehouseLocked

HOLDER = textwrap.dedent("""
    # lock-holder-of-the-test
    import sys, time, duckdb
    conn = duckdb.connect(sys.argv[1])
    print("holding", flush=True)
    time.sleep(float(sys.argv[2]))
""")


def _hold(path, seconds: float) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(path), str(seconds)],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "holding"
    return proc


def test_a_long_wait_is_reported_naming_the_holder_process_and_its_run(warehouse, monkeypatch):
    monkeypatch.setattr(warehouse_module, "LOCK_REPORT_EVERY", 0.3)
    holder = _hold(warehouse.path, 3)
    reports, asked = [], []
    waiting = Warehouse(warehouse.path, warehouse.lake_root, on_wait=reports.append,
                        holder_run=lambda pid: asked.append(pid) or "run-1234 (daily_prices_job)")
    try:
        assert waiting.count("ops.dead_letter") == 0  # got in once the holder exited
    finally:
        holder.kill()
    assert asked and set(asked) == {holder.pid}
    assert reports, "a wait longer than the report interval said nothing"
    first = reports[0]
    assert f"PID {holder.pid} (" in first and "lock-holder-of-the-test" in first
    assert "run run-1234 (daily_prices_job)" in first
    assert "Terminate" in first and "docs/runbooks/run_died_or_step_waits.md" in first


def test_a_lock_held_past_the_wait_fails_naming_the_holder(warehouse):
    holder = _hold(warehouse.path, 30)
    try:
        impatient = Warehouse(warehouse.path, warehouse.lake_root, lock_wait_seconds=0.5)
        with pytest.raises(WarehouseLocked, match=f"stayed locked by another process, PID {holder.pid} \\(.*lock-holder-of-the-test"):
            impatient.count("ops.dead_letter")
    finally:
        holder.kill()
        holder.wait(timeout=30)


def test_the_wait_sleeps_between_attempts(warehouse, monkeypatch):
    """No spinning: attempts are spaced by growing sleeps (a 1.5 s wait makes a handful, not thousands)."""
    attempts = []
    real_connect = warehouse_module.duckdb.connect
    monkeypatch.setattr(warehouse_module.duckdb, "connect",
                        lambda *a, **k: (attempts.append(time.monotonic()), real_connect(*a, **k))[1])
    holder = _hold(warehouse.path, 30)
    try:
        with pytest.raises(WarehouseLocked):
            Warehouse(warehouse.path, warehouse.lake_root, lock_wait_seconds=1.5).count("ops.dead_letter")
    finally:
        holder.kill()
        holder.wait(timeout=30)
    assert 3 <= len(attempts) <= 30


def test_a_killed_holder_frees_the_warehouse_at_once(warehouse):
    """SIGKILL runs no clean-up; DuckDB's lock is the OS's and goes with the process."""
    holder = _hold(warehouse.path, 60)
    holder.kill()
    holder.wait(timeout=30)
    started = time.monotonic()
    assert Warehouse(warehouse.path, warehouse.lake_root, lock_wait_seconds=5).count("ops.dead_letter") == 0
    assert time.monotonic() - started < 5
