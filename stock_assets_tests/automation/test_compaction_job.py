"""`lake_compaction_job` (and the same op in weekly maintenance), executed in process."""

import dagster as dg
import polars as pl

from stock_assets.defs import automation
from stock_assets.read import daily
from stock_assets.storage import compaction
from stock_assets_tests.quality.helpers import write_synthetic
from stock_assets_tests.storage.test_compaction import FIRST, LAST, TODAY


def _metadata(result) -> dict:
    [output] = [e for e in result.events_for_node("compact_daily_lake") if e.is_successful_output]
    return output.step_output_data.metadata


def test_the_job_compacts_once_reports_it_and_repoints_the_view(offline_resources, instance, data_dir, warehouse):
    lake, _ = write_synthetic(data_dir / "lake", first=FIRST, last=LAST)
    before = daily.read(lake.root, None, None, None)
    warehouse.ensure_schema()
    defs = dg.Definitions.merge(automation.defs, dg.Definitions(resources=offline_resources))
    job = defs.resolve_job_def("lake_compaction_job")
    config = {"ops": {"compact_daily_lake": {"config": {"today": TODAY.isoformat()}}}}

    first = job.execute_in_process(instance=instance, run_config=config)
    assert first.success
    meta = _metadata(first)
    assert meta["periods_compacted"].value == 3
    assert meta["rows"].value == before.filter(pl.col("date") < LAST.replace(day=1)).height
    assert meta["compacted_files"].value == 3
    assert "2024-05" in meta["periods"].value
    sql = compaction.directory(lake.root).name
    view = warehouse.scalar("SELECT sql FROM duckdb_views() WHERE view_name = 'daily_ohlcv'")
    assert sql in view  # re-pointed at the compacted files
    assert warehouse.query("SELECT * FROM prices.daily_ohlcv ORDER BY symbol, date").equals(before)

    again = job.execute_in_process(instance=instance, run_config=config)
    assert _metadata(again)["periods_compacted"].value == 0
    assert "compact_daily_lake" in defs.resolve_job_def("weekly_maintenance_job").graph.node_dict
