"""The warehouse views over intraday bars and the weekly/monthly bars derived from daily ones.

`prices.intraday_bars` reads `<lake>/intraday_bars/interval=*/date=*/data.parquet`; over a
lake with no intraday file yet it is a typed empty view (`read_parquet` fails on an empty
glob, DAGSTER_NOTES.md); `prices.intraday_bars_adjusted` is it split- and dividend-adjusted.
`prices.weekly_ohlcv` and `prices.monthly_ohlcv` group each
symbol's daily bars by the week (Monday-based) or month their sessions fall in: a week is
the sessions present, so a holiday week has four, and a London week is London's sessions.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from stock_assets.lib.adjust import ACTION_CTES, MINOR_UNITS
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


# The split- and dividend-adjusted intraday bars: the rule of prices.daily_ohlcv_adjusted
# (lib/adjust.py) per session, in major units; the currency is the one of the symbol's daily bar
# of the session (else its last one before). lib/intraday/adjusted.py is the same rule in polars.
_DIVISOR = "CASE f.currency " + " ".join(f"WHEN '{m}' THEN {d}" for m, (_, d) in MINOR_UNITS.items()) + " ELSE 1.0 END"
_MAJOR = "CASE f.currency " + " ".join(f"WHEN '{m}' THEN '{j}'" for m, (j, _) in MINOR_UNITS.items()) + " ELSE f.currency END"
ADJUSTED_VIEW = """
CREATE OR REPLACE VIEW prices.intraday_bars_adjusted AS
""" + ACTION_CTES + """, sessions AS (
    SELECT DISTINCT symbol, session FROM prices.intraday_bars
), factors AS (
    SELECT k.symbol, k.session,
           coalesce((SELECT product(s.ratio) FROM splits s
                     WHERE s.symbol = k.symbol AND s.ex_date > k.session), 1.0) AS split_factor,
           coalesce((SELECT product(1.0 - d.cash / d.prev_close) FROM dividends d
                     WHERE d.symbol = k.symbol AND d.ex_date > k.session AND d.prev_close > d.cash), 1.0)
               AS dividend_factor,
           c.currency
    FROM sessions k
    ASOF LEFT JOIN (SELECT symbol, date, currency FROM prices.daily_ohlcv) c
        ON c.symbol = k.symbol AND k.session >= c.date
)
SELECT b.ts, b.session, b.symbol, b.interval,
       b.open * f.dividend_factor / f.split_factor / (DIVISOR) AS open,
       b.high * f.dividend_factor / f.split_factor / (DIVISOR) AS high,
       b.low * f.dividend_factor / f.split_factor / (DIVISOR) AS low,
       b.close * f.dividend_factor / f.split_factor / (DIVISOR) AS close,
       CAST(round(b.volume * f.split_factor) AS BIGINT) AS volume,
       b.close AS close_as_traded,
       f.split_factor, f.dividend_factor, b.provider,
       MAJOR AS currency, f.currency AS currency_as_traded
FROM prices.intraday_bars b
JOIN factors f ON f.symbol = b.symbol AND f.session = b.session
""".replace("DIVISOR", _DIVISOR).replace("MAJOR", _MAJOR)


def lake_glob(lake_root: Path) -> str:
    return str(Path(lake_root) / TABLE / "interval=*" / "date=*" / "data.parquet")


def has_files(lake_root: Path) -> bool:
    return any((Path(lake_root) / TABLE).glob("interval=*/date=*/data.parquet"))


def _duck(dtype) -> str:
    return {"Datetime": "TIMESTAMP", "Date": "DATE", "String": "VARCHAR", "Float64": "DOUBLE",
            "Int64": "BIGINT"}[type(dtype).__name__]


def create_views(conn: duckdb.DuckDBPyConnection, lake_root: Path) -> None:
    """(Re)create the intraday view, the weekly/monthly views and (once prices.corporate_actions
    exists) the adjusted intraday view; needs prices.daily_ohlcv."""
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
    has_actions = conn.execute(
        "SELECT count(*) FROM information_schema.tables "
        "WHERE table_schema = 'prices' AND table_name = 'corporate_actions'").fetchone()[0]
    if has_actions:
        conn.execute(ADJUSTED_VIEW)
