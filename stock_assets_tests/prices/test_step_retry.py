"""The fetch step retries what a later attempt can cure, and nothing else (step_retry.py)."""

from __future__ import annotations

import dagster as dg
import duckdb
import pytest

from stock_assets.defs.prices import nightly_fetch, step_retry
from stock_assets.storage.warehouse import WarehouseLocked
from stock_assets_tests.conftest import materialize_prices

DAY = "2024-06-03"


@pytest.fixture
def no_wait(monkeypatch):
    """The nightly schedule waits 2 and 6 minutes; the tests keep the count, not the wait."""
    monkeypatch.setattr(step_retry, "FETCH_RETRY_POLICY", dg.RetryPolicy(max_retries=2, delay=0))


def _failing_fetch(monkeypatch, error: Exception, times: int) -> list[int]:
    """The first `times` fetches raise `error`; later ones fetch for real. Returns the call log."""
    real, calls = nightly_fetch.fetch_lacking, []

    def fetch(*args, **kwargs):
        calls.append(1)
        if len(calls) <= times:
            raise error
        return real(*args, **kwargs)

    monkeypatch.setattr(nightly_fetch, "fetch_lacking", fetch)
    return calls


def _events(result, kind: dg.DagsterEventType) -> list:
    return [e for e in result.all_events if e.event_type == kind]


def _stored(data_dir) -> tuple[int, int]:
    con = duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True)
    try:
        return con.execute("SELECT count(*), count(DISTINCT (date, symbol)) FROM prices.daily_ohlcv").fetchone()
    finally:
        con.close()


def test_a_locked_warehouse_is_retried_and_the_day_lands_once(universe_ready, instance, data_dir, monkeypatch, no_wait):
    calls = _failing_fetch(monkeypatch, WarehouseLocked("warehouse.duckdb stayed locked for 60s"), times=1)
    result = materialize_prices(universe_ready, instance, partition_key=DAY)
    assert result.success
    assert len(calls) == 2
    assert len(_events(result, dg.DagsterEventType.STEP_UP_FOR_RETRY)) == 1
    rows, distinct = _stored(data_dir)
    assert rows == distinct > 0


def test_a_network_error_that_persists_fails_after_the_policys_retries(universe_ready, instance, monkeypatch, no_wait):
    calls = _failing_fetch(monkeypatch, ConnectionError("connection reset by peer"), times=99)
    result = materialize_prices(universe_ready, instance, partition_key=DAY, raise_on_error=False)
    assert not result.success
    assert len(calls) == 3  # the attempt and 2 retries
    assert len(_events(result, dg.DagsterEventType.STEP_UP_FOR_RETRY)) == 2


def test_a_bug_is_not_retried_and_stores_nothing(universe_ready, instance, data_dir, monkeypatch, no_wait):
    calls = _failing_fetch(monkeypatch, KeyError("close"), times=99)
    result = materialize_prices(universe_ready, instance, partition_key=DAY, raise_on_error=False)
    assert not result.success
    assert len(calls) == 1
    assert not _events(result, dg.DagsterEventType.STEP_UP_FOR_RETRY)
    assert not (data_dir / "lake" / "daily_ohlcv").exists()


def test_a_refused_partition_is_not_retried(universe_ready, instance, monkeypatch, no_wait):
    import datetime as dt

    from stock_assets.defs.prices import assets

    monkeypatch.setattr(assets, "_utcnow", lambda: dt.datetime(2024, 6, 3, 18, 0))  # still trading
    result = materialize_prices(universe_ready, instance, partition_key=DAY, raise_on_error=False)
    assert not result.success
    assert not _events(result, dg.DagsterEventType.STEP_UP_FOR_RETRY)


def test_the_schedule_of_the_nightly_policy():
    """2 retries, about 2 then 6 minutes later: what docs/operations.md promises."""
    policy = step_retry.FETCH_RETRY_POLICY
    assert policy.max_retries == 2
    first, second = policy.calculate_delay(1), policy.calculate_delay(2)
    assert 0 < first <= 240 and 0 < second <= 480 and policy.delay == 120
    assert step_retry.is_transient(WarehouseLocked("x")) and not step_retry.is_transient(ValueError("x"))


def test_the_nightly_policy_backs_off_exponentially(monkeypatch):
    """Without its jitter (random() = 0.5 centres it) the schedule is exactly 2 then 6 minutes:
    Dagster's exponential backoff waits (2**n - 1) x delay. A constant delay (2, 2) or a linear
    one (2, 4) would hammer a locked warehouse or a down network sooner than promised."""
    from dagster._core.definitions import policy as dagster_policy

    monkeypatch.setattr(dagster_policy, "random", lambda: 0.5)
    policy = step_retry.FETCH_RETRY_POLICY
    assert [policy.calculate_delay(n) for n in (1, 2)] == [120, 360]
    monkeypatch.setattr(dagster_policy, "random", lambda: 0.0)  # the jitter's extremes: +/- one delay
    assert [policy.calculate_delay(n) for n in (1, 2)] == [0, 240]


def test_a_lock_after_the_lake_write_is_retried_too(universe_ready, instance, data_dir, monkeypatch, no_wait):
    """The warehouse views are re-pointed after the lake write, inside the step's retry."""
    from stock_assets.storage.lake import ParquetLake
    from stock_assets.storage.warehouse import Warehouse

    written, failed = [], []
    real_write, real_ensure = ParquetLake.write_partitions, Warehouse.ensure_schema

    def write(self, *args, **kwargs):
        written.append(1)
        return real_write(self, *args, **kwargs)

    def ensure(self):
        if written and not failed:
            failed.append(1)
            raise WarehouseLocked("warehouse.duckdb stayed locked by another process for 120s")
        return real_ensure(self)

    monkeypatch.setattr(ParquetLake, "write_partitions", write)
    monkeypatch.setattr(Warehouse, "ensure_schema", ensure)
    result = materialize_prices(universe_ready, instance, partition_key=DAY)
    assert result.success
    assert failed and len(_events(result, dg.DagsterEventType.STEP_UP_FOR_RETRY)) == 1
    rows, distinct = _stored(data_dir)
    assert rows == distinct > 0
