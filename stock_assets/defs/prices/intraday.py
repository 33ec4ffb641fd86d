"""`intraday_quotes`: snapshots of the session in progress, kept apart from the daily bars.

Why a table of its own (`prices.intraday_quotes`) and not the lake: a quote at 11:40 is not
a daily bar and must never be read as one. Each snapshot replaces any earlier one taken at
the same instant (so a retried sensor run does not duplicate rows), and snapshots older
than `retention_days` are pruned by every run, so the table stays small.
"""

import datetime as dt

import dagster as dg
import polars as pl
from pydantic import Field, field_validator

from stock_assets.defs.prices import records
from stock_assets.defs.prices.quotes import QuoteSource
from stock_assets.lib import config_checks, markdown
from stock_assets.storage.resource import WarehouseResource
from stock_assets.storage.warehouse import Warehouse

DEFAULT_RETENTION_DAYS = 7


class IntradayConfig(dg.Config):
    """Set by the intraday sensor; in the launchpad both may be left at their defaults."""

    snapshot_at: str = ""  # ISO instant in UTC; empty means "now"
    retention_days: int = Field(default=DEFAULT_RETENTION_DAYS, ge=1, description=(
        "Snapshots older than this many days are deleted (at least 1: 0 or less would delete every one)."))

    _snapshot_at = field_validator("snapshot_at")(config_checks.iso_instant)


def prune(warehouse: Warehouse, now: dt.datetime, retention_days: int) -> int:
    """Delete snapshots older than `retention_days` before `now` (naive UTC); how many went."""
    cutoff = now - dt.timedelta(days=retention_days)
    with warehouse.transaction() as conn:
        gone = conn.execute(
            "SELECT count(*) FROM prices.intraday_quotes WHERE snapshot_at < ?", [cutoff]
        ).fetchone()[0]
        conn.execute("DELETE FROM prices.intraday_quotes WHERE snapshot_at < ?", [cutoff])
    return int(gone)


def snapshot_instant(config: IntradayConfig) -> dt.datetime:
    """The snapshot's instant as an aware UTC datetime."""
    if not config.snapshot_at:
        return dt.datetime.now(dt.UTC).replace(microsecond=0)
    at = dt.datetime.fromisoformat(config.snapshot_at)
    return at if at.tzinfo else at.replace(tzinfo=dt.UTC)


@dg.asset(
    group_name="prices",
    deps=[dg.AssetKey("ticker_universe")],
    kinds={"polars", "duckdb"},
    owners=["team:data-platform"],
    tags={"domain": "prices", "layer": "warehouse"},
    metadata={"dagster/table_name": "prices.intraday_quotes"},
)
def intraday_quotes(
    context: dg.AssetExecutionContext, config: IntradayConfig, quotes: QuoteSource,
    warehouse: WarehouseResource,
) -> dg.MaterializeResult:
    """Latest price, change % and volume for every active symbol, taken during market hours.

    Written by the `intraday_snapshot` sensor every N minutes while XNYS is open
    (`prices.intraday_quotes`, one row per snapshot and symbol); pruned after
    `retention_days`. Never mixed into `daily_ohlcv`.
    """
    at = snapshot_instant(config)
    wh = warehouse.open()
    wh.ensure_schema()
    symbols = records.symbols_for(wh, at.date())
    frame = quotes.latest(symbols, at)
    stamp = at.astimezone(dt.UTC).replace(tzinfo=None)
    rows = frame.with_columns(
        snapshot_at=pl.lit(stamp), provider=pl.lit(quotes.provider), run_id=pl.lit(context.run.run_id)
    ).select("snapshot_at", "symbol", "price", "change_pct", "volume", "provider", "run_id")
    wh.replace_rows("prices.intraday_quotes", rows, "snapshot_at = ?", [stamp])
    pruned = prune(wh, stamp, config.retention_days)
    context.log.info(f"snapshot {stamp:%Y-%m-%d %H:%M} UTC: {rows.height}/{len(symbols)} symbols quoted, {pruned} old rows pruned")
    movers = rows.sort(pl.col("change_pct").abs(), descending=True, nulls_last=True).head(10)
    return dg.MaterializeResult(metadata={
        "dagster/row_count": dg.MetadataValue.int(rows.height),
        "snapshot_at": dg.MetadataValue.text(f"{stamp:%Y-%m-%d %H:%M:%S} UTC"),
        "symbols_requested": dg.MetadataValue.int(len(symbols)),
        "symbols_quoted": dg.MetadataValue.int(rows.height),
        "pruned_rows": dg.MetadataValue.int(pruned),
        "retention_days": dg.MetadataValue.int(config.retention_days),
        "top_movers": dg.MetadataValue.md(markdown.table(movers.drop("provider", "run_id"))),
    })
