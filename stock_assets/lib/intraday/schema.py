"""The stored row of `intraday_bars` (docs/data_model.md mirrors it).

`ts` is the bar's start in UTC (naive, as DuckDB's TIMESTAMP), `session` the trading date of
the instrument's own market the bar belongs to (a CME bar at 23:00 UTC on Monday belongs to
Tuesday's session).
"""

from __future__ import annotations

import polars as pl

INTRADAY_BARS: dict[str, pl.DataType] = {
    "ts": pl.Datetime("us"),
    "session": pl.Date(),
    "symbol": pl.String(),
    "interval": pl.String(),
    "open": pl.Float64(),
    "high": pl.Float64(),
    "low": pl.Float64(),
    "close": pl.Float64(),
    "volume": pl.Int64(),
    "provider": pl.String(),
    "ingested_at": pl.Datetime("us"),
    "run_id": pl.String(),
}
# What a source hands back: the stored row less what the pipeline stamps on it.
SOURCE_COLUMNS = [c for c in INTRADAY_BARS if c not in ("ingested_at", "run_id")]
KEY = ["symbol", "interval", "ts"]
