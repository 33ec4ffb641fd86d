"""What the shipped dagster.yaml promises, on an instance loaded from it (docs/operations.md).

Run retries (once, never for an op failure), stuck-run monitoring and the concurrency limits
are settings that only the daemon acts on, so a wrong key or a dropped block would pass every
other test. Each promise is checked on the loaded instance, and where it is cheap, through the
very Dagster function the daemon calls, with a fake clock instead of waiting.
"""

import dagster as dg
import pytest
from dagster._core.storage.dagster_run import DagsterRunStatus
from dagster._core.storage.tags import RUN_FAILURE_REASON_TAG
from dagster._core.test_utils import create_run_for_test
from dagster._daemon.auto_run_reexecution.auto_run_reexecution import should_retry
from dagster._daemon.monitoring import run_monitoring

STUCK_TIMEOUT_S = 180


@pytest.fixture
def shipped(dagster_home, monkeypatch):
    monkeypatch.setenv("DAGSTER_HOME", str(dagster_home))
    with dg.DagsterInstance.get() as instance:
        yield instance


def _failed_run(instance, reason: str, **kw):
    return create_run_for_test(instance, job_name="daily_prices_job", status=DagsterRunStatus.FAILURE,
                               tags={RUN_FAILURE_REASON_TAG: reason, **kw.pop("tags", {})}, **kw)


def test_a_run_level_failure_is_retried_once_and_an_op_failure_never(shipped):
    assert shipped.run_retries_enabled and shipped.run_retries_max_retries == 1
    assert shipped.run_retries_retry_on_asset_or_op_failure is False
    killed = _failed_run(shipped, "RUN_EXCEPTION")          # e.g. the run process died
    assert should_retry(killed, shipped)
    retried = _failed_run(shipped, "RUN_EXCEPTION", root_run_id=killed.run_id, parent_run_id=killed.run_id,
                          tags={"dagster/retry_number": "1", "dagster/root_run_id": killed.run_id,
                                "dagster/parent_run_id": killed.run_id})
    assert not should_retry(retried, shipped)                # max_retries 1: the retry is the last try
    check_failed = _failed_run(shipped, "STEP_FAILURE")      # a failed step or blocking check
    assert not should_retry(check_failed, shipped)


def test_a_run_stuck_starting_is_failed_after_the_start_timeout(shipped, monkeypatch):
    assert shipped.run_monitoring_enabled
    assert shipped.run_monitoring_start_timeout_seconds == STUCK_TIMEOUT_S
    assert shipped.run_monitoring_cancel_timeout_seconds == STUCK_TIMEOUT_S
    assert shipped.run_monitoring_max_resume_run_attempts == 0  # the default launcher cannot resume
    assert shipped.run_monitoring_poll_interval_seconds == 60
    run = create_run_for_test(shipped, job_name="daily_prices_job", status=DagsterRunStatus.NOT_STARTED)
    record = shipped.get_run_record_by_id(run.run_id)
    created = record.create_timestamp.timestamp()
    logger = dg.get_dagster_logger()
    monkeypatch.setattr(run_monitoring, "get_current_timestamp", lambda: created + STUCK_TIMEOUT_S - 1)
    run_monitoring.monitor_starting_run(shipped, record, logger)
    assert shipped.get_run_by_id(run.run_id).status == DagsterRunStatus.NOT_STARTED
    monkeypatch.setattr(run_monitoring, "get_current_timestamp", lambda: created + STUCK_TIMEOUT_S + 1)
    run_monitoring.monitor_starting_run(shipped, record, logger)
    failed = shipped.get_run_by_id(run.run_id)
    assert failed.status == DagsterRunStatus.FAILURE
    assert failed.tags[RUN_FAILURE_REASON_TAG] == "START_TIMEOUT"
    assert should_retry(failed, shipped)  # ... and run_retries launches it again


def _assert_warehouse_writers_are_serialised(instance) -> None:
    """The one place that knows how warehouse writers are serialised: by DuckDB's own OS file
    lock (ADR 0012), never by a Dagster pool, whose slot outlives a run killed by SIGKILL. So no
    step of any job names a pool, and the shipped instance sets no pool limits."""
    from stock_assets.definitions import defs

    pools = {op.pool for job in defs.resolve_all_job_defs() for op in job.graph.iterate_op_defs()}
    assert pools == {None}
    assert "pools" not in instance.get_settings("concurrency")


def test_run_and_pool_concurrency_limits(shipped):
    assert type(shipped.run_coordinator).__name__ == "QueuedRunCoordinator"
    queue = shipped.get_concurrency_config().run_queue_config
    assert queue.max_concurrent_runs == 2
    assert [(lim["key"], lim["limit"]) for lim in queue.tag_concurrency_limits] == [("dagster/backfill", 1)]
    _assert_warehouse_writers_are_serialised(shipped)
