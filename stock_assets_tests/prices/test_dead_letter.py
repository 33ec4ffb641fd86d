"""The dead-letter rules on the warehouse alone: which failures count, what ends a streak."""

import datetime as dt

import polars as pl
import pytest

from stock_assets.lib.schema import DAILY_OHLCV
from stock_assets.storage import dead_letter
from stock_assets.storage.lake import ParquetLake
from stock_assets.storage.warehouse import Warehouse

D = dt.date


def _fail(warehouse, symbol, session, code="YFHTTP4XX", at=None):
    warehouse.append_rows("ops.fetch_errors", pl.DataFrame({
        "run_id": [f"run-{session}"], "session": [session], "symbol": [symbol], "code": [code],
        "message": ["HTTP 404"], "attempts": [1], "recorded_at": [at or dt.datetime.combine(session, dt.time(22))]}))


def _night(warehouse, session, failures: dict[str, str]):
    for symbol, code in failures.items():
        _fail(warehouse, symbol, session, code)
    return dead_letter.update(warehouse, {s: (c, "msg") for s, c in failures.items()},
                              now=dt.datetime.combine(session, dt.time(23)))


def test_three_nights_of_own_failures_dead_letter_but_throttling_never_does(warehouse):
    nights = [D(2024, 6, 10), D(2024, 6, 11), D(2024, 6, 12)]
    assert _night(warehouse, nights[0], {"GONE": "YFHTTP4XX", "BUSY": "YF429"}) == []
    assert _night(warehouse, nights[1], {"GONE": "YFTZ", "BUSY": "YFBREAKER"}) == []
    assert _night(warehouse, nights[2], {"GONE": "YFEMPTY", "BUSY": "YFCANCELLED"}) == ["GONE"]
    row = warehouse.query("SELECT * FROM ops.dead_letter").to_dicts()[0]
    assert (row["symbol"], row["failed_nights"], row["last_code"]) == ("GONE", 3, "YFEMPTY")


@pytest.mark.parametrize("code", ["YF429", "YFBREAKER", "YFCANCELLED", "YFDEAD", "YFPROXY"])
def test_each_code_that_is_not_the_symbols_fault_never_counts_on_any_night(warehouse, code):
    """Each ignored code alone, three nights running: no streak, no dead letter. (The test above
    uses each ignored code for one night only, so it cannot tell whether one of them counts.)"""
    nights = [D(2024, 6, 10), D(2024, 6, 11), D(2024, 6, 12)]
    for night in nights:
        assert _night(warehouse, night, {"BUSY": code}) == []
    assert dead_letter.failed_streaks(warehouse, ["BUSY"]) == {}
    # a night of its own failure afterwards is the first of its streak
    assert _night(warehouse, D(2024, 6, 13), {"BUSY": "YFEMPTY"}) == []
    assert dead_letter.failed_streaks(warehouse, ["BUSY"]) == {"BUSY": 1}


def test_a_stored_bar_ends_the_streak(warehouse):
    _fail(warehouse, "GAP", D(2024, 6, 10))
    _fail(warehouse, "GAP", D(2024, 6, 11))
    bar = pl.DataFrame({"date": [D(2024, 6, 12)], "symbol": ["GAP"], "open": [1.0], "high": [1.0], "low": [1.0],
                        "close": [1.0], "adj_close": [1.0], "volume": [1], "currency": ["USD"], "provider": ["yahoo"],
                        "source_ts": [None], "ingested_at": [dt.datetime(2024, 6, 12)], "run_id": ["r"]},
                       schema=DAILY_OHLCV)
    ParquetLake(warehouse.lake_root).write_partition("daily_ohlcv", D(2024, 6, 12), bar, DAILY_OHLCV)
    warehouse.refresh_views()
    assert _night(warehouse, D(2024, 6, 13), {"GAP": "YFHTTP4XX"}) == []
    assert dead_letter.failed_streaks(warehouse, ["GAP"]) == {"GAP": 1}


def test_release_takes_listing_or_yahoo_spelling_and_gives_three_fresh_nights(warehouse):
    warehouse.append_rows("universe.tickers", pl.DataFrame({
        "symbol": ["BRK.B"], "yahoo_symbol": ["BRK-B"], "status": ["active"],
        "first_seen": [dt.datetime(2024, 1, 1)], "last_seen": [dt.datetime(2024, 6, 1)],
        "updated_at": [dt.datetime(2024, 6, 1)]}))
    for day in (D(2024, 6, 10), D(2024, 6, 11), D(2024, 6, 12)):
        dead = _night(warehouse, day, {"BRK-B": "YFHTTP4XX"})
    assert dead == ["BRK-B"]
    assert dead_letter.release(warehouse, ["BRK.B"]) == 1
    assert dead_letter.dead_symbols(warehouse) == [] and dead_letter.release(warehouse, ["BRK.B"]) == 0
    _fail(warehouse, "BRK-B", D(2024, 6, 13), at=dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(1))
    assert dead_letter.failed_streaks(warehouse, ["BRK-B"]) == {"BRK-B": 1}
    assert warehouse.query("SELECT reason FROM ops.dead_letter_releases")["reason"].to_list() == ["relisted"]


def test_the_queue_row_says_since_when_and_keeps_a_bounded_message(warehouse):
    at = dt.datetime(2024, 6, 12, 23, 5)
    for day in (D(2024, 6, 10), D(2024, 6, 11), D(2024, 6, 12)):
        _fail(warehouse, "LONG", day)
    assert dead_letter.update(warehouse, {"LONG": ("YFHTTP4XX", "x" * 2000)}, now=at) == ["LONG"]
    row = warehouse.query("SELECT since, last_message FROM ops.dead_letter").to_dicts()[0]
    assert row["since"] == at  # the given time, not the clock
    assert row["last_message"] == "x" * 500


def test_release_of_nothing_and_release_all_count_what_left(tmp_path, warehouse):
    fresh = Warehouse(tmp_path / "fresh.duckdb", tmp_path / "lake")  # no schema yet: release makes it
    assert dead_letter.release(fresh, ["ANY"]) == 0 and dead_letter.release(warehouse, []) == 0
    for day in (D(2024, 6, 10), D(2024, 6, 11), D(2024, 6, 12)):
        _night(warehouse, day, {"A": "YFTZ", "B": "YFEMPTY"})
    assert dead_letter.release_all(warehouse) == 2
    assert dead_letter.dead_symbols(warehouse) == []
    assert set(warehouse.query("SELECT reason FROM ops.dead_letter_releases")["reason"]) == {"re-enabled by a person"}
