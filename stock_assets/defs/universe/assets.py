"""`ticker_universe`: every scrape kept as a snapshot, the current state kept with its lifecycle."""


import datetime as dt

import dagster as dg
import polars as pl

from stock_assets.storage.resource import WarehouseResource
from stock_assets.defs.universe.sources import UniverseSource
from stock_assets.lib import lifecycle, markdown
from stock_assets.lib.errors import ErrorCode

OWNERS = ["team:data-platform"]


class UniverseConfig(dg.Config):
    """Launchpad options for a universe refresh."""

    as_of: str | None = None  # synthetic universe only: the day the synthetic exchange is scraped
    archive_after_days: int = lifecycle.DEFAULT_ARCHIVE_AFTER_DAYS
    max_shrink_share: float = 0.10  # refuse a listing that lost more than this share of symbols


@dg.asset(
    group_name="universe",
    description=(
        "The ticker universe: `universe.tickers` (one row per symbol with its lifecycle: "
        "active, delisted, archived) and `universe.listing_snapshots` (every scrape's rows). "
        "A scrape that looks wrong (shrunk, changed layout) fails and keeps the last good universe."
    ),
    kinds={"polars", "duckdb"},
    owners=OWNERS,
    tags={"domain": "universe"},
    metadata={"dagster/table_name": "universe.tickers"},
    pool="duckdb_warehouse",
)
def ticker_universe(
    context: dg.AssetExecutionContext, config: UniverseConfig,
    universe_source: UniverseSource, warehouse: WarehouseResource,
) -> dg.MaterializeResult:
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    as_of = dt.date.fromisoformat(config.as_of) if config.as_of else now.date()
    scraped_at = dt.datetime.combine(as_of, now.time()) if config.as_of else now
    listing = universe_source.scrape(as_of)
    wh = warehouse.open()
    wh.ensure_schema()
    before = wh.query(f"SELECT {', '.join(lifecycle.TICKER_COLUMNS)} FROM universe.tickers")
    _guard_shrink(before, listing.rows, config.max_shrink_share)
    after = lifecycle.apply_scrape(before, listing.rows, scraped_at, config.archive_after_days)
    snapshot = listing.rows.with_columns(
        scraped_at=pl.lit(scraped_at).cast(pl.Datetime("us")), run_id=pl.lit(context.run.run_id)
    )
    rejected = pl.DataFrame(
        {"scraped_at": scraped_at, "source": ",".join(listing.sources) or "-",
         "raw_symbol": [r.raw for r in listing.rejected], "reason": [r.reason for r in listing.rejected],
         "run_id": context.run.run_id},
        schema={"scraped_at": pl.Datetime("us"), "source": pl.String, "raw_symbol": pl.String,
                "reason": pl.String, "run_id": pl.String},
    )
    with wh.transaction() as conn:
        conn.execute("DELETE FROM universe.tickers")
        for table, frame in (("universe.tickers", after), ("universe.listing_snapshots", snapshot),
                             ("universe.rejected_symbols", rejected)):
            if frame.height:
                conn.register("incoming", frame.to_arrow())
                cols = ", ".join(frame.columns)
                conn.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM incoming")
                conn.unregister("incoming")
    diff = lifecycle.changes(before, after)
    for r in listing.rejected:
        context.log.warning(f"{ErrorCode.SYMBOL_INVALID}: rejected {r.raw!r}: {r.reason}")
    return dg.MaterializeResult(metadata=_metadata(after, diff, listing, as_of))


def _guard_shrink(before: pl.DataFrame, rows: pl.DataFrame, max_share: float) -> None:
    active = before.filter(pl.col("status") == lifecycle.ACTIVE).height
    if rows.height == 0 or (active and rows.height < active * (1 - max_share)):
        raise dg.Failure(
            description=(
                f"[{ErrorCode.SCRAPE_SHRUNK}] the listing has {rows.height} symbols against {active} "
                f"active before (more than {max_share:.0%} fewer); universe.tickers was left as it was. "
                "See docs/runbooks/scrape_failure.md."
            ),
            metadata={"error_code": str(ErrorCode.SCRAPE_SHRUNK), "listed": rows.height, "active_before": active},
        )


def _metadata(after: pl.DataFrame, diff: dict, listing, as_of: dt.date) -> dict:
    by_status = {k: int(v) for k, v in after.group_by("status").len().iter_rows()}
    by_exchange = after.filter(pl.col("status") == lifecycle.ACTIVE).group_by("exchange").len().sort("exchange")
    return {
        "dagster/row_count": dg.MetadataValue.int(after.height),
        "as_of": dg.MetadataValue.text(as_of.isoformat()),
        "active": dg.MetadataValue.int(by_status.get(lifecycle.ACTIVE, 0)),
        "delisted": dg.MetadataValue.int(by_status.get(lifecycle.DELISTED, 0)),
        "archived": dg.MetadataValue.int(by_status.get(lifecycle.ARCHIVED, 0)),
        "new_symbols": dg.MetadataValue.int(diff["new"].height + diff["relisted"].height),
        "delisted_symbols": dg.MetadataValue.int(diff["delisted"].height),
        "rejected_symbols": dg.MetadataValue.int(len(listing.rejected)),
        "sources": dg.MetadataValue.text(", ".join(listing.sources)),
        "by_exchange": dg.MetadataValue.md(markdown.table(by_exchange)),
        "new": dg.MetadataValue.md(markdown.table(pl.concat([diff["new"], diff["relisted"].drop("before")]))),
        "delisted_since_last_scrape": dg.MetadataValue.md(markdown.table(diff["delisted"])),
        "preview": dg.MetadataValue.md(markdown.table(
            after.select("yahoo_symbol", "name", "exchange", "sector", "status").head(10))),
    }
