"""IO managers: the partition-range-aware Parquet lake and warehouse tables.

Why our own: dagster-polars' Parquet IO manager refuses multi-partition outputs, so a
single-run backfill of many days could not store its result (DAGSTER_NOTES.md, ADR 0003).
These write every partition of the run's range, each replaced whole and atomically.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import dagster as dg
import polars as pl

from stock_assets.lib.schema import CORPORATE_ACTIONS, DAILY_OHLCV
from stock_assets.storage.lake import ParquetLake
from stock_assets.storage.warehouse import Warehouse

LAKE_SCHEMAS = {"daily_ohlcv": DAILY_OHLCV}
# asset name -> (warehouse table, date column that carries the partition)
WAREHOUSE_TABLES = {"corporate_actions": ("prices.corporate_actions", "ex_date", CORPORATE_ACTIONS)}


def _days(context: dg.OutputContext | dg.InputContext) -> list[dt.date]:
    if not context.has_asset_partitions:
        raise dg.Failure(f"{context.asset_key.to_user_string()} is stored by partition; no partition given")
    return [dt.date.fromisoformat(k) for k in context.asset_partition_keys]


def _warehouse(data_dir: str) -> Warehouse:
    """The warehouse beside the lake; a long wait for its lock is logged in the step (ADR 0012)."""
    return Warehouse(Path(data_dir) / "warehouse.duckdb", Path(data_dir) / "lake",
                     on_wait=dg.get_dagster_logger("warehouse").warning)


class LakeIOManager(dg.ConfigurableIOManager):
    """Stores a polars frame as one Parquet file per trading day under `<data_dir>/lake`."""

    data_dir: str

    @property
    def lake(self) -> ParquetLake:
        return ParquetLake(Path(self.data_dir) / "lake")

    def handle_output(self, context: dg.OutputContext, obj: pl.DataFrame) -> None:
        table = context.asset_key.path[-1]
        days = _days(context)
        # Lake only: re-pointing the warehouse's views takes the warehouse lock, so the step
        # does it after this write, inside its retry of transient failures (ADR 0013).
        counts = self.lake.write_partitions(table, days, obj, LAKE_SCHEMAS[table])
        context.log.info(f"lake: wrote {sum(counts.values())} rows to {len(days)} {table} partition(s)")
        context.add_output_metadata({"lake_path": dg.MetadataValue.path(str(self.lake.table_dir(table)))})

    def load_input(self, context: dg.InputContext) -> pl.DataFrame:
        table = context.upstream_output.asset_key.path[-1] if context.upstream_output else context.asset_key.path[-1]
        days = _days(context)
        return self.lake.read_range(table, min(days), max(days), LAKE_SCHEMAS[table])


class WarehouseIOManager(dg.ConfigurableIOManager):
    """Stores a polars frame in a warehouse table, replacing the rows of its partitions."""

    data_dir: str

    @property
    def warehouse(self) -> Warehouse:
        return _warehouse(self.data_dir)

    def handle_output(self, context: dg.OutputContext, obj: pl.DataFrame) -> None:
        name = context.asset_key.path[-1]
        table, date_column, schema = WAREHOUSE_TABLES[name]
        days = _days(context)
        self.warehouse.ensure_schema()
        frame = obj.select(list(schema)).cast(schema)
        outside = frame.filter(~pl.col(date_column).is_between(min(days), max(days)))
        if outside.height:
            raise dg.Failure(f"{outside.height} {name} rows fall outside {min(days)}..{max(days)}")
        self.warehouse.replace_rows(
            table, frame, f"{date_column} BETWEEN ? AND ?", [min(days), max(days)]
        )
        context.log.info(f"warehouse: replaced {table} for {min(days)}..{max(days)} with {frame.height} rows")

    def load_input(self, context: dg.InputContext) -> pl.DataFrame:
        name = context.upstream_output.asset_key.path[-1] if context.upstream_output else context.asset_key.path[-1]
        table, date_column, _ = WAREHOUSE_TABLES[name]
        days = _days(context)
        return self.warehouse.query(
            f"SELECT * FROM {table} WHERE {date_column} BETWEEN ? AND ?", [min(days), max(days)]
        )
