"""As-traded prices from Yahoo's split-adjusted history, and the plausibility rule.

Why: Yahoo's daily `Close` (and volume) is split-adjusted *as of the day you ask*: AAPL's
2020-08-28 close reads 499.23 if fetched that night and 124.81 if fetched after the
2020-08-31 4:1 split. We store what traded that day, so a row fetched the night it traded
equals the same row backfilled years later: each price is multiplied back (and the volume
divided back) by the product of the split ratios with an ex-date *after* the row's date,
using the splits Yahoo reports in the same answer. Adjusted series are derived later, from
the stored rows and `prices.corporate_actions` (the `prices.daily_ohlcv_adjusted` view).
"""

from __future__ import annotations

import datetime as dt

import polars as pl

PRICE_COLUMNS = ("open", "high", "low", "close", "adj_close")
JUMP_LIMIT = 0.25


def split_factors(bars: pl.DataFrame, splits: pl.DataFrame) -> pl.Series:
    """Per bar: the product of the symbol's split ratios with ex-date after the bar's date."""
    if not bars.height:
        return pl.Series("factor", [], dtype=pl.Float64)
    keyed = bars.select("symbol", "date").with_row_index("_row")
    if not splits.height:
        return pl.Series("factor", [1.0] * bars.height, dtype=pl.Float64)
    ratios = splits.select("symbol", "ex_date", pl.col("value").cast(pl.Float64)).filter(pl.col("value") > 0)
    after = (
        keyed.join(ratios, on="symbol", how="inner")
        .filter(pl.col("ex_date") > pl.col("date"))
        .group_by("_row")
        .agg(pl.col("value").product().alias("factor"))
    )
    return (
        keyed.join(after, on="_row", how="left").sort("_row")["factor"].fill_null(1.0).alias("factor")
    )


def to_as_traded(bars: pl.DataFrame, splits: pl.DataFrame) -> pl.DataFrame:
    """Undo Yahoo's split adjustment: prices x factor, volume / factor (rounded to shares)."""
    if not bars.height:
        return bars
    factor = split_factors(bars, splits)
    out = bars.with_columns(factor)
    prices = [(pl.col(c) * pl.col("factor")).alias(c) for c in PRICE_COLUMNS if c in bars.columns]
    out = out.with_columns(*prices)
    if "volume" in bars.columns:
        out = out.with_columns((pl.col("volume").cast(pl.Float64) / pl.col("factor")).round(0)
                               .cast(pl.Int64).alias("volume"))
    return out.drop("factor")


def implausible_jumps(bars: pl.DataFrame, previous: dict[str, tuple[dt.date, float]],
                      splits: pl.DataFrame, limit: float = JUMP_LIMIT) -> pl.DataFrame:
    """Rows whose close moved more than `limit` from the previous close, splits aside.

    The previous close is the symbol's preceding row in `bars`, or for its first row the
    stored close in `previous` (symbol -> (date, close)). A split with ex-date after the
    previous close and on or before the row explains the move by its ratio: a 4:1 split
    turns 500 into 125 without anything being wrong.
    """
    cols = {"symbol": pl.String, "date": pl.Date, "close": pl.Float64, "prev_date": pl.Date,
            "prev_close": pl.Float64, "ratio": pl.Float64, "change": pl.Float64}
    if not bars.height:
        return pl.DataFrame(schema=cols)
    stored = pl.DataFrame(
        {"symbol": list(previous), "date": [v[0] for v in previous.values()],
         "close": [float(v[1]) for v in previous.values()]},
        schema={"symbol": pl.String, "date": pl.Date, "close": pl.Float64},
    )
    fetched = bars.select("symbol", "date", pl.col("close").cast(pl.Float64))
    earliest = fetched.group_by("symbol").agg(pl.col("date").min().alias("first"))
    stored = stored.join(earliest, on="symbol", how="inner").filter(pl.col("date") < pl.col("first")).drop("first")
    series = (
        pl.concat([stored.with_columns(stored=pl.lit(True)), fetched.with_columns(stored=pl.lit(False))])
        .sort("symbol", "date")
        .with_columns(prev_date=pl.col("date").shift(1).over("symbol"),
                      prev_close=pl.col("close").shift(1).over("symbol"))
        .filter(~pl.col("stored") & pl.col("prev_close").is_not_null())
        .drop("stored")
        .with_row_index("_row")
    )
    if splits.height:
        between = (
            series.select("_row", "symbol", "date", "prev_date")
            .join(splits.select("symbol", "ex_date", pl.col("value").cast(pl.Float64)), on="symbol")
            .filter((pl.col("ex_date") > pl.col("prev_date")) & (pl.col("ex_date") <= pl.col("date")))
            .group_by("_row").agg(pl.col("value").product().alias("ratio"))
        )
        series = series.join(between, on="_row", how="left")
    else:
        series = series.with_columns(ratio=pl.lit(None, dtype=pl.Float64))
    series = series.with_columns(pl.col("ratio").fill_null(1.0))
    series = series.with_columns(change=pl.col("close") * pl.col("ratio") / pl.col("prev_close") - 1.0)
    return series.filter(pl.col("change").abs() > limit).select(list(cols)).cast(cols)


# The adjusted series, derived (never stored): prices.daily_ohlcv_adjusted. A split or a
# dividend stored in prices.corporate_actions changes it at once; the as-traded rows stay.
#   split factor    = product of split ratios (new/old) with ex-date after the row's date
#   dividend factor = product of (1 - cash / previous as-traded close) over dividends with
#                     ex-date after the row's date (Yahoo's "Adj Close" convention)
#   adjusted price  = as-traded price * dividend factor / split factor
#   adjusted volume = as-traded volume * split factor
# and in major units (ADR 0020): a minor-unit quote (GBp pence, ILA agorot, ZAc cents) is divided
# by 100 and the row names the major currency (GBP, ILS, ZAR); `close_as_traded` stays as quoted.
MINOR_UNITS = {"GBp": ("GBP", 100.0), "GBX": ("GBP", 100.0), "ILA": ("ILS", 100.0), "ZAc": ("ZAR", 100.0)}
_UNIT_DIVISOR_SQL = "CASE b.currency " + " ".join(
    f"WHEN '{minor}' THEN {div}" for minor, (_, div) in MINOR_UNITS.items()) + " ELSE 1.0 END"
_MAJOR_CURRENCY_SQL = "CASE b.currency " + " ".join(
    f"WHEN '{minor}' THEN '{major}'" for minor, (major, _) in MINOR_UNITS.items()) + " ELSE b.currency END"


def to_major_units(price: float, currency: str | None) -> tuple[float, str | None]:
    """One price in the major unit of its currency: (1234.5, 'GBp') -> (12.345, 'GBP')."""
    major, divisor = MINOR_UNITS.get(currency or "", (currency, 1.0))
    return price / divisor, major


# The splits and dividends (with the close before each ex-date) every adjusted view starts from:
# the daily view below and the intraday one (storage/intraday_views.py) share them.
ACTION_CTES = """WITH actions AS (
    SELECT DISTINCT symbol, ex_date, kind, value FROM prices.corporate_actions WHERE value > 0
), splits AS (
    SELECT symbol, ex_date, value AS ratio FROM actions WHERE kind = 'split'
), dividends AS (
    SELECT d.symbol, d.ex_date, d.value AS cash, b.close AS prev_close
    FROM (SELECT * FROM actions WHERE kind = 'dividend') d
    ASOF LEFT JOIN prices.daily_ohlcv b ON d.symbol = b.symbol AND d.ex_date > b.date
)"""

ADJUSTED_VIEW_SQL = """
CREATE OR REPLACE VIEW prices.daily_ohlcv_adjusted AS
""" + ACTION_CTES + """, factors AS (
    SELECT b.symbol, b.date,
           coalesce((SELECT product(s.ratio) FROM splits s
                     WHERE s.symbol = b.symbol AND s.ex_date > b.date), 1.0) AS split_factor,
           coalesce((SELECT product(1.0 - d.cash / d.prev_close) FROM dividends d
                     WHERE d.symbol = b.symbol AND d.ex_date > b.date AND d.prev_close > d.cash), 1.0)
               AS dividend_factor
    FROM prices.daily_ohlcv b
)
SELECT b.date, b.symbol,
       b.open * f.dividend_factor / f.split_factor / (UNIT_DIVISOR) AS open,
       b.high * f.dividend_factor / f.split_factor / (UNIT_DIVISOR) AS high,
       b.low * f.dividend_factor / f.split_factor / (UNIT_DIVISOR) AS low,
       b.close * f.dividend_factor / f.split_factor / (UNIT_DIVISOR) AS close,
       CAST(round(b.volume * f.split_factor) AS BIGINT) AS volume,
       b.close AS close_as_traded,
       f.split_factor, f.dividend_factor, b.provider,
       MAJOR_CURRENCY AS currency, b.currency AS currency_as_traded
FROM prices.daily_ohlcv b
JOIN factors f ON f.symbol = b.symbol AND f.date = b.date
""".replace("UNIT_DIVISOR", _UNIT_DIVISOR_SQL).replace("MAJOR_CURRENCY", _MAJOR_CURRENCY_SQL)
