"""The in-memory row rules (lib/validation.py) that the price asset uses to quarantine rows."""

import datetime as dt

import polars as pl
import pytest

from stock_assets.lib import validation
from stock_assets.lib.schema import DAILY_OHLCV

D = dt.date(2024, 6, 3)


def bars(**overrides) -> pl.DataFrame:
    base = {"date": [D, D, D], "symbol": ["AAA", "BBB", "CCC"], "open": [10.0, 20.0, 30.0],
            "high": [11.0, 21.0, 31.0], "low": [9.0, 19.0, 29.0], "close": [10.5, 20.5, 30.5],
            "adj_close": [10.5, 20.5, 30.5], "volume": [100, 200, 300], "currency": ["USD"] * 3, "provider": ["t"] * 3,
            "source_ts": [dt.datetime(2024, 6, 3, 20)] * 3, "ingested_at": [dt.datetime(2024, 6, 4)] * 3,
            "run_id": ["r"] * 3}
    base.update(overrides)
    return pl.DataFrame(base, schema=DAILY_OHLCV)


def test_clean_bars_pass_every_rule():
    frame = bars()
    for rule in (validation.schema, validation.null_fields, validation.duplicates,
                 validation.ohlc_consistency, validation.zero_volume):
        assert rule(frame).passed, rule.__name__


@pytest.mark.parametrize("column, values, rule, bad", [
    ("high", [11.0, 18.0, 31.0], validation.ohlc_consistency, "BBB"),   # high below low
    ("low", [9.0, 19.0, -1.0], validation.ohlc_consistency, "CCC"),     # non-positive price
    ("volume", [100, -5, 300], validation.ohlc_consistency, "BBB"),     # negative volume
    ("close", [None, 20.5, 30.5], validation.null_fields, "AAA"),
    ("volume", [100, 0, 300], validation.zero_volume, "BBB"),
])
def test_each_rule_names_the_offending_row(column, values, rule, bad):
    outcome = rule(bars(**{column: values}))
    assert not outcome.passed
    assert outcome.offending["symbol"].to_list() == [bad]


def test_duplicates_and_schema():
    frame = bars(symbol=["AAA", "AAA", "CCC"])
    dup = validation.duplicates(frame)
    assert not dup.passed and dup.numbers == {"duplicate_rows": 2, "duplicate_keys": 1}
    retyped = bars().with_columns(pl.col("volume").cast(pl.Float64), extra=pl.lit(1))
    problems = validation.schema(retyped)
    assert not problems.passed
    assert set(problems.offending["problem"]) == {"volume: Float64 (expected Int64)", "unexpected column extra"}


def test_completeness_share_and_threshold():
    frame = bars()
    expected = {D: ["AAA", "BBB", "CCC", "DDD"]}
    assert not validation.completeness(frame, expected).passed  # 75 %
    assert validation.completeness(frame, expected, min_share=0.75).passed
    outcome = validation.completeness(frame, expected)
    assert outcome.offending.rows() == [(D, "DDD")] and outcome.numbers["worst_share"] == 0.75


def test_prices_on_the_bounds_of_the_range_are_consistent():
    """open = high and close = low (a stock that fell all day) are valid bars, not offenders."""
    frame = bars(open=[11.0, 19.0, 30.0], close=[9.0, 21.0, 30.5], high=[11.0, 21.0, 31.0], low=[9.0, 19.0, 29.0])
    assert validation.ohlc_consistency(frame).passed
    assert validation.ohlc_consistency(bars(volume=[0, 200, 300])).passed  # zero volume is zero_volume's business


def test_a_zero_low_is_inconsistent_and_a_penny_price_is_not():
    """A low of 0 is a bad print (every other price may be fine); a stock at $0.50 is not."""
    assert validation.ohlc_consistency(bars(low=[0.0, 19.0, 29.0])).offending["symbol"].to_list() == ["AAA"]
    penny = bars(open=[0.5, 20.0, 30.0], high=[0.6, 21.0, 31.0], low=[0.4, 19.0, 29.0], close=[0.5, 20.5, 30.5])
    assert validation.ohlc_consistency(penny).passed


def test_suspect_keeps_exactly_the_rows_a_row_rule_may_refuse():
    """QA's cheap pre-filter (lib/qa/ordered_pass.py) must never drop a row that null_fields,
    ohlc_consistency or zero_volume would flag, nor keep the clean ones."""
    frame = pl.concat([bars(), bars(symbol=["NUL", "INV", "ZERO"], close=[None, 20.5, 30.5], high=[11.0, 18.0, 31.0],
                                     volume=[100, 200, 0])])
    assert validation.suspect(frame)["symbol"].to_list() == ["NUL", "INV", "ZERO"]
    assert validation.suspect(bars()).height == 0


def test_a_null_price_is_also_an_ohlc_inconsistency():
    """The OHLC order cannot be checked on a null price: the bar is not sane (null_fields names the column)."""
    assert validation.ohlc_consistency(bars(high=[None, 21.0, 31.0])).offending["symbol"].to_list() == ["AAA"]


def test_completeness_by_default_asks_for_97_percent():
    expected = {D: [f"S{i:02d}" for i in range(100)]}
    present = pl.DataFrame({"date": [D] * 97, "symbol": [f"S{i:02d}" for i in range(97)]})
    assert validation.completeness(present, expected).passed
    assert not validation.completeness(present.head(96), expected).passed
