"""A write that fails halfway leaves the previous partition whole (through a real run)."""

import datetime as dt

import polars as pl
import pytest

from stock_assets.lib.schema import DAILY_OHLCV
from stock_assets.storage import lake as lake_module
from stock_assets.storage.lake import ParquetLake
from stock_assets_tests.conftest import materialize_prices

DAY = dt.date(2024, 6, 3)


def _full_refetch_run(resources, instance):
    return materialize_prices(resources, instance, partition_key=DAY.isoformat(), raise_on_error=False,
                              run_config={"ops": {"daily_prices": {"config": {"full_refetch": True}}}})


@pytest.mark.parametrize("how", ["replace_fails", "write_dies_midway"])
def test_failed_rewrite_keeps_the_previous_partition(universe_ready, instance, data_dir, monkeypatch, how):
    assert materialize_prices(universe_ready, instance, partition_key=DAY.isoformat()).success
    target = ParquetLake(data_dir / "lake").partition_path("daily_ohlcv", DAY)
    before_bytes = target.read_bytes()

    if how == "replace_fails":
        def replace(src, dst):  # the temp file is complete; the rename is what fails
            assert src.exists() and src.stat().st_size > 0
            raise OSError(28, "No space left on device")
        monkeypatch.setattr(lake_module.os, "replace", replace)
    else:
        real_write = pl.DataFrame.write_parquet

        def write_parquet(self, file, *args, **kwargs):  # half a file on disk, then the process "dies"
            real_write(self.head(max(1, self.height // 2)), file, *args, **kwargs)
            raise OSError(5, "Input/output error")
        monkeypatch.setattr(pl.DataFrame, "write_parquet", write_parquet)

    result = _full_refetch_run(universe_ready, instance)
    assert not result.success
    assert target.read_bytes() == before_bytes
    assert [p.name for p in target.parent.iterdir()] == ["data.parquet"]  # no temp file left behind
    monkeypatch.undo()
    assert ParquetLake(data_dir / "lake").read_partition("daily_ohlcv", DAY, DAILY_OHLCV).height > 50


def test_a_full_refetch_replaces_the_stored_rows_and_never_duplicates_them(universe_ready, instance, data_dir):
    """full_refetch fetches every symbol again: the fresh rows replace the stored ones, so the
    partition keeps one row per (date, symbol), each from the new run."""
    first = materialize_prices(universe_ready, instance, partition_key=DAY.isoformat())
    assert first.success
    lake = ParquetLake(data_dir / "lake")
    before = lake.read_partition("daily_ohlcv", DAY, DAILY_OHLCV)
    again = _full_refetch_run(universe_ready, instance)
    assert again.success
    after = lake.read_partition("daily_ohlcv", DAY, DAILY_OHLCV)
    assert after.height == before.height > 50
    assert after.select("date", "symbol").is_duplicated().sum() == 0
    assert set(after["run_id"]) == {again.run_id}
