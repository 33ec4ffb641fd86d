"""The warehouse views over intraday bars and the weekly/monthly bars derived from daily ones.

`prices.intraday_bars` reads `<lake>/intraday_bars/interval=*/date=*/data.parquet`; over a
lake with no intraday file yet it is a typed empty view (`read_parquet` fails on an empty
glob, DAGSTER_NOTES.md). `prices.weekly_ohlcv` and `prices.monthly_ohlcv` group each
symbol's daily bars by the week (Monday-based) or month their sessions fall in: a week is
the sessions present, so a holiday week has four, and a London week is London's sessions.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from stock_assets.lib.intraday.schema import INTRADAY_BARS

TABLE = "intraday_bars"

_PERIOD_VIEW = """
CREATE OR REPLACE VIEW prices.{name} AS
SELECT symbol,
       CAST(date_trunc('{unit}', date) AS DATE) AS period_start,
       min(date) AS first_session,
       max(date) AS last_session,
       count(*) AS sessions,
       arg_min(open, date) AS open,
       max(high) AS high,
       min(low) AS low,
       arg_max(close, date) AS close,
       CAST(sum(volume) AS BIGINT) AS volume
FROM prices.daily_ohlcv
GROUP BY symbol, date_trunc('{unit}', date)
"""


def lake_glob(lake_root: Path) -> str:
    return str(Path(lake_root) / TABLE / "interval=*" / "date=*" / "data.parquet")


def has_files(lake_root: Path) -> bool:
    return any((Path(lake_root) / TABLE).glob("interval=*/date=*/data.parquet"))


def _duck(dtype) -> str:
    return {"Datetime": "TIMESTAMP", "Date": "DATE", "String": "VARCHAR", "Float64": "DOUBLE",
            "Int64": "BIGINT"}[type(dtype).__name__]


def create_views(conn: duckdb.DuckDBPyConnection, lake_root: Path) -> None:
    """(Re)create the intraday view and the weekly/monthly views; needs prices.daily_ohlcv."""
    columns = ", ".join(INTRADAY_BARS)
    if has_files(lake_root):
        # The path comes from our settings, never from data; quoted as a literal.
        literal = "'" + lake_glob(lake_root).replace("'", "''") + "'"
        source = f"SELECT {columns} FROM read_parquet({literal}, hive_partitioning = false, union_by_name = true)"
    else:
        typed = ", ".join(f"CAST(NULL AS {_duck(t)}) AS {c}" for c, t in INTRADAY_BARS.items())
        source = f"SELECT {typed} WHERE FALSE"
    conn.execute("CREATE SCHEMA IF NOT EXISTS prices")
    conn.execute(f"CREATE OR REPLACE VIEW prices.intraday_bars AS {source}")
    conn.execute(_PERIOD_VIEW.format(name="weekly_ohlcv", unit="week"))
    conn.execute(_PERIOD_VIEW.format(name="monthly_ohlcv", unit="month"))
