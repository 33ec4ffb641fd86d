"""`ticker_universe`: every scrape kept as a snapshot, the current state kept with its lifecycle."""

import datetime as dt

import dagster as dg
import polars as pl
from pydantic import Field, field_validator

from stock_assets.defs.universe.guards import (
    DEFAULT_MAX_GROWTH_SHARE,
    DEFAULT_MAX_SHRINK_SHARE,
    refuse_implausible,
    scrape_failure,
)
from stock_assets.defs.universe.sources import Listing, UniverseSource
from stock_assets.lib import config_checks, lifecycle, markdown
from stock_assets.lib.errors import CodedError, ErrorCode
from stock_assets.storage import dead_letter
from stock_assets.storage.resource import WarehouseResource

OWNERS = ["team:data-platform"]


class UniverseConfig(dg.Config):
    """Launchpad options for a universe refresh."""

    as_of: str | None = Field(default=None, description=(
        "Scrape date (YYYY-MM-DD) recorded for this scrape; the synthetic exchange is listed as of it. "
        "Default: today."))
    archive_after_days: int = Field(default=lifecycle.DEFAULT_ARCHIVE_AFTER_DAYS, ge=0, description=(
        "Days a symbol stays delisted before it is archived."))
    max_shrink_share: float = Field(default=DEFAULT_MAX_SHRINK_SHARE, gt=0, lt=1, description=(
        "Refuse a source whose listing lost more than this share of symbols since its last good scrape "
        "(strictly between 0 and 1: 0 refuses every change, 1 or more switches the guard off)."))
    max_growth_share: float = Field(default=DEFAULT_MAX_GROWTH_SHARE, gt=0, description=(
        "Refuse a source whose listing gained more than this share of symbols since its last good scrape."))
    extra_indices: list[str] = Field(default_factory=list, description=(
        "More registry sources for this scrape, e.g. ['ftse100', 'dax40'] (live universes only)."))

    _as_of = field_validator("as_of")(config_checks.iso_date)


@dg.asset(
    group_name="universe",
    description=(
        "The ticker universe: `universe.tickers` (one row per symbol with its lifecycle: "
        "active, delisted, archived) and `universe.listing_snapshots` (every scrape's rows). "
        "A scrape that looks wrong (HTML instead of a listing, a changed layout, a shrink) fails "
        "with an error code and keeps the last good universe."
    ),
    kinds={"polars", "duckdb"},
    owners=OWNERS,
    tags={"domain": "universe"},
    metadata={"dagster/table_name": "universe.tickers"},
)
def ticker_universe(
    context: dg.AssetExecutionContext, config: UniverseConfig,
    universe_source: UniverseSource, warehouse: WarehouseResource,
) -> dg.MaterializeResult:
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    as_of = dt.date.fromisoformat(config.as_of) if config.as_of else now.date()
    scraped_at = dt.datetime.combine(as_of, now.time()) if config.as_of else now
    try:
        listing = universe_source.scrape(as_of, config.extra_indices)
    except CodedError as err:
        raise scrape_failure(err) from err
    skipped = [s for s in config.extra_indices if s not in listing.sources]
    if skipped:
        context.log.warning(f"extra_indices {skipped} ignored: this universe source has no such lists")
    context.log.info(f"scraped {listing.rows.height} rows from {', '.join(listing.sources)}")
    wh = warehouse.open()
    wh.ensure_schema()
    stored = wh.query(f"SELECT {', '.join(lifecycle.TICKER_COLUMNS)} FROM universe.tickers")
    before = lifecycle.backfill_instruments(stored)  # rows from before the instrument columns
    refuse_implausible(wh, listing.rows, listing.sources, config.max_shrink_share, config.max_growth_share)
    after = lifecycle.apply_scrape(before, listing.rows, scraped_at, config.archive_after_days)
    _write(wh, after, listing, scraped_at, context.run.run_id, replaces_day=as_of if config.as_of else None)
    diff = lifecycle.changes(before, after)
    for r in listing.rejected[:50]:
        context.log.warning(f"{ErrorCode.SYMBOL_INVALID}: {r.source or '-'} rejected {r.raw!r}: {r.reason}")
    relisted = diff["relisted"]["yahoo_symbol"].to_list()
    released = dead_letter.release(wh, relisted, reason="relisted") if relisted else 0
    if released:
        context.log.info(f"{released} relisted symbols released from the dead-letter queue")
    return dg.MaterializeResult(metadata=_metadata(after, diff, listing, as_of, before.height == 0, released))


def _write(wh, after: pl.DataFrame, listing: Listing, scraped_at: dt.datetime, run_id: str,
           replaces_day: dt.date | None = None) -> None:
    """Tickers replaced, snapshot and rejects appended: one transaction, all or nothing.

    A scrape run with `as_of` (a backdated or replayed scrape: the demo, a rerun, a test) is
    *the* snapshot of its sources for that day (`replaces_day`): running it again replaces that
    day's rows of those sources instead of doubling them. A scrape without `as_of` is a new
    observation and is appended, so the history of live scrapes is kept whole.
    """
    snapshot = listing.rows.with_columns(
        scraped_at=pl.lit(scraped_at).cast(pl.Datetime("us")), run_id=pl.lit(run_id)
    )
    fallback = ",".join(listing.sources) or "-"
    rejected = pl.DataFrame(
        {"scraped_at": scraped_at, "source": [r.source or fallback for r in listing.rejected],
         "raw_symbol": [r.raw for r in listing.rejected], "reason": [r.reason for r in listing.rejected],
         "run_id": run_id},
        schema={"scraped_at": pl.Datetime("us"), "source": pl.String, "raw_symbol": pl.String,
                "reason": pl.String, "run_id": pl.String},
    )
    sources = [*listing.sources, fallback]
    with wh.transaction() as conn:
        conn.execute("DELETE FROM universe.tickers")
        for table in ("universe.listing_snapshots", "universe.rejected_symbols") if replaces_day else ():
            conn.execute(f"DELETE FROM {table} WHERE CAST(scraped_at AS DATE) = ? AND list_contains(?, source)",
                         [replaces_day, sources])
        for table, frame in (("universe.tickers", after), ("universe.listing_snapshots", snapshot),
                             ("universe.rejected_symbols", rejected)):
            if frame.height:
                conn.register("incoming", frame.to_arrow())
                cols = ", ".join(frame.columns)
                conn.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM incoming")
                conn.unregister("incoming")


def _metadata(after: pl.DataFrame, diff: dict, listing: Listing, as_of: dt.date,
              first_scrape: bool, released: int) -> dict:
    by_status = {k: int(v) for k, v in after.group_by("status").len().iter_rows()}
    by_exchange = (
        after.pivot(on="status", index="exchange", values="symbol", aggregate_function="len")
        .fill_null(0).sort("exchange", nulls_last=True) if after.height else pl.DataFrame({"exchange": []})
    )
    new = pl.concat([diff["new"], diff["relisted"].drop("before")])
    per_source = pl.DataFrame(
        {"source": listing.sources,
         "accepted": [int((listing.rows["source"] == s).sum()) for s in listing.sources],
         "rejected": [sum(r.source == s for r in listing.rejected) for s in listing.sources],
         "excluded_test_issues": [listing.excluded.get(s, 0) for s in listing.sources],
         "note": [listing.notes.get(s, "") for s in listing.sources]},
        schema={"source": pl.String, "accepted": pl.Int64, "rejected": pl.Int64,
                "excluded_test_issues": pl.Int64, "note": pl.String},
    )
    rejected = pl.DataFrame(
        {"source": [r.source for r in listing.rejected], "raw_symbol": [r.raw for r in listing.rejected],
         "reason": [r.reason for r in listing.rejected]},
        schema={"source": pl.String, "raw_symbol": pl.String, "reason": pl.String},
    )
    return {
        "dagster/row_count": dg.MetadataValue.int(after.height),
        "as_of": dg.MetadataValue.text(as_of.isoformat()),
        "active": dg.MetadataValue.int(by_status.get(lifecycle.ACTIVE, 0)),
        "delisted": dg.MetadataValue.int(by_status.get(lifecycle.DELISTED, 0)),
        "archived": dg.MetadataValue.int(by_status.get(lifecycle.ARCHIVED, 0)),
        "new_symbols": dg.MetadataValue.int(new.height),
        "delisted_symbols": dg.MetadataValue.int(diff["delisted"].height),
        "archived_symbols": dg.MetadataValue.int(diff["archived"].height),
        "rejected_symbols": dg.MetadataValue.int(len(listing.rejected)),
        "released_from_dead_letter": dg.MetadataValue.int(released),
        "first_scrape": dg.MetadataValue.bool(first_scrape),
        "sources": dg.MetadataValue.text(", ".join(listing.sources)),
        "per_source": dg.MetadataValue.md(markdown.table(per_source)),
        "by_exchange_and_status": dg.MetadataValue.md(markdown.table(by_exchange, max_rows=50)),
        "new": dg.MetadataValue.md(markdown.table(new)),
        "delisted_since_last_scrape": dg.MetadataValue.md(markdown.table(diff["delisted"])),
        "rejected": dg.MetadataValue.md(markdown.table(rejected)),
        # Read by new_listings_sensor: the symbols whose history must be merged into the lake
        # (empty on the first scrape: that history comes from the regular price backfill).
        "new_symbols_list": dg.MetadataValue.json([] if first_scrape else new["yahoo_symbol"].to_list()),
        "preview": dg.MetadataValue.md(markdown.table(
            after.select("yahoo_symbol", "name", "exchange", "currency", "asset_class", "status").head(10))),
    }
