"""Stored schemas: frames are conformed or refused with a reason."""

import datetime as dt

import polars as pl
import pytest

from stock_assets.lib.schema import (CORPORATE_ACTIONS, DAILY_OHLCV, SOURCE_BAR_COLUMNS, SchemaError, conform,
                                     empty, schema_differences)


def test_conform_selects_orders_and_casts():
    frame = pl.DataFrame({"extra": [1], "kind": ["split"], "symbol": ["A"], "ex_date": ["2024-06-10"],
                          "value": [4], "source": ["s"], "ingested_at": [dt.datetime(2024, 6, 11)], "run_id": ["r"]})
    out = conform(frame.with_columns(pl.col("ex_date").str.to_date()), CORPORATE_ACTIONS)
    assert out.columns == list(CORPORATE_ACTIONS)
    assert out.schema["value"] == pl.Float64


def test_conform_names_missing_columns():
    with pytest.raises(SchemaError, match=r"missing columns \['volume'"):
        conform(empty(DAILY_OHLCV).drop("volume"), DAILY_OHLCV)


def test_conform_refuses_values_that_do_not_cast():
    frame = empty(DAILY_OHLCV, SOURCE_BAR_COLUMNS).with_columns(pl.col("volume").cast(pl.String))
    frame = pl.concat([frame, frame.clear()])
    bad = pl.DataFrame({c: [None] for c in SOURCE_BAR_COLUMNS}).with_columns(volume=pl.lit("lots"))
    with pytest.raises(SchemaError, match="do not cast"):
        conform(bad, DAILY_OHLCV, SOURCE_BAR_COLUMNS)


def test_schema_differences_reads_like_a_person_wrote_it():
    frame = empty(DAILY_OHLCV).drop("run_id").with_columns(pl.col("volume").cast(pl.Float64), extra=pl.lit(1))
    assert schema_differences(frame, DAILY_OHLCV) == [
        "volume: Float64 (expected Int64)", "missing column run_id", "unexpected column extra"]
    assert schema_differences(empty(DAILY_OHLCV), DAILY_OHLCV) == []
