"""Asset checks on `ticker_universe`: unique symbols, a plausible count, only safe symbols.

Why after the write and not blocking: the guards in the asset already refuse a scrape that
looks wrong before anything is written; these checks state what the stored universe
promises to everything downstream, and show a person when it does not hold.
"""

import dagster as dg
import polars as pl

from stock_assets.defs.universe.sources import UniverseSource
from stock_assets.lib import markdown
from stock_assets.lib.symbols import InvalidSymbol, validate
from stock_assets.storage.resource import WarehouseResource

ASSET = "ticker_universe"


@dg.asset_check(asset=ASSET, description="Every yahoo_symbol appears once in universe.tickers.")
def no_duplicate_symbols(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    dupes = warehouse.open().query(
        "SELECT yahoo_symbol, count(*) AS rows FROM universe.tickers GROUP BY yahoo_symbol "
        "HAVING count(*) > 1 ORDER BY yahoo_symbol"
    )
    return dg.AssetCheckResult(
        passed=dupes.height == 0,
        metadata={"duplicated_symbols": dupes.height, "duplicates": dg.MetadataValue.md(markdown.table(dupes))},
    )


@dg.asset_check(
    asset=ASSET,
    description="The number of active symbols is within the bounds the scraped sources make plausible.",
)
def count_within_bounds(universe_source: UniverseSource, warehouse: WarehouseResource) -> dg.AssetCheckResult:
    wh = warehouse.open()
    active = int(wh.scalar("SELECT count(*) FROM universe.tickers WHERE status = 'active'"))
    sources = wh.query(
        "SELECT DISTINCT source FROM universe.listing_snapshots "
        "WHERE scraped_at = (SELECT max(scraped_at) FROM universe.listing_snapshots) ORDER BY source"
    )["source"].to_list()
    low, high = universe_source.expected_count(sources)
    return dg.AssetCheckResult(
        passed=low <= active <= high,
        metadata={"active": active, "min": low, "max": high, "sources": ", ".join(sources) or "-"},
    )


@dg.asset_check(
    asset=ASSET,
    description="Every stored symbol passes the strict symbol rules (no path, SQL or odd characters).",
)
def every_symbol_valid(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    frame = warehouse.open().query("SELECT symbol, yahoo_symbol FROM universe.tickers ORDER BY yahoo_symbol")
    bad = []
    for symbol in frame["yahoo_symbol"].to_list():
        try:
            validate(symbol)
        except InvalidSymbol as err:
            bad.append((symbol, err.reason))
    offending = pl.DataFrame(bad, schema={"yahoo_symbol": pl.String, "reason": pl.String}, orient="row")
    return dg.AssetCheckResult(
        passed=not bad,
        metadata={"symbols": frame.height, "invalid": len(bad),
                  "invalid_symbols": dg.MetadataValue.md(markdown.table(offending))},
    )


universe_checks = [no_duplicate_symbols, count_within_bounds, every_symbol_valid]
