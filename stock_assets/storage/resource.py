"""The warehouse as a Dagster resource, built on dagster-duckdb's DuckDBResource."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

from dagster_duckdb import DuckDBResource

from stock_assets.storage.lake import ParquetLake
from stock_assets.storage.warehouse import Warehouse


class WarehouseResource(DuckDBResource):
    """The DuckDB warehouse file and the lake beside it, opened per write and closed at once.

    `get_connection()` keeps DuckDBResource's interface but waits out another process's
    lock with backoff (DuckDB allows one writer process per file).
    """

    lake_dir: str

    def open(self) -> Warehouse:
        return Warehouse(Path(self.database), Path(self.lake_dir))

    @property
    def lake(self) -> ParquetLake:
        return ParquetLake(Path(self.lake_dir))

    @contextmanager
    def get_connection(self):
        with self.open().connect() as conn:
            yield conn
