"""Missed nights and failed symbols heal themselves, on a running `dagster dev` (ADR 0014).

Each night is what the UI's "Preview tick result" shows for `nightly_prices_schedule` at 16:30 on
that day (evaluated by the code server), launched as the daemon would launch it. Monday's
run has Yahoo fail three symbols, which with 60 symbols fails the blocking completeness check
(a night whose run failed); Tuesday to Thursday get no nightly run; Friday's one run fills
the three missed sessions for every symbol and Monday for the ones that failed. Two nightly
runs only: each costs ~1-2 min on a busy 2-core machine. Dates are April 2024, apart from
the other e2e tests' March.
"""

import datetime as dt

import polars as pl
import pytest

from stock_assets.defs.prices.synthetic import SyntheticPriceSource
from stock_assets.lib import calendar
from stock_assets_tests.e2e import queries as q
from stock_assets_tests.e2e.backfills import DAILY, materialized_keys, no_duplicates, warehouse
from stock_assets_tests.e2e.conftest import E2E_TICKERS

pytestmark = pytest.mark.slow

MONDAY, FRIDAY = dt.date(2024, 4, 15), dt.date(2024, 4, 19)
MISSED = [dt.date(2024, 4, 16), dt.date(2024, 4, 17), dt.date(2024, 4, 18)]


def _nightly_tags(dev, day: dt.date) -> dict:
    when = dt.datetime.combine(day, dt.time(16, 30), tzinfo=calendar.NEW_YORK)
    data = dev.graphql(q.SCHEDULE_DRY_RUN, {"s": dev.selector(scheduleName="nightly_prices_schedule"),
                                            "t": when.timestamp()})["scheduleDryRun"]
    [request] = data["evaluationResult"]["runRequests"]
    return {t["key"]: t["value"] for t in request["tags"]}


def _night(dev, day: dt.date, run_config: dict | None = None) -> str:
    run_id = dev.launch_run("daily_prices_job", tags=_nightly_tags(dev, day), run_config=run_config)
    dev.succeed(run_id, timeout=300)
    return run_id


def _rows(dev, first: dt.date, last: dt.date) -> pl.DataFrame:
    return warehouse(dev).query("SELECT date, symbol, close, run_id FROM prices.daily_ohlcv "
                                "WHERE date BETWEEN ? AND ? ORDER BY date, symbol", [first, last])


def _ensure_universe(dev) -> None:
    """The universe the earlier e2e tests refreshed today, or a refresh now (this file alone)."""
    path = dev.data_dir / "warehouse.duckdb"
    if not path.exists() or not warehouse(dev).count("universe.tickers", "status = 'active'"):
        dev.succeed(dev.launch_run("universe_job"))


def _answering_symbols(dev) -> list[str]:
    """Active symbols the synthetic market has a bar for on every session of the test (so that
    only the failures this test makes are missing)."""
    active = warehouse(dev).query("SELECT yahoo_symbol FROM universe.tickers WHERE status = 'active' "
                                  "ORDER BY yahoo_symbol")["yahoo_symbol"].to_list()
    sessions = calendar.sessions_between(dt.date(2024, 4, 8), FRIDAY)
    bars = SyntheticPriceSource(ticker_count=E2E_TICKERS).fetch_range(active, sessions).bars
    complete = bars.group_by("symbol").len().filter(pl.col("len") == len(sessions))["symbol"]
    return sorted(set(complete))


def test_one_nightly_tick_fills_three_missed_nights_and_symbols_that_failed(dev):
    _ensure_universe(dev)  # refreshed today: the staleness guard lets the nightly runs pass
    failing = _answering_symbols(dev)[:3]
    fail_once = {"resources": {"source": {"config": {"failing_symbols": failing}}}}
    # Yahoo fails three symbols tonight: 5 % of 60 missing fails the blocking completeness check
    # (97 %), so the run fails (a failed night, as a person would see it).
    monday_run = dev.launch_run("daily_prices_job", tags=_nightly_tags(dev, MONDAY), run_config=fail_once)
    assert dev.wait_run(monday_run, timeout=300) == "FAILURE"
    assert any("completeness" in e for e in dev.errors(monday_run)), dev.errors(monday_run)
    monday = _rows(dev, MONDAY, MONDAY)
    assert monday.height > 50 and set(monday["run_id"]) == {monday_run}
    assert not set(failing) & set(monday["symbol"])
    assert warehouse(dev).count("ops.fetch_errors", "list_contains(?, symbol) AND session = ?",
                                [failing, MONDAY]) == 3
    assert not {d.isoformat() for d in MISSED} & materialized_keys(dev)

    # Tuesday to Thursday: no nightly run. Friday's tick asks for Friday and the five sessions before it.
    tags = _nightly_tags(dev, FRIDAY)
    assert (tags["dagster/asset_partition_range_start"], tags["dagster/asset_partition_range_end"]) == (
        "2024-04-12", "2024-04-19")
    friday_run = _night(dev, FRIDAY)

    assert {d.isoformat() for d in [*MISSED, FRIDAY]} <= materialized_keys(dev)
    week = _rows(dev, MONDAY, FRIDAY)
    per_day = dict(week.group_by("date").len().iter_rows())
    assert per_day[MONDAY] == monday.height + 3 and set(per_day) == {MONDAY, *MISSED, FRIDAY}
    assert set(per_day.values()) == {monday.height + 3}  # the same symbols every day
    checks = dev.graphql(q.CHECK_EXECUTIONS, {"key": DAILY, "name": "completeness"})["assetCheckExecutions"]
    # one evaluation over the whole window (the per-partition planned records end SKIPPED): it passes now
    statuses = {e["status"] for e in checks if e["runId"] == friday_run}
    assert "SUCCEEDED" in statuses and "FAILED" not in statuses, statuses
    assert set(week.filter(pl.col("date") > MONDAY)["run_id"]) == {friday_run}
    # Monday's stored rows kept as they were; the symbols that failed Monday got Monday to Friday.
    assert week.filter((pl.col("date") == MONDAY) & ~pl.col("symbol").is_in(failing)).equals(monday)
    for symbol in failing:
        assert week.filter(pl.col("symbol") == symbol)["date"].to_list() == [MONDAY, *MISSED, FRIDAY]
    rows, distinct = no_duplicates(warehouse(dev), "2024-04-12", "2024-04-19")
    assert rows == distinct
