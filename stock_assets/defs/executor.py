"""The code location's executor: Dagster's in-process executor that first says who runs the run.

Why wrap it: the executor is the one piece of code that every run of this code location
executes in its own process, at its start, however it was launched (UI, schedule, sensor,
backfill, `dagster job execute`, `dagster asset materialize`). There it records the process in
a run tag and fails the runs of this host whose process is gone (storage/run_process.py,
ADR 0012), so a run killed earlier is cleared up by the next one even where no daemon runs.
Steps still run in process, as before (one code-location import per run; ADR 0010).
"""

from __future__ import annotations

from collections.abc import Iterator

import dagster as dg

from stock_assets.storage.run_process import PROCESS_TAG, reap_dead_runs, record_run_process


class RunProcessExecutor(dg.Executor):
    """Records the run's process and reaps dead runs, then hands the plan to `inner`."""

    def __init__(self, inner: dg.Executor):
        self._inner = inner

    @property
    def retries(self):
        return self._inner.retries

    @property
    def step_dependency_config(self):
        return self._inner.step_dependency_config

    def get_step_event_or_retry_event(self, step_context, err_info, known_state, original_event):
        return self._inner.get_step_event_or_retry_event(step_context, err_info, known_state, original_event)

    def execute(self, plan_context, execution_plan) -> Iterator[dg.DagsterEvent]:
        instance, run_id = plan_context.instance, plan_context.dagster_run.run_id
        me = record_run_process(instance, run_id)
        plan_context.log.debug(f"run process {me.text()} (run tag {PROCESS_TAG})")
        for dead in reap_dead_runs(instance, reaper=f"run {run_id} at its start"):
            plan_context.log.warning(
                f"Run {dead.run_id} ({dead.job_name}) was STARTED but its process (PID {dead.process.pid}) "
                "is gone: marked it failed and released what it held."
            )
        yield from self._inner.execute(plan_context, execution_plan)


in_process_with_run_process = dg.ExecutorDefinition(
    name="in_process",
    config_schema=dg.in_process_executor.config_schema,
    executor_creation_fn=lambda init_context: RunProcessExecutor(
        dg.in_process_executor.executor_creation_fn(init_context)
    ),
    description="Dagster's in-process executor; records the run's process and fails runs whose process died.",
)
