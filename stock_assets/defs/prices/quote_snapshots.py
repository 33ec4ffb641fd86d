"""`quote_snapshots`: the universe's quotes with fundamentals, a few requests per snapshot.

Each run takes one snapshot at one instant (`snapshot_at`): the symbols of the markets in
regular hours (`scope: open`, what the market-hours sensor asks every 10 minutes) or every
symbol (`scope: all`, the daily full refresh after the close). The snapshot is one Parquet
file in `<data>/lake/quote_snapshots/date=YYYY-MM-DD/` (atomic; a rerun of the same instant
replaces it), read through `prices.quote_snapshots`; each symbol's newest row is kept in
`universe.fundamentals`. A symbol without a row has one `ops.fetch_errors` row saying why
(`YFNOQUOTE`, `YFNOPRICE`, `YFSTALE`, or the request's code), message prefixed `quote `.
"""


import datetime as dt
import time

import dagster as dg
import polars as pl
from pydantic import Field, field_validator

from stock_assets.defs.prices import records
from stock_assets.defs.prices.quotes import QuoteSource
from stock_assets.lib import config_checks, markdown
from stock_assets.lib.quotes import freshness, schema
from stock_assets.lib.quotes.parse import QuoteFailure
from stock_assets.lib.quotes.scan import markets_open
from stock_assets.storage import quote_store
from stock_assets.storage.resource import WarehouseResource

ERROR_PREFIX = "quote "
SCOPES = ("open", "all")


class QuoteSnapshotConfig(dg.Config):
    """Set by the sensor and the daily schedule; in the launchpad the defaults take every symbol now."""

    snapshot_at: str = Field(default="", description="ISO instant (UTC if no offset); empty: now.")
    scope: str = Field(default="all", description=(
        "`open`: only symbols whose market is in regular hours at snapshot_at (the sensor); "
        "`all`: every active symbol (the daily full refresh)."))
    max_age_minutes: float = Field(default=freshness.MAX_AGE.total_seconds() / 60, gt=0, description=(
        "A quote older than this (beyond its exchange's announced delay) while its market is in "
        "regular hours is rejected as YFSTALE."))

    _snapshot_at = field_validator("snapshot_at")(config_checks.iso_instant)

    @field_validator("scope")
    @classmethod
    def _scope(cls, value: str) -> str:
        if value not in SCOPES:
            raise ValueError(f"scope {value!r} is not one of {', '.join(SCOPES)}")
        return value


def snapshot_instant(config: QuoteSnapshotConfig) -> dt.datetime:
    """The snapshot's instant, aware UTC, whole seconds."""
    if not config.snapshot_at:
        return dt.datetime.now(dt.UTC).replace(microsecond=0)
    at = dt.datetime.fromisoformat(config.snapshot_at)
    return (at if at.tzinfo else at.replace(tzinfo=dt.UTC)).astimezone(dt.UTC).replace(microsecond=0)


def _errors(failures: list[QuoteFailure], run_id: str, day: dt.date, now: dt.datetime) -> pl.DataFrame:
    return pl.DataFrame(
        {"run_id": run_id, "session": day, "symbol": [f.symbol for f in failures],
         "code": [str(f.code) for f in failures], "message": [(ERROR_PREFIX + f.message)[:500] for f in failures],
         "attempts": 1, "recorded_at": now},
        schema={"run_id": pl.String, "session": pl.Date, "symbol": pl.String, "code": pl.String,
                "message": pl.String, "attempts": pl.Int32, "recorded_at": pl.Datetime("us")},
    )


@dg.asset(
    group_name="prices",
    deps=[dg.AssetKey("ticker_universe")],
    kinds={"polars", "parquet", "duckdb"},
    owners=["team:data-platform"],
    tags={"domain": "prices", "layer": "lake"},
    metadata={"dagster/table_name": "prices.quote_snapshots",
              "dagster/column_schema": dg.TableSchema(
                  columns=[dg.TableColumn(c, str(t)) for c, t in schema.QUOTE_SNAPSHOTS.items()])},
)
def quote_snapshots(
    context: dg.AssetExecutionContext, config: QuoteSnapshotConfig, quotes: QuoteSource,
    warehouse: WarehouseResource,
) -> dg.MaterializeResult:
    """Quotes with fundamentals (price, change, volume, day range, bid/ask, market cap, P/E, EPS,
    dividend yield, book value, 52-week range, 3-month volume) for the universe at one instant.

    Lake: `quote_snapshots/date=D/snapshot-HHMMSS.parquet`; view `prices.quote_snapshots`; the
    newest per symbol in `universe.fundamentals`. Stale quotes (older than `max_age_minutes` in
    regular hours) and symbols without a price are recorded in `ops.fetch_errors`, never stored.
    """
    at = snapshot_instant(config)
    stamp = at.replace(tzinfo=None)
    wh = warehouse.open()
    wh.ensure_schema()
    symbols = records.symbols_for(wh, stamp.date())
    calendars = records.symbol_calendars(wh, symbols)
    opened, closed = markets_open(at, sorted(set(calendars.values())))
    in_hours = {s: calendars[s] in opened for s in symbols}
    if config.scope == "open":
        symbols = [s for s in symbols if in_hours[s]]
    context.log.info(f"snapshot {stamp:%Y-%m-%d %H:%M:%S} UTC, scope {config.scope}: {len(symbols)} symbols; "
                     f"in regular hours: {', '.join(opened) or 'none'}"
                     + (f"; {'; '.join(closed.values())}" if closed else ""))
    started = time.monotonic()
    result = quotes.snapshot(symbols, at, in_hours, dt.timedelta(minutes=config.max_age_minutes),
                             log=context.log.info)
    seconds = time.monotonic() - started
    rows = result.rows.sort("symbol")
    path = quote_store.write_snapshot(warehouse.lake_dir, rows, stamp) if symbols else None
    wh.ensure_schema()  # the first file turns the typed empty view into one over the lake
    errors = _errors(result.failures, context.run.run_id, stamp.date(), dt.datetime.now(dt.UTC).replace(tzinfo=None))
    with wh.transaction() as conn:
        fresh = quote_store.upsert_fundamentals(conn, rows)
        conn.execute("DELETE FROM ops.fetch_errors WHERE run_id = ? AND session = ? AND message LIKE ?",
                     [context.run.run_id, stamp.date(), ERROR_PREFIX + "%"])
        if errors.height:
            conn.register("incoming_errors", errors.to_arrow())
            conn.execute("INSERT INTO ops.fetch_errors (run_id, session, symbol, code, message, attempts, "
                         "recorded_at) SELECT * FROM incoming_errors")
            conn.unregister("incoming_errors")
    by_code: dict[str, int] = {}
    for f in result.failures:
        by_code[str(f.code)] = by_code.get(str(f.code), 0) + 1
    filled = {c: round(rows[c].is_not_null().mean(), 3) if rows.height else 0.0 for c in schema.FUNDAMENTALS}
    context.log.info(f"{rows.height}/{len(symbols)} quoted in {seconds:.1f}s, {len(result.failures)} failed "
                     f"({by_code or 'none'}); {result.stats.get('requests', 0)} requests")
    movers = rows.sort(pl.col("change_pct").abs(), descending=True, nulls_last=True).head(10)
    return dg.MaterializeResult(metadata={
        "dagster/row_count": dg.MetadataValue.int(rows.height),
        "snapshot_at": dg.MetadataValue.text(f"{stamp:%Y-%m-%d %H:%M:%S} UTC"),
        "scope": dg.MetadataValue.text(config.scope),
        "markets_open": dg.MetadataValue.text(", ".join(opened) or "none"),
        "symbols_requested": dg.MetadataValue.int(len(symbols)),
        "symbols_quoted": dg.MetadataValue.int(rows.height),
        "fundamentals_updated": dg.MetadataValue.int(fresh),
        "failures_by_code": dg.MetadataValue.json(dict(sorted(by_code.items()))),
        "fields_filled": dg.MetadataValue.json(filled),
        "http_requests": dg.MetadataValue.int(int(result.stats.get("requests", 0))),
        "batch_size": dg.MetadataValue.int(int(result.stats.get("batch_size", 0))),
        "seconds": dg.MetadataValue.float(round(seconds, 3)),
        "path": dg.MetadataValue.path(str(path) if path else "(nothing written: no symbol in scope)"),
        "top_movers": dg.MetadataValue.md(markdown.table(movers.select(
            "symbol", "price", "change_pct", "volume", "market_cap", "pe_trailing", "currency", "market_state"))),
    })
