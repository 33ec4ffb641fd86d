"""Which process runs which Dagster run, and failing the runs whose process is gone.

Why: a run killed by SIGKILL (an OOM kill, a reboot) writes no failure event; it stays
STARTED in the instance for ever, counts against the run queue's limits, and keeps any
concurrency slot it claimed. Dagster's run monitoring only checks runs its run launcher
started, so a run from `dagster asset materialize` is never noticed. Each run of this code
location therefore records its process (host, boot, PID, start time; `lib/processes.py`) in
a run tag at its start, and `reap_dead_runs` fails every STARTED run whose recorded process
is gone from this host. It is called by every run at its start (so the CLI, with no daemon,
is covered) and by the `dead_run_reaper` sensor under the daemon (ADR 0012).

It lives with the storage because it only reads and writes the instance's run and event
storage; it never decides anything about data.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import dagster as dg

from stock_assets.lib.processes import ProcessId, identify, is_gone

PROCESS_TAG = "stock_assets/run_process"
MAX_RUNS_CHECKED = 200


@dataclass(frozen=True)
class DeadRun:
    """A run failed by the reaper: which, whose process, and the message it got."""

    run_id: str
    job_name: str
    process: ProcessId
    message: str


def record_run_process(instance: dg.DagsterInstance, run_id: str) -> ProcessId:
    """Tag `run_id` with this process, the one that executes it."""
    me = identify()
    instance.add_run_tags(run_id, {PROCESS_TAG: me.text()})
    return me


def run_of_process(instance: dg.DagsterInstance, pid: int) -> str | None:
    """`<run id> (<job>)` of the run that process `pid` of this host executes, if any."""
    process = identify(pid)
    if process is None:
        return None
    runs = instance.get_runs(dg.RunsFilter(tags={PROCESS_TAG: process.text()}), limit=1)
    return f"{runs[0].run_id} ({runs[0].job_name})" if runs else None


def died_message(process: ProcessId, reaper: str) -> str:
    return (
        f"The run's process (PID {process.pid} on {process.host}) is gone: it was killed (SIGKILL, "
        f"out of memory, a reboot) or crashed without reporting. Marked failed by {reaper} at "
        f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M:%S} UTC. What it held is free: DuckDB's lock went "
        "with the process, its concurrency slots are released, and a temp file it left in the lake "
        "is swept by the next write. Nothing it stored is half-written (every lake file and "
        "warehouse transaction is all or nothing): relaunch it (Re-execute, or the same CLI command)."
    )


def reap_dead_runs(instance: dg.DagsterInstance, reaper: str) -> list[DeadRun]:
    """Fail every STARTED run whose recorded process no longer runs on this host.

    Runs without the tag (started before it existed, or elsewhere) and runs on other hosts
    are left alone: their liveness cannot be told from here.
    """
    reaped = []
    started = instance.get_runs(dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED]), limit=MAX_RUNS_CHECKED)
    for run in started:
        process = ProcessId.parse(run.tags.get(PROCESS_TAG, ""))
        if process is None or not is_gone(process):
            continue
        current = instance.get_run_by_id(run.run_id)  # another reaper may have been first
        if current is None or current.status != dg.DagsterRunStatus.STARTED:
            continue
        message = died_message(process, reaper)
        instance.report_run_failed(current, message=message)
        if instance.event_log_storage.supports_global_concurrency_limits:
            instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        reaped.append(DeadRun(run_id=run.run_id, job_name=run.job_name, process=process, message=message))
    return reaped
