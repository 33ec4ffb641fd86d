"""Compaction of the daily lake as an op a person can run and see (ADR 0025).

Why an op and not an asset: the compacted files hold no new data (the daily files stay the
truth); compaction changes how fast reads are, like vacuuming the warehouse. It runs in the
weekly maintenance job, and alone as `lake_compaction_job` (after a long backfill, say).
"""

import datetime as dt

import dagster as dg
import polars as pl
from pydantic import Field, field_validator

from stock_assets.lib import config_checks
from stock_assets.lib.compaction import SETTLE_DAYS
from stock_assets.lib.markdown import table as md_table
from stock_assets.storage import compaction
from stock_assets.storage.resource import WarehouseResource


class CompactionConfig(dg.Config):
    settle_days: int = Field(default=SETTLE_DAYS, ge=1, description=(
        "A month or year is compacted once its last day is this many days old (the nightly "
        "run re-fetches the recent past)."))
    today: str = Field(default="", description="The day to judge 'closed' from (YYYY-MM-DD); empty: today (UTC).")

    _today = field_validator("today")(config_checks.iso_date)


@dg.op(description=(
    "Compact every closed year (and closed month of the open year) of the daily lake into one "
    "file sorted by (symbol, date), so that a read of one symbol opens a file per period "
    "instead of one per day; the daily files stay the truth. Idempotent: a period already "
    "compacted, with no day written since, is left alone."
), tags={"domain": "operations"})
def compact_daily_lake(context: dg.OpExecutionContext, config: CompactionConfig,
                       warehouse: WarehouseResource) -> dict:
    today = dt.date.fromisoformat(config.today) if config.today else dt.datetime.now(dt.UTC).date()
    try:
        report = compaction.compact(warehouse.lake_dir, today, settle_days=config.settle_days,
                                    log=context.log.info)
    except compaction.CompactionBusy as err:
        raise dg.Failure(f"{err}: one compaction at a time; this run changed nothing. Let the other "
                         "finish (Runs -> lake_compaction_job or weekly_maintenance_job).") from err
    if report["periods"] or report["deleted_retired"]:
        wh = warehouse.open()
        wh.ensure_schema()  # re-points prices.daily_ohlcv at the new files (manifest changed)
    periods = report["periods"]
    context.log.info(f"{len(periods)} period(s) compacted in {report['seconds']}s; "
                     f"{report['current_files']} compacted file(s) in use")
    context.add_output_metadata({
        "periods_compacted": len(periods),
        "rows": sum(p["rows"] for p in periods),
        "daily_files_read": sum(p["days"] for p in periods),
        "compacted_files": report["current_files"],
        "swept_leftovers": len(report["swept"]),
        "retired_deleted": len(report["deleted_retired"]),
        "duration_s": report["seconds"],
        "periods": dg.MetadataValue.md(md_table(pl.DataFrame(periods)) if periods else "nothing to compact"),
    })
    return report


@dg.job(description=(
    "Compact the closed periods of the daily lake (also part of weekly_maintenance_job): run it "
    "after a long backfill so that per-symbol reads are fast at once."
), tags={"domain": "operations"})
def lake_compaction_job():
    compact_daily_lake()
