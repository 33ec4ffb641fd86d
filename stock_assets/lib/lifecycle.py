"""The life of a ticker across scrapes: active -> delisted -> archived (and back to active).

Why pure: the rules decide what the pipeline fetches and what people see as new or gone;
they are tested here across many successive scrapes without Dagster or a database.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from stock_assets.lib import markets

ACTIVE, DELISTED, ARCHIVED = "active", "delisted", "archived"
DEFAULT_ARCHIVE_AFTER_DAYS = 365

# The instrument columns lib/markets.py resolves from a symbol (`isin` comes from the source only).
MARKET_FIELDS = ("exchange", "calendar", "currency", "asset_class")
TICKER_COLUMNS = {
    "symbol": pl.String, "yahoo_symbol": pl.String, "name": pl.String, "exchange": pl.String,
    "sources": pl.String, "sector": pl.String, "sub_industry": pl.String, "is_etf": pl.Boolean,
    "calendar": pl.String, "currency": pl.String, "asset_class": pl.String, "isin": pl.String,
    "status": pl.String, "first_seen": pl.Datetime("us"), "last_seen": pl.Datetime("us"),
    "delisted_on": pl.Date, "archived_on": pl.Date, "updated_at": pl.Datetime("us"),
}
LISTING_COLUMNS = {
    "symbol": pl.String, "yahoo_symbol": pl.String, "name": pl.String, "exchange": pl.String,
    "sector": pl.String, "sub_industry": pl.String, "is_etf": pl.Boolean,
    "date_added": pl.String, "cik": pl.String, "source": pl.String,
    "calendar": pl.String, "currency": pl.String, "asset_class": pl.String, "isin": pl.String,
}
INSTRUMENT_COLUMNS = ("calendar", "currency", "asset_class", "isin")


def empty_tickers() -> pl.DataFrame:
    return pl.DataFrame(schema=TICKER_COLUMNS)


def apply_scrape(
    current: pl.DataFrame,
    listing: pl.DataFrame,
    scraped_at: dt.datetime,
    archive_after_days: int = DEFAULT_ARCHIVE_AFTER_DAYS,
) -> pl.DataFrame:
    """The ticker table after a scrape that saw `listing` at `scraped_at`.

    Listed symbols become (or stay) active, with their descriptive fields refreshed (the
    instrument columns too: a listing is the authority on where a symbol trades; an ISIN the
    new listing lacks is kept from before);
    active symbols missing from the listing become delisted as of the scrape day; symbols
    delisted for longer than `archive_after_days` become archived. Nothing is deleted.
    """
    today = scraped_at.date()
    seen = (
        listing.group_by("yahoo_symbol", maintain_order=True)
        .agg(
            pl.col("symbol").first(), pl.col("name").first(), pl.col("exchange").first(),
            pl.col("source").unique().sort().str.join(",").alias("sources"),
            pl.col("sector").drop_nulls().first(), pl.col("sub_industry").drop_nulls().first(),
            pl.col("is_etf").any(),
            *[pl.col(c).drop_nulls().first() for c in INSTRUMENT_COLUMNS],
        )
    )
    cur = current.select(list(TICKER_COLUMNS)).cast(TICKER_COLUMNS)
    joined = cur.join(seen, on="yahoo_symbol", how="full", suffix="_new", coalesce=True)
    listed = pl.col("symbol_new").is_not_null()
    known = pl.col("symbol").is_not_null()
    stamp = pl.lit(scraped_at).cast(pl.Datetime("us"))
    was_delisted_for = (pl.lit(today) - pl.col("delisted_on")).dt.total_days()
    status = (
        pl.when(listed).then(pl.lit(ACTIVE))
        .when(pl.col("status") == ACTIVE).then(pl.lit(DELISTED))
        .when((pl.col("status") == DELISTED) & (was_delisted_for >= archive_after_days)).then(pl.lit(ARCHIVED))
        .otherwise(pl.col("status"))
    )
    out = joined.with_columns(
        symbol=pl.coalesce("symbol_new", "symbol"),
        name=pl.when(listed).then(pl.col("name_new")).otherwise(pl.col("name")),
        exchange=pl.when(listed).then(pl.col("exchange_new")).otherwise(pl.col("exchange")),
        sources=pl.when(listed).then(pl.col("sources_new")).otherwise(pl.col("sources")),
        sector=pl.when(listed).then(pl.coalesce("sector_new", "sector")).otherwise(pl.col("sector")),
        sub_industry=pl.when(listed).then(pl.coalesce("sub_industry_new", "sub_industry")).otherwise(pl.col("sub_industry")),
        is_etf=pl.when(listed).then(pl.col("is_etf_new")).otherwise(pl.col("is_etf")).fill_null(False),
        **{c: pl.when(listed).then(pl.coalesce(f"{c}_new", c)).otherwise(pl.col(c)) for c in INSTRUMENT_COLUMNS},
        status=status,
        first_seen=pl.when(known).then(pl.col("first_seen")).otherwise(stamp),
        last_seen=pl.when(listed).then(stamp).otherwise(pl.col("last_seen")),
    ).with_columns(
        delisted_on=pl.when(pl.col("status") == ACTIVE).then(None)
        .when(pl.col("delisted_on").is_null()).then(pl.lit(today))
        .otherwise(pl.col("delisted_on")),
        archived_on=pl.when(pl.col("status") != ARCHIVED).then(None)
        .when(pl.col("archived_on").is_null()).then(pl.lit(today))
        .otherwise(pl.col("archived_on")),
    )
    changed = (
        joined.select(
            (pl.col("status").is_null() | listed.ne(pl.col("status") == ACTIVE)).alias("c")
        ).to_series()
    )
    out = out.with_columns(
        updated_at=pl.when(pl.Series(changed) | listed).then(stamp).otherwise(pl.col("updated_at"))
    )
    return out.select(list(TICKER_COLUMNS)).cast(TICKER_COLUMNS).sort("yahoo_symbol")


def changes(before: pl.DataFrame, after: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """Symbols that became active (new or back), delisted, or archived in this scrape."""
    prev = before.select("yahoo_symbol", pl.col("status").alias("before"))
    now = after.select("yahoo_symbol", "name", "exchange", pl.col("status").alias("after"))
    diff = now.join(prev, on="yahoo_symbol", how="left")
    return {
        "new": diff.filter(pl.col("before").is_null()).drop("before"),
        "relisted": diff.filter(pl.col("before").is_in([DELISTED, ARCHIVED]) & (pl.col("after") == ACTIVE)),
        "delisted": diff.filter((pl.col("before") == ACTIVE) & (pl.col("after") == DELISTED)),
        "archived": diff.filter((pl.col("before") == DELISTED) & (pl.col("after") == ARCHIVED)),
    }


def backfill_instruments(current: pl.DataFrame) -> pl.DataFrame:
    """Rows stored before the instrument columns existed, given them from what they hold.

    Why: a warehouse written by an older version has `exchange` as a name (`NYSE`, `LSE`)
    and no calendar or currency. Listed rows are refreshed by the next scrape anyway; a
    delisted or archived row never is, so it is resolved here from its symbol and old
    exchange name (lib/markets.py). A row the table cannot resolve keeps NULLs: never a guess.
    """
    todo = current.filter(pl.col("calendar").is_null())
    if todo.height == 0:
        return current
    resolved = {}
    for symbol, exchange, is_etf in todo.select("yahoo_symbol", "exchange", "is_etf").iter_rows():
        try:
            resolved[symbol] = markets.instrument_for(symbol, exchange, asset_class="etf" if is_etf else None)
        except markets.UnknownMarket:
            continue
    if not resolved:
        return current
    fix = pl.DataFrame(
        {"yahoo_symbol": list(resolved), **{f"{c}_fix": [getattr(i, c) for i in resolved.values()]
                                           for c in MARKET_FIELDS}},
        schema={"yahoo_symbol": pl.String, **{f"{c}_fix": pl.String
                                              for c in MARKET_FIELDS}},
    )
    return (
        current.join(fix, on="yahoo_symbol", how="left")
        .with_columns(**{c: pl.coalesce(f"{c}_fix", c) for c in MARKET_FIELDS})
        .select(current.columns)
    )
