"""The warehouse as a Dagster resource, built on dagster-duckdb's DuckDBResource."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb
from dagster_duckdb import DuckDBResource
from pydantic import PrivateAttr

from stock_assets.storage import published
from stock_assets.storage.lake import ParquetLake
from stock_assets.storage.run_process import run_of_process
from stock_assets.storage.warehouse import Warehouse, WarehouseLocked


class WarehouseResource(DuckDBResource):
    """The DuckDB warehouse file and the lake beside it, opened per write and closed at once.

    `get_connection()` keeps DuckDBResource's interface but waits out another process's
    lock with backoff (DuckDB allows one writer process per file). A wait of a minute or
    more is written to the step's log, naming the process and the run that hold the file.

    When a run that used it ends (success or failure), it publishes the read-only copy that
    readers open (`storage/published.py`, ADR 0013): every run that writes the warehouse
    asks for this resource, so every such run leaves a fresh copy behind.
    """

    lake_dir: str
    _instance: dg.DagsterInstance | None = PrivateAttr(default=None)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        self._instance = context.instance

    def open(self) -> Warehouse:
        return Warehouse(Path(self.database), Path(self.lake_dir),
                         on_wait=dg.get_dagster_logger("warehouse").warning, holder_run=self._holder_run)

    def _holder_run(self, pid: int) -> str | None:
        return run_of_process(self._instance, pid) if self._instance is not None else None

    @property
    def lake(self) -> ParquetLake:
        return ParquetLake(Path(self.lake_dir))

    @contextmanager
    def get_connection(self):
        with self.open().connect() as conn:
            yield conn

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        """Publish the copy for readers; a failure here never fails the run (the next run
        publishes again), it is logged with what readers will see meanwhile."""
        try:
            path = published.publish(self.open())
        except (WarehouseLocked, OSError, duckdb.Error) as err:
            context.log.warning(
                f"published copy not refreshed ({type(err).__name__}: {err}); readers keep the "
                "previous copy until the next run publishes one")
            return
        if path is not None:
            context.log.info(f"published the warehouse for readers: {path}")
