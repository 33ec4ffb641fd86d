"""The split- and dividend-adjusted series, in polars: the same rule as the warehouse view.

Why a second spelling of `prices.daily_ohlcv_adjusted` (lib/adjust.ADJUSTED_VIEW_SQL): a
reader (`stock_assets.read`) must not open the warehouse, and the view computes factors
for every stored row, while a reader wants a few symbols. Tests hold the two equal.

    split factor    = product of split ratios (new/old) with ex-date after the row's date
    dividend factor = product of (1 - cash / previous as-traded close) over dividends with
                      ex-date after the row's date, where the previous close (the symbol's
                      last bar before the ex-date) is above the cash amount
    adjusted price  = as-traded price * dividend factor / split factor
    adjusted volume = as-traded volume * split factor
    in major units (ADR 0020): a minor-unit quote (GBp, ILA, ZAc) is divided by 100 and the
    row names the major currency; `close_as_traded` and `currency_as_traded` stay as quoted
"""

from __future__ import annotations

import polars as pl

from stock_assets.lib.adjust import MINOR_UNITS

ADJUSTED: dict[str, pl.DataType] = {
    "date": pl.Date(), "symbol": pl.String(),
    "open": pl.Float64(), "high": pl.Float64(), "low": pl.Float64(), "close": pl.Float64(),
    "volume": pl.Int64(), "close_as_traded": pl.Float64(),
    "split_factor": pl.Float64(), "dividend_factor": pl.Float64(), "provider": pl.String(),
    "currency": pl.String(), "currency_as_traded": pl.String(),
}
_PRICES = ("open", "high", "low", "close")


def _factor(bars: pl.DataFrame, events: pl.DataFrame, name: str) -> pl.DataFrame:
    """(symbol, date, `name`): the product of `events.term` over events dated after each bar."""
    if not events.height:
        return bars.select("symbol", "date").with_columns(pl.lit(1.0).alias(name))
    after = (
        bars.select("symbol", "date").join(events.select("symbol", "ex_date", "term"), on="symbol")
        .filter(pl.col("ex_date") > pl.col("date"))
        .group_by("symbol", "date").agg(pl.col("term").product().alias(name))
    )
    return (bars.select("symbol", "date").join(after, on=["symbol", "date"], how="left")
            .with_columns(pl.col(name).fill_null(1.0)))


def factors(keys: pl.DataFrame, actions: pl.DataFrame, closes: pl.DataFrame) -> pl.DataFrame:
    """(symbol, date, split_factor, dividend_factor) for each (symbol, date) of `keys`, from
    `actions` (prices.corporate_actions rows) and `closes` (symbol, date, close: the as-traded
    daily closes, holding the last close before each dividend's ex-date). One rule for the
    daily bars and the intraday bars of a session (lib/intraday/adjusted.py)."""
    keys = keys.select("symbol", "date").unique()
    acts = (actions.select("symbol", "ex_date", "kind", pl.col("value").cast(pl.Float64))
            .filter(pl.col("value") > 0).unique())
    splits = acts.filter(pl.col("kind") == "split").select("symbol", "ex_date", term=pl.col("value"))
    dividends = acts.filter(pl.col("kind") == "dividend").sort("symbol", "ex_date")
    closes = closes.select("symbol", "date", "close").sort("symbol", "date")
    if dividends.height:
        dividends = (
            dividends.join_asof(closes, left_on="ex_date", right_on="date", by="symbol",
                                strategy="backward", allow_exact_matches=False,
                                check_sortedness=False)  # both sorted by symbol, date above
            .filter(pl.col("close").is_not_null() & (pl.col("close") > pl.col("value")))
            .select("symbol", "ex_date", term=1.0 - pl.col("value") / pl.col("close"))
        )
    else:
        dividends = dividends.select("symbol", "ex_date", term=pl.col("value"))
    return (keys.join(_factor(keys, splits, "split_factor"), on=["symbol", "date"])
            .join(_factor(keys, dividends, "dividend_factor"), on=["symbol", "date"]))


def unit_divisor(currency: pl.Expr) -> pl.Expr:
    """100 for a minor-unit currency (GBp, ILA, ZAc), else 1 (ADR 0020)."""
    return currency.replace_strict({k: v[1] for k, v in MINOR_UNITS.items()}, default=1.0, return_dtype=pl.Float64)


def major_currency(currency: pl.Expr) -> pl.Expr:
    """GBp -> GBP, ILA -> ILS, ZAc -> ZAR; any other currency as it is."""
    return currency.replace({k: v[0] for k, v in MINOR_UNITS.items()})


def adjusted(bars: pl.DataFrame, actions: pl.DataFrame) -> pl.DataFrame:
    """`bars` (stored as-traded rows) adjusted by `actions` (prices.corporate_actions rows).

    `bars` must hold, for every dividend that adjusts one of its rows, the symbol's last bar
    before the ex-date (any row before an ex-date makes that bar one of `bars` if `bars` is a
    symbol's whole series from some date on). Output columns: ADJUSTED, ordered by symbol, date.
    """
    if not bars.height:
        return pl.DataFrame(schema=ADJUSTED)
    out = (
        bars.join(factors(bars, actions, bars), on=["symbol", "date"])
        .with_columns(close_as_traded=pl.col("close"), currency_as_traded=pl.col("currency"),
                      _divisor=unit_divisor(pl.col("currency")))
        .with_columns(*[(pl.col(c) * pl.col("dividend_factor") / pl.col("split_factor") / pl.col("_divisor")).alias(c)
                        for c in _PRICES],
                      currency=major_currency(pl.col("currency")),
                      volume=(pl.col("volume") * pl.col("split_factor")).round(0, mode="half_away_from_zero").cast(pl.Int64))
    )
    return out.select(list(ADJUSTED)).cast(ADJUSTED).sort("symbol", "date")
