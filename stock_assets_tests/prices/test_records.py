"""defs/prices/records.py against a warehouse and a lake made in the test (no Dagster): which
symbols are asked for and from when, and what a fetch leaves in the ops tables."""

import datetime as dt
import json

import polars as pl
import pytest

from stock_assets.defs.prices import records
from stock_assets.defs.prices.sources import FetchFailure, FetchResult
from stock_assets.lib.errors import ErrorCode
from stock_assets.lib.schema import CORPORATE_ACTIONS, DAILY_OHLCV
from stock_assets.storage.lake import ParquetLake
from stock_assets.storage.warehouse import Warehouse

D = dt.date
NOW = dt.datetime(2024, 6, 5, 22)


@pytest.fixture
def warehouse(tmp_path):
    wh = Warehouse(tmp_path / "warehouse.duckdb", tmp_path / "lake")
    wh.ensure_schema()
    return wh


def _tickers(wh, rows):
    """rows: (yahoo_symbol, status, delisted_on)."""
    wh.append_rows("universe.tickers", pl.DataFrame({
        "symbol": [r[0] for r in rows], "yahoo_symbol": [r[0] for r in rows], "status": [r[1] for r in rows],
        "delisted_on": [r[2] for r in rows], "first_seen": NOW, "last_seen": NOW, "updated_at": NOW,
    }, schema_overrides={"delisted_on": pl.Date}))


def _dead(wh, symbol):
    wh.append_rows("ops.dead_letter", pl.DataFrame({
        "symbol": [symbol], "since": [dt.datetime(2024, 5, 1)], "failed_nights": [3], "last_code": ["YFNODATA"]}))


def test_symbols_asked_for_are_the_active_and_the_later_delisted_less_the_dead_letters(warehouse):
    _tickers(warehouse, [("AAA", "active", None), ("BBB", "delisted", D(2024, 6, 5)), ("DEAD", "active", None)])
    _dead(warehouse, "DEAD")
    assert records.symbols_for(warehouse, D(2024, 6, 3)) == ["AAA", "BBB"]
    assert records.symbols_for(warehouse, D(2024, 6, 10)) == ["AAA"]  # BBB was gone by then
    [skip] = records.skipped_as_dead(warehouse, D(2024, 6, 3), D(2024, 6, 4))
    assert (skip.symbol, skip.code, skip.attempts, skip.session) == ("DEAD", ErrorCode.YFDEAD, 0, D(2024, 6, 4))
    assert "since 2024-05-01 (3 failed nights, last YFNODATA)" in skip.message


def test_a_universe_whose_every_symbol_is_dead_lettered_asks_for_nothing_rather_than_failing(warehouse):
    """Only an empty universe means 'run universe_job first'; a universe with nothing to fetch is a quiet night."""
    _tickers(warehouse, [("DEAD", "active", None)])
    _dead(warehouse, "DEAD")
    assert records.symbols_for(warehouse, D(2024, 6, 3)) == []


def _bar(symbol, day, close=10.0):
    return {"date": day, "symbol": symbol, "open": close, "high": close, "low": close, "close": close,
            "adj_close": close, "volume": 100, "currency": "USD", "provider": "t", "source_ts": None,
            "ingested_at": None, "run_id": "r"}


def test_stored_rows_are_the_lakes_rows_of_the_runs_days(tmp_path):
    lake = ParquetLake(tmp_path / "lake")
    days = [D(2024, 6, 3), D(2024, 6, 4), D(2024, 6, 5)]
    lake.write_partitions("daily_ohlcv", days, pl.DataFrame([_bar("AAA", d) for d in days], schema=DAILY_OHLCV),
                          DAILY_OHLCV)
    assert records.stored_rows(lake, [D(2024, 6, 4), D(2024, 6, 5)])["date"].sort().to_list() == days[1:]
    none = records.stored_rows(lake, [])
    assert none.height == 0 and none.schema == pl.Schema(DAILY_OHLCV)


def test_lacking_asks_each_symbol_from_its_first_missing_session():
    sessions = [D(2024, 6, 3), D(2024, 6, 4), D(2024, 6, 5)]
    stored = pl.DataFrame([_bar("FULL", d) for d in sessions] + [_bar("GAP", D(2024, 6, 3)), _bar("GAP", D(2024, 6, 5))],
                          schema=DAILY_OHLCV)
    assert records.lacking(["FULL", "GAP", "NEW"], sessions, stored) == {D(2024, 6, 3): ["NEW"], D(2024, 6, 4): ["GAP"]}
    assert records.lacking(["FULL"], [], stored) == {}


def test_a_full_refetch_asks_every_symbol_from_the_first_session_of_its_own_market():
    """ADR 0019: a London symbol whose market was closed on the window's first day is asked from
    its own first session; one whose market did not trade in the window is not asked at all."""
    sessions = [D(2024, 5, 24), D(2024, 5, 27), D(2024, 5, 28)]  # 05-27: Memorial Day (US), Spring bank holiday (UK)
    own = {"US": [D(2024, 5, 24), D(2024, 5, 28)], "UK.L": [D(2024, 5, 28)], "SHUT.L": []}
    stored = pl.DataFrame([_bar("US", D(2024, 5, 24))], schema=DAILY_OHLCV)
    groups = {D(2024, 5, 24): ["US"], D(2024, 5, 28): ["UK.L"]}
    assert records.lacking(["US", "UK.L", "SHUT.L"], sessions, stored, full_refetch=True, own=own) == groups
    assert records.lacking(["US", "UK.L"], sessions, pl.DataFrame(schema=DAILY_OHLCV), own=own) == groups
    assert records.lacking(["US", "UK.L"], sessions, stored, full_refetch=True) == {D(2024, 5, 24): ["US", "UK.L"]}


def test_a_symbol_with_several_refused_rows_is_one_failure_naming_the_count_and_the_first_day():
    bars = pl.DataFrame([{**_bar("BAD", D(2024, 6, 4)), "close": None}, {**_bar("BAD", D(2024, 6, 3)), "close": None},
                         _bar("OK", D(2024, 6, 3))], schema=DAILY_OHLCV)
    good, [failure] = records.quarantine(bars, D(2024, 6, 4))
    assert good["symbol"].to_list() == ["OK"]
    assert failure.message == "2 row(s) refused: null required field (first 2024-06-03)"


def _result(rows=3, **stats):
    bars = pl.DataFrame([_bar("AAA", D(2024, 6, 3) + dt.timedelta(days=i)) for i in range(rows)], schema=DAILY_OHLCV)
    return FetchResult(bars=bars, actions=pl.DataFrame(schema=CORPORATE_ACTIONS), stats=stats)


def test_the_fetch_report_counts_what_was_asked_stored_and_failed():
    failures = [FetchFailure("X", ErrorCode.YF429, "slow down"), FetchFailure("X", ErrorCode.YF429, "again"),
                FetchFailure("Y", ErrorCode.YFPARSE, "bad row")]
    result = _result(rows=3, latency_ms=[float(v) for v in range(100, 0, -1)], asked=8, refetched=2, expected_rows=4,
                     requests=5, retries=1, throttles=2)
    report = records.fetch_report(result, failures, 10, [D(2024, 6, 3), D(2024, 6, 4)], 1.23456)
    assert report == {
        "requested": 10, "asked_source": 8, "already_stored": 2, "fetched": 8, "failed": 2, "rows": 3,
        "failures_by_code": {"YF429": 2, "YFPARSE": 1}, "latency_p50_ms": 51.0, "latency_p95_ms": 95.0,
        "http_requests": 5, "retries": 1, "throttles": 2, "breaker_opened": 0, "refetched": 2,
        "refetch_share": 0.25, "completeness": 0.75, "sessions": 2, "seconds": 1.235,
    }
    quiet = records.fetch_report(_result(rows=0), [], 0, [], 0.0)
    assert (quiet["latency_p95_ms"], quiet["refetch_share"], quiet["completeness"]) == (None, 0.0, 1.0)
    assert records.fetch_report(_result(latency_ms=[12.3456]), [], 1, [], 0.0)["latency_p50_ms"] == 12.35
    two = records.fetch_report(_result(latency_ms=[300.0, 100.0]), [], 1, [], 0.0)
    assert (two["latency_p50_ms"], two["latency_p95_ms"]) == (100.0, 300.0)  # p95 of two requests: the slower


def test_record_fetch_writes_each_failure_and_one_report_row_and_a_rerun_replaces_them(warehouse):
    sessions = [D(2024, 6, 3), D(2024, 6, 4)]
    failures = [FetchFailure("X", ErrorCode.YF429, "slow down", attempts=3),  # no session: the run's last
                FetchFailure("Y", ErrorCode.YFPARSE, "bad row", session=D(2024, 6, 3))]
    skipped = [FetchFailure("DEAD", ErrorCode.YFDEAD, "skipped", attempts=0, session=D(2024, 6, 4))]
    for _ in range(2):
        report = records.record_fetch(warehouse, _result(latency_ms=[100.0]), failures, "run1", "yahoo", sessions,
                                      5, 2.34567, NOW, skipped)
    errors = warehouse.query("SELECT symbol, session, code, attempts FROM ops.fetch_errors ORDER BY symbol")
    assert errors.rows() == [("DEAD", D(2024, 6, 4), "YFDEAD", 0), ("X", D(2024, 6, 4), "YF429", 3),
                             ("Y", D(2024, 6, 3), "YFPARSE", 1)]
    assert report["failed"] == 2 and report["dead_letter_skipped"] == 1
    [row] = warehouse.query("SELECT * FROM ops.fetch_reports").to_dicts()
    assert (row["first_session"], row["last_session"], row["requested"], row["failed"], row["fetched"]) == (
        D(2024, 6, 3), D(2024, 6, 4), 5, 2, 3)
    assert row["seconds"] == 2.346 and json.loads(row["failures_by_code"]) == {"YF429": 1, "YFPARSE": 1}


def test_actions_seen_are_kept_latest_first_and_counted(warehouse):
    def actions(value):
        return pl.DataFrame({"symbol": ["AAA", "AAA"], "ex_date": [D(2024, 6, 10), D(2024, 6, 10)],
                             "kind": ["split", "split"], "value": [2.0, value], "source": ["yahoo", "yahoo"]})
    assert records.record_actions_seen(warehouse, actions(4.0).clear(), "r1", NOW) == 0
    assert records.record_actions_seen(warehouse, actions(4.0), "r1", NOW) == 1  # the later row of a key wins
    assert records.record_actions_seen(warehouse, actions(3.0), "r2", NOW) == 1
    assert warehouse.query("SELECT value, run_id FROM ops.fetched_actions").rows() == [(3.0, "r2")]
