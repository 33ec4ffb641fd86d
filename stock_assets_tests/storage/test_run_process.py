"""Dead-run detection: a STARTED run whose recorded process is gone is failed with a message
saying it died and its concurrency slots are freed; live, foreign and untagged runs are not."""

import subprocess
import sys

import dagster as dg
import pytest

from stock_assets.defs.automation.dead_runs import dead_run_reaper
from stock_assets.defs.executor import in_process_with_run_process
from stock_assets.lib.processes import ProcessId, identify
from stock_assets.storage.run_process import PROCESS_TAG, reap_dead_runs, record_run_process, run_of_process


@pytest.fixture
def instance():
    with dg.instance_for_test(overrides={"concurrency": {"pools": {"default_limit": 1}}}) as inst:
        yield inst


def _dead_process() -> ProcessId:
    child = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
    process = identify(child.pid)
    child.communicate(b"", timeout=30)
    return process


def _started_run(instance, run_id: str, process: ProcessId | None) -> dg.DagsterRun:
    tags = {PROCESS_TAG: process.text()} if process else {}
    return instance.add_run(dg.DagsterRun(job_name="daily_prices_job", run_id=run_id,
                                          status=dg.DagsterRunStatus.STARTED, tags=tags))


def _status(instance, run_id: str) -> dg.DagsterRunStatus:
    return instance.get_run_by_id(run_id).status


def test_a_started_run_whose_process_is_gone_is_failed_and_its_slot_freed(instance):
    dead = _dead_process()
    _started_run(instance, "dead", dead)
    storage = instance.event_log_storage
    storage.initialize_concurrency_limit_to_default("duckdb_warehouse")
    assert storage.claim_concurrency_slot("duckdb_warehouse", "dead", "daily_prices", 0).is_claimed
    assert not storage.claim_concurrency_slot("duckdb_warehouse", "next", "daily_prices", 0).is_claimed

    [reaped] = reap_dead_runs(instance, reaper="the test")

    assert reaped.run_id == "dead" and reaped.process == dead
    assert _status(instance, "dead") == dg.DagsterRunStatus.FAILURE
    [failure] = instance.all_logs("dead", of_type=dg.DagsterEventType.RUN_FAILURE)
    assert f"process (PID {dead.pid} on {dead.host}) is gone" in failure.message
    assert "Marked failed by the test" in failure.message and "relaunch it" in failure.message
    storage.free_concurrency_slot_for_step("next", "daily_prices")  # the blocked claim's pending row
    assert storage.claim_concurrency_slot("duckdb_warehouse", "next", "daily_prices", 0).is_claimed
    assert reap_dead_runs(instance, reaper="the test") == []  # once only


def test_live_foreign_and_untagged_runs_are_left_alone(instance):
    _started_run(instance, "alive", identify())
    _started_run(instance, "elsewhere", ProcessId("another-host", "b", 1, "1"))
    _started_run(instance, "untagged", None)
    assert reap_dead_runs(instance, reaper="the test") == []
    assert {_status(instance, r) for r in ("alive", "elsewhere", "untagged")} == {dg.DagsterRunStatus.STARTED}


def test_a_run_records_its_process_and_is_found_by_it(instance):
    _started_run(instance, "mine", None)
    me = record_run_process(instance, "mine")
    assert instance.get_run_by_id("mine").tags[PROCESS_TAG] == me.text()
    assert run_of_process(instance, me.pid) == "mine (daily_prices_job)"
    assert run_of_process(instance, _dead_process().pid) is None


def test_the_sensor_fails_dead_runs_and_launches_nothing(instance):
    _started_run(instance, "dead", _dead_process())
    result = dead_run_reaper(dg.build_sensor_context(instance=instance))
    assert isinstance(result, dg.SkipReason) and "dead" in result.skip_message
    assert _status(instance, "dead") == dg.DagsterRunStatus.FAILURE
    quiet = dead_run_reaper(dg.build_sensor_context(instance=instance))
    assert "no STARTED run of this host has lost its process" in quiet.skip_message


@dg.op
def one() -> int:
    return 1


@dg.job(executor_def=in_process_with_run_process)
def recording_job():
    one()


def test_the_executor_records_its_process_and_fails_dead_runs_before_the_steps(instance):
    _started_run(instance, "dead", _dead_process())
    with dg.execute_job(dg.reconstructable(recording_job), instance=instance) as result:
        assert result.success
        run_id = result.run_id
    assert instance.get_run_by_id(run_id).tags[PROCESS_TAG] == identify().text()  # executed in this process
    assert _status(instance, "dead") == dg.DagsterRunStatus.FAILURE
    [failure] = instance.all_logs("dead", of_type=dg.DagsterEventType.RUN_FAILURE)
    assert f"Marked failed by run {run_id} at its start" in failure.message
    logged = [e.user_message for e in instance.all_logs(run_id)]
    assert any("Run dead (daily_prices_job) was STARTED but its process" in m for m in logged)


def test_a_dead_run_another_reaper_failed_first_is_not_failed_again(instance, monkeypatch):
    """Two reapers (the sensor and a run's start) see the same STARTED run: the one that
    finds it no longer STARTED when it looks again leaves it alone."""
    _started_run(instance, "dead", _dead_process())
    instance.report_run_failed(instance.get_run_by_id("dead"), message="failed by the other reaper")
    started = instance.get_runs  # what the first query saw: still STARTED
    stale = [r.with_status(dg.DagsterRunStatus.STARTED) for r in started(dg.RunsFilter(run_ids=["dead"]))]
    monkeypatch.setattr(instance, "get_runs", lambda *a, **k: stale)
    assert reap_dead_runs(instance, reaper="the test") == []
    assert len(instance.all_logs("dead", of_type=dg.DagsterEventType.RUN_FAILURE)) == 1
