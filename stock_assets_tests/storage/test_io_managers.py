"""The IO managers refuse what they cannot store right: no partition, rows outside the window."""

import datetime as dt

import dagster as dg
import polars as pl
import pytest

from stock_assets.lib.schema import CORPORATE_ACTIONS, DAILY_OHLCV
from stock_assets.storage.io_managers import LakeIOManager, WarehouseIOManager


def test_an_unpartitioned_output_is_refused_with_the_assets_name(tmp_path):
    context = dg.build_output_context(asset_key=dg.AssetKey("daily_ohlcv"))
    with pytest.raises(dg.Failure, match="daily_ohlcv is stored by partition; no partition given"):
        LakeIOManager(data_dir=str(tmp_path)).handle_output(context, pl.DataFrame(schema=DAILY_OHLCV))
    assert not (tmp_path / "lake").exists()


def test_corporate_actions_outside_the_partition_window_are_refused(tmp_path):
    day = "2024-06-03"
    context = dg.build_output_context(asset_key=dg.AssetKey("corporate_actions"), partition_key=day)
    late = pl.DataFrame({"symbol": ["A"], "ex_date": [dt.date(2024, 6, 4)], "kind": ["split"], "value": [2.0],
                         "source": ["t"], "ingested_at": [dt.datetime(2024, 6, 4)], "run_id": ["r"]})
    with pytest.raises(dg.Failure, match="1 corporate_actions rows fall outside 2024-06-03..2024-06-03"):
        WarehouseIOManager(data_dir=str(tmp_path)).handle_output(context, late.cast(CORPORATE_ACTIONS))


def test_corporate_actions_stored_by_partition_are_read_back_for_that_window_only(tmp_path):
    manager = WarehouseIOManager(data_dir=str(tmp_path))
    rows = pl.DataFrame({"symbol": ["A", "B"], "ex_date": [dt.date(2024, 6, 3), dt.date(2024, 6, 4)],
                         "kind": ["split", "dividend"], "value": [2.0, 0.5], "source": ["t", "t"],
                         "ingested_at": [dt.datetime(2024, 6, 5)] * 2, "run_id": ["r", "r"]}).cast(CORPORATE_ACTIONS)
    for day in ("2024-06-03", "2024-06-04"):
        context = dg.build_output_context(asset_key=dg.AssetKey("corporate_actions"), partition_key=day)
        manager.handle_output(context, rows.filter(pl.col("ex_date") == dt.date.fromisoformat(day)))
    loaded = manager.load_input(dg.build_input_context(asset_key=dg.AssetKey("corporate_actions"),
                                                       partition_key="2024-06-04"))
    assert loaded.select("symbol", "kind", "value").rows() == [("B", "dividend", 0.5)]
