"""A backfill survives a daemon restart (issue 8), on the deployment's two services.

Why not `dagster dev`: it stops the webserver when its daemon dies. In production the
webserver and `dagster-daemon run` are separate services (docs/deployment.md) and a crashed
daemon is restarted by the service manager; the backfill's progress lives in the instance,
so the new daemon picks it up: runs already launched finish, queued ones are launched.
"""

import time

import pytest

from stock_assets_tests.e2e import queries as q
from stock_assets_tests.e2e.dagster_dev import start_split_deployment
from stock_assets_tests.e2e.backfills import (
    launch_backfill, materialized_keys, no_duplicates, wait_backfill, warehouse,
)

pytestmark = pytest.mark.slow

# Two ranges with a gap: the single-run policy makes one run per contiguous range, and the
# instance runs one backfill run at a time (dagster.yaml), so the second waits in the queue.
FIRST = ["2024-04-01", "2024-04-02", "2024-04-03"]
SECOND = ["2024-04-15", "2024-04-16", "2024-04-17"]
SLOW = {"resources": {"source": {"config": {"seconds_per_symbol": 0.25}}}}


@pytest.fixture(scope="module")
def services(tmp_path_factory):
    deployment = start_split_deployment(tmp_path_factory.mktemp("split"), 40,
                                        workspace_module="stock_assets_tests.e2e.location")
    try:
        yield deployment
    finally:
        deployment.stop()


def _started_fetching(web, backfill_id: str, timeout: float = 180) -> str:
    """The id of the backfill's run once its fetch is under way."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        runs = web.graphql(q.BACKFILL, {"id": backfill_id})["partitionBackfillOrError"]["runs"]
        for run in runs:
            events = web.graphql(q.RUN_LOGS, {"id": run["runId"]})["logsForRun"]["events"]
            if any("slow synthetic: batch 2/" in (e.get("message") or "") for e in events):
                return run["runId"]
        time.sleep(0.5)
    raise TimeoutError(f"no run of backfill {backfill_id} reached the fetch in {timeout}s")


def test_backfill_survives_a_daemon_restart(services):
    web = services.web
    web.succeed(web.launch_run("universe_job"), timeout=240)
    backfill_id = launch_backfill(web, FIRST + SECOND, run_config=SLOW)
    first_run = _started_fetching(web, backfill_id)

    services.crash_daemon()
    assert services.daemons[0].poll() is not None
    time.sleep(3)  # the backfill is still REQUESTED: nobody is left to launch the second run
    backfill = web.graphql(q.BACKFILL, {"id": backfill_id})["partitionBackfillOrError"]
    assert backfill["status"] == "REQUESTED"
    services.start_daemon()

    backfill = wait_backfill(web, backfill_id, timeout=420)
    assert backfill["status"] == "COMPLETED_SUCCESS", backfill
    statuses = {r["runId"]: r["status"] for r in backfill["runs"]}
    assert statuses[first_run] == "SUCCESS"  # the run in flight was not lost with the daemon
    assert len(statuses) == 2 and set(statuses.values()) == {"SUCCESS"}
    assert materialized_keys(web) >= set(FIRST + SECOND)
    rows, distinct = no_duplicates(warehouse(web), FIRST[0], SECOND[-1])
    assert rows == distinct > 0
    per_day = warehouse(web).query(
        "SELECT CAST(date AS VARCHAR) AS day, count(*) AS n FROM prices.daily_ohlcv GROUP BY ALL")
    assert set(FIRST + SECOND) <= set(per_day["day"].to_list())

