"""The sensor that fails runs whose process died, under the daemon (`dagster dev`, deployments).

Why a sensor as well as the check each run makes at its start (defs/executor.py): when no
new run starts, a killed run would otherwise stay STARTED, hold a place in the run queue's
limits and look alive in the UI until someone looks. The sensor checks every minute; it
launches nothing. What it found is in its tick log (*Automation -> dead_run_reaper*) and in
each failed run's log. ADR 0012.
"""

import dagster as dg

from stock_assets.storage.run_process import reap_dead_runs

REAP_EVERY_SECONDS = 60


@dg.sensor(
    name="dead_run_reaper",
    minimum_interval_seconds=REAP_EVERY_SECONDS,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=(
        "Fails every STARTED run of this host whose process is gone (SIGKILL, out of memory, "
        "reboot), with a message saying it died, and releases its concurrency slots. Launches nothing. "
        "Missed ticks: nothing lost; the next tick finds every run that died meanwhile (and every "
        "run's start does the same check)."
    ),
)
def dead_run_reaper(context: dg.SensorEvaluationContext) -> dg.SkipReason:
    dead = reap_dead_runs(context.instance, reaper="the dead_run_reaper sensor")
    for run in dead:
        context.log.warning(f"run {run.run_id} ({run.job_name}): process PID {run.process.pid} is gone; marked failed")
    if dead:
        return dg.SkipReason(f"marked {len(dead)} dead run(s) failed: {', '.join(r.run_id for r in dead)}")
    return dg.SkipReason("no STARTED run of this host has lost its process")
