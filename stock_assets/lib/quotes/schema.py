"""The stored row of `quote_snapshots` (DESIGN.md "Quotes"; docs/data_model.md mirrors it).

`snapshot_at` is when the snapshot was taken and `quote_time` when Yahoo's last trade was,
both UTC (naive, as DuckDB's TIMESTAMP). Prices are in the quote `currency` as Yahoo states
it (`GBp`: pence); `change_pct` and `dividend_yield` are percent (0.41 means 0.41 %).
"""

from __future__ import annotations

import polars as pl

QUOTE_SNAPSHOTS: dict[str, pl.DataType] = {
    "snapshot_at": pl.Datetime("us"),
    "symbol": pl.String(),
    "price": pl.Float64(),
    "change": pl.Float64(),
    "change_pct": pl.Float64(),
    "volume": pl.Int64(),
    "day_high": pl.Float64(),
    "day_low": pl.Float64(),
    "bid": pl.Float64(),
    "ask": pl.Float64(),
    "market_cap": pl.Int64(),
    "pe_trailing": pl.Float64(),
    "pe_forward": pl.Float64(),
    "eps_trailing": pl.Float64(),
    "dividend_yield": pl.Float64(),
    "book_value": pl.Float64(),
    "week52_high": pl.Float64(),
    "week52_low": pl.Float64(),
    "avg_volume_3m": pl.Int64(),
    "market_state": pl.String(),
    "quote_time": pl.Datetime("us"),
    "currency": pl.String(),
}
# The fundamentals people ask of a quote: counted per snapshot ("fields filled").
FUNDAMENTALS = ("market_cap", "pe_trailing", "pe_forward", "eps_trailing", "dividend_yield", "book_value",
                "week52_high", "week52_low", "avg_volume_3m")


def empty() -> pl.DataFrame:
    return pl.DataFrame(schema=QUOTE_SNAPSHOTS)


def frame(rows: list[dict]) -> pl.DataFrame:
    """Rows (dicts with every column) as a frame of exactly the stored schema and order."""
    return pl.DataFrame(rows, schema=QUOTE_SNAPSHOTS) if rows else empty()
