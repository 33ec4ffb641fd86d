"""A dead-lettered symbol is skipped, never in silence: YFDEAD each night it is left out."""

import datetime as dt

import polars as pl

from stock_assets.storage import dead_letter
from stock_assets_tests.conftest import materialize_prices

SINCE = dt.datetime(2024, 5, 31, 23)


def _dead(symbol: str) -> pl.DataFrame:
    return pl.DataFrame({"symbol": [symbol], "since": [SINCE], "failed_nights": [3], "last_code": ["YFTZ"],
                         "last_message": ["possibly delisted"]},
                        schema={"symbol": pl.String, "since": pl.Datetime("us"), "failed_nights": pl.Int32,
                                "last_code": pl.String, "last_message": pl.String})


def _fetch_report(result) -> dict:
    mat = [e for e in result.get_asset_materialization_events() if e.asset_key.path[-1] == "daily_ohlcv"][0]
    return mat.materialization.metadata


def test_a_dead_symbol_is_recorded_as_yfdead_each_night_it_is_skipped(universe_ready, instance, warehouse):
    active = warehouse.query("SELECT yahoo_symbol FROM universe.tickers WHERE status = 'active' ORDER BY 1")
    symbol, requested = active["yahoo_symbol"][0], active.height
    warehouse.append_rows("ops.dead_letter", _dead(symbol))
    nights = [dt.date(2024, 6, 3), dt.date(2024, 6, 4)]
    for night in nights:
        assert materialize_prices(universe_ready, instance, partition_key=night.isoformat(), checks=()).success
    rows = warehouse.query("SELECT session, code, attempts, message FROM ops.fetch_errors WHERE symbol = ? "
                           "ORDER BY session", [symbol])
    assert rows["session"].to_list() == nights and set(rows["code"]) == {"YFDEAD"}
    assert set(rows["attempts"]) == {0}
    assert rows["message"][0].startswith("skipped: in ops.dead_letter since 2024-05-31 (3 failed nights, last YFTZ)")
    # it was not asked for nor stored, the queue row is left as it was, and the report counts
    # only what was requested
    assert warehouse.count("prices.daily_ohlcv", "symbol = ?", [symbol]) == 0
    assert warehouse.query("SELECT since, failed_nights, last_code FROM ops.dead_letter").rows() == [(SINCE, 3, "YFTZ")]
    report = warehouse.query("SELECT requested, failed, failures_by_code FROM ops.fetch_reports "
                             "WHERE first_session = ?", [nights[0]]).to_dicts()[0]
    assert report["requested"] == requested - 1 and report["failed"] == 0 and "YFDEAD" not in report["failures_by_code"]
    # once released, the next night asks for it again and records nothing
    assert dead_letter.release(warehouse, [symbol]) == 1
    assert materialize_prices(universe_ready, instance, partition_key="2024-06-05", checks=()).success
    assert warehouse.count("ops.fetch_errors", "symbol = ? AND session = ?", [symbol, dt.date(2024, 6, 5)]) == 0
    assert warehouse.count("prices.daily_ohlcv", "symbol = ? AND date = ?", [symbol, dt.date(2024, 6, 5)]) == 1
