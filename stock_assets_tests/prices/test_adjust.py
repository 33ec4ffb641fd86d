"""As-traded conversion, the plausibility rule and the adjusted view (pure logic + DuckDB)."""

import datetime as dt

import polars as pl
import pytest

from stock_assets.lib import adjust
from stock_assets.lib.schema import CORPORATE_ACTIONS, DAILY_OHLCV
from stock_assets.storage.lake import ParquetLake

D = dt.date


def _bars(rows):
    return pl.DataFrame(rows, schema=["symbol", "date", "close", "volume"], orient="row")


def _splits(rows):
    return pl.DataFrame(rows, schema={"symbol": pl.String, "ex_date": pl.Date, "value": pl.Float64}, orient="row")


def test_as_traded_undoes_later_splits_only():
    # Yahoo after the 2020-08-31 4:1 split: 08-28 reads 124.81 (adjusted), 08-31 129.04 (as traded)
    bars = _bars([("AAPL", D(2020, 8, 28), 124.8075, 187_630_000), ("AAPL", D(2020, 8, 31), 129.04, 225_702_700)])
    traded = adjust.to_as_traded(bars, _splits([("AAPL", D(2020, 8, 31), 4.0)]))
    assert traded["close"].to_list() == pytest.approx([499.23, 129.04])
    assert traded["volume"].to_list() == [46_907_500, 225_702_700]


def test_as_traded_chains_splits_and_reverse_splits_per_symbol():
    bars = _bars([("X", D(2024, 1, 2), 10.0, 1000), ("Y", D(2024, 1, 2), 50.0, 1000)])
    splits = _splits([("X", D(2024, 2, 1), 2.0), ("X", D(2024, 3, 1), 3.0), ("Y", D(2024, 2, 1), 0.1)])
    traded = adjust.to_as_traded(bars, splits)
    assert traded["close"].to_list() == pytest.approx([60.0, 5.0])
    assert adjust.to_as_traded(bars, _splits([]))["close"].to_list() == [10.0, 50.0]


def test_jumps_are_flagged_unless_a_split_explains_them():
    bars = _bars([
        ("JUMP", D(2024, 6, 11), 140.0, 1), ("OK", D(2024, 6, 11), 101.0, 1),
        ("SPLIT", D(2024, 6, 11), 25.5, 1), ("INFRAME", D(2024, 6, 10), 50.0, 1),
        ("INFRAME", D(2024, 6, 11), 30.0, 1), ("NEW", D(2024, 6, 11), 999.0, 1),
    ])
    previous = {"JUMP": (D(2024, 6, 10), 100.0), "OK": (D(2024, 6, 10), 100.0), "SPLIT": (D(2024, 6, 10), 100.0)}
    flagged = adjust.implausible_jumps(bars, previous, _splits([("SPLIT", D(2024, 6, 11), 4.0)]))
    assert sorted(flagged["symbol"].to_list()) == ["INFRAME", "JUMP"]
    assert flagged.filter(pl.col("symbol") == "JUMP")["change"][0] == pytest.approx(0.4)


def test_a_move_of_exactly_the_limit_is_plausible():
    """"more than `limit`": 100 -> 125 (+25 %) and 100 -> 75 (-25 %) are kept, 125.5 is flagged."""
    bars = _bars([("UP", D(2024, 6, 11), 125.0, 1), ("DOWN", D(2024, 6, 11), 75.0, 1), ("OVER", D(2024, 6, 11), 125.5, 1)])
    previous = {s: (D(2024, 6, 10), 100.0) for s in ("UP", "DOWN", "OVER")}
    assert adjust.implausible_jumps(bars, previous, _splits([]))["symbol"].to_list() == ["OVER"]


def _store(warehouse, bars, actions, currency: str = "USD"):
    lake = ParquetLake(warehouse.lake_root)
    frame = pl.DataFrame(bars, schema=["date", "symbol", "close"], orient="row").with_columns(
        open=pl.col("close"), high=pl.col("close"), low=pl.col("close"), adj_close=pl.col("close"),
        volume=pl.lit(1000, pl.Int64), currency=pl.lit(currency), provider=pl.lit("test"), source_ts=pl.lit(None, pl.Datetime("us")),
        ingested_at=pl.lit(dt.datetime(2024, 1, 1)), run_id=pl.lit("r1"))
    lake.write_partitions("daily_ohlcv", sorted(set(frame["date"])), frame.select(list(DAILY_OHLCV)), DAILY_OHLCV)
    if actions:
        acts = pl.DataFrame(actions, schema=["symbol", "ex_date", "kind", "value"], orient="row").with_columns(
            source=pl.lit("test"), ingested_at=pl.lit(dt.datetime(2024, 1, 1)), run_id=pl.lit("r1"))
        warehouse.append_rows("prices.corporate_actions", acts.select(list(CORPORATE_ACTIONS)))
    warehouse.refresh_views()


def test_adjusted_view_exists_on_an_empty_lake(warehouse):
    assert warehouse.count("prices.daily_ohlcv_adjusted") == 0


def test_a_new_split_changes_nothing_stored_and_the_view_at_once(warehouse):
    _store(warehouse, [(D(2020, 8, 27), "AAPL", 500.57), (D(2020, 8, 28), "AAPL", 499.23),
                       (D(2020, 8, 31), "AAPL", 129.04)], [])
    stored_before = warehouse.query("SELECT * FROM prices.daily_ohlcv ORDER BY date")
    adj = warehouse.query("SELECT close FROM prices.daily_ohlcv_adjusted ORDER BY date")["close"].to_list()
    assert adj == pytest.approx([500.57, 499.23, 129.04])  # no action known yet
    warehouse.append_rows("prices.corporate_actions", pl.DataFrame(
        {"symbol": ["AAPL"], "ex_date": [D(2020, 8, 31)], "kind": ["split"], "value": [4.0], "source": ["yahoo"],
         "ingested_at": [dt.datetime(2020, 9, 1)], "run_id": ["r2"]}))
    assert warehouse.query("SELECT * FROM prices.daily_ohlcv ORDER BY date").equals(stored_before)
    adjusted = warehouse.query("SELECT close, volume, split_factor FROM prices.daily_ohlcv_adjusted ORDER BY date")
    assert adjusted["close"].to_list() == pytest.approx([125.1425, 124.8075, 129.04])
    assert adjusted["volume"].to_list() == [4000, 4000, 1000]


def test_dividends_scale_earlier_prices_by_one_minus_yield(warehouse):
    _store(warehouse, [(D(2021, 2, 16), "MSFT", 100.0), (D(2021, 2, 17), "MSFT", 99.0)],
           [("MSFT", D(2021, 2, 17), "dividend", 1.0)])
    adj = warehouse.query("SELECT close, dividend_factor FROM prices.daily_ohlcv_adjusted ORDER BY date")
    assert adj["close"].to_list() == pytest.approx([99.0, 99.0])
    assert adj["dividend_factor"].to_list() == pytest.approx([0.99, 1.0])


def test_adjusted_view_gives_major_units_and_names_the_currency(warehouse):
    """London quotes in pence (GBp): stored as traded, the adjusted view in pounds (GBP)."""
    _store(warehouse, [(D(2024, 6, 3), "OCDO.L", 412.5), (D(2024, 6, 4), "OCDO.L", 420.0)], [], currency="GBp")
    stored = warehouse.query("SELECT close, currency FROM prices.daily_ohlcv ORDER BY date")
    assert stored.rows() == [(412.5, "GBp"), (420.0, "GBp")]
    adj = warehouse.query("SELECT close, high, currency, close_as_traded, currency_as_traded "
                          "FROM prices.daily_ohlcv_adjusted ORDER BY date")
    assert adj["close"].to_list() == pytest.approx([4.125, 4.2])
    assert adj["high"].to_list() == pytest.approx([4.125, 4.2])
    assert set(adj["currency"]) == {"GBP"} and set(adj["currency_as_traded"]) == {"GBp"}
    assert adj["close_as_traded"].to_list() == [412.5, 420.0]


@pytest.mark.parametrize("price, currency, major", [
    (1234.5, "GBp", (12.345, "GBP")), (1234.5, "GBX", (12.345, "GBP")), (990.0, "ILA", (9.9, "ILS")), (5000.0, "ZAc", (50.0, "ZAR")),
    (10.0, "EUR", (10.0, "EUR")), (10.0, "USD", (10.0, "USD")), (10.0, None, (10.0, None))])
def test_to_major_units(price, currency, major):
    value, name = adjust.to_major_units(price, currency)
    assert (value, name) == (pytest.approx(major[0]), major[1])
