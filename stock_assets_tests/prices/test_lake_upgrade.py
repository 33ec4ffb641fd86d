"""Lake files from before the `currency` column are upgraded once, in place (ADR 0020).

Without it the first run after upgrading the code fails its blocking `schema` check on the
history it did not write."""

from __future__ import annotations

import datetime as dt

import polars as pl

from stock_assets.lib.schema import DAILY_OHLCV
from stock_assets.storage import lake_upgrade
from stock_assets.storage.lake import ParquetLake
from stock_assets_tests.conftest import materialize_prices

OLD_DAY = dt.date(2024, 6, 3)


def _make_old(lake: ParquetLake) -> pl.DataFrame:
    """Rewrite 2024-06-03 as a file from before `currency`, with a London row the universe
    does not know (its currency comes from the symbol's form)."""
    path = lake.partition_path("daily_ohlcv", OLD_DAY)
    stored = pl.read_parquet(path)
    london = stored.head(1).with_columns(symbol=pl.lit("VOD.L"))
    old = pl.concat([stored, london]).drop("currency")
    old.write_parquet(path)
    lake_upgrade.marker(lake, "daily_ohlcv").unlink(missing_ok=True)
    return old


def test_a_run_after_the_upgrade_adds_currency_to_old_files_and_passes_the_schema_check(
        universe_ready, instance, data_dir):
    assert materialize_prices(universe_ready, instance, partition_key="2024-06-03").success
    lake = ParquetLake(data_dir / "lake")
    old = _make_old(lake)
    assert lake_upgrade.files_lacking(lake, "daily_ohlcv", {"currency"}) == [lake.partition_path("daily_ohlcv", OLD_DAY)]

    result = materialize_prices(universe_ready, instance, partition_key="2024-06-04",
                                checks=("schema",), raise_on_error=False)
    assert result.success
    assert all(e.passed for e in result.get_asset_check_evaluations())
    upgraded = pl.read_parquet(lake.partition_path("daily_ohlcv", OLD_DAY))
    assert upgraded.drop("currency").sort("symbol").equals(old.select(upgraded.drop("currency").columns).sort("symbol"))
    currencies = dict(upgraded.select("symbol", "currency").iter_rows())
    assert currencies.pop("VOD.L") == "GBp"
    assert set(currencies.values()) == {"USD"}
    assert lake_upgrade.files_lacking(lake, "daily_ohlcv", {"currency"}) == []
    assert lake_upgrade.marker(lake, "daily_ohlcv").exists()


def test_the_upgrade_runs_once_and_never_rewrites_a_current_file(tmp_path):
    lake = ParquetLake(tmp_path / "lake")
    row = {"date": OLD_DAY, "symbol": "AAA", "open": 1.0, "high": 1.0, "low": 1.0, "close": 1.0,
           "adj_close": 1.0, "volume": 1, "provider": "t", "source_ts": None, "ingested_at": None,
           "run_id": "r", "currency": "USD"}
    current = pl.DataFrame([row], schema=DAILY_OHLCV)
    lake.write_partition("daily_ohlcv", OLD_DAY, current, DAILY_OHLCV)
    calls = []

    def fill(column, frame):
        calls.append(column)
        return pl.Series(["EUR"] * frame.height)

    assert lake_upgrade.add_missing_columns(lake, "daily_ohlcv", DAILY_OHLCV, fill) == []
    assert calls == []  # nothing lacked the column
    path = lake.partition_path("daily_ohlcv", OLD_DAY)
    current.drop("currency").write_parquet(path)  # an old file appears after the marker ...
    assert lake_upgrade.add_missing_columns(lake, "daily_ohlcv", DAILY_OHLCV, fill) == []  # ... the marker stops the scan
    lake_upgrade.marker(lake, "daily_ohlcv").unlink()
    assert lake_upgrade.add_missing_columns(lake, "daily_ohlcv", DAILY_OHLCV, fill) == [path]
    assert pl.read_parquet(path)["currency"].to_list() == ["EUR"]


def test_an_empty_lake_needs_no_upgrade(tmp_path):
    lake = ParquetLake(tmp_path / "lake")
    assert lake_upgrade.add_missing_columns(lake, "daily_ohlcv", DAILY_OHLCV, lambda c, f: None) == []
    assert not lake_upgrade.marker(lake, "daily_ohlcv").exists()


def test_a_file_holding_exactly_the_asked_columns_lacks_none(tmp_path):
    lake = ParquetLake(tmp_path / "lake")
    row = {"date": OLD_DAY, "symbol": "AAA", "open": 1.0, "high": 1.0, "low": 1.0, "close": 1.0,
           "adj_close": 1.0, "volume": 1, "provider": "t", "source_ts": None, "ingested_at": None,
           "run_id": "r", "currency": "USD"}
    lake.write_partition("daily_ohlcv", OLD_DAY, pl.DataFrame([row], schema=DAILY_OHLCV), DAILY_OHLCV)
    assert lake_upgrade.files_lacking(lake, "daily_ohlcv", set(DAILY_OHLCV)) == []
    assert lake_upgrade.files_lacking(lake, "daily_ohlcv", set(DAILY_OHLCV) | {"isin"}) == [
        lake.partition_path("daily_ohlcv", OLD_DAY)]
