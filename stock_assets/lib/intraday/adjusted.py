"""Split- and dividend-adjusted intraday bars: the daily bars' rule, applied per session.

Intraday bars are stored as traded (ADR 0021). Adjusted, a bar of session S carries the factors
of the daily bar dated S (lib/adjusted.factors: splits and dividends with ex-date after S, a
dividend's term from the last daily close before its ex-date), so the last adjusted 1m/1h close
of a day equals that day's adjusted daily close when the minutes end at the daily close. Prices
are in major units (ADR 0020): the currency is the one of the symbol's daily bar of the session
(else its last daily bar before), as the SQL view `prices.intraday_bars_adjusted` does.
"""

from __future__ import annotations

import polars as pl

from stock_assets.lib import adjusted as daily_rule

INTRADAY_ADJUSTED: dict[str, pl.DataType] = {
    "ts": pl.Datetime("us"), "session": pl.Date(), "symbol": pl.String(), "interval": pl.String(),
    "open": pl.Float64(), "high": pl.Float64(), "low": pl.Float64(), "close": pl.Float64(),
    "volume": pl.Int64(), "close_as_traded": pl.Float64(),
    "split_factor": pl.Float64(), "dividend_factor": pl.Float64(), "provider": pl.String(),
    "currency": pl.String(), "currency_as_traded": pl.String(),
}
_PRICES = ("open", "high", "low", "close")


def adjusted(bars: pl.DataFrame, actions: pl.DataFrame, daily: pl.DataFrame) -> pl.DataFrame:
    """`bars` (intraday rows as stored) adjusted by `actions` (prices.corporate_actions rows).

    `daily` (symbol, date, close, currency: as-traded daily rows) must hold the symbol's last
    daily bar before each dividend's ex-date and its bar of each session (for the currency).
    Output columns: INTRADAY_ADJUSTED, in the order of `bars`.
    """
    if not bars.height:
        return pl.DataFrame(schema=INTRADAY_ADJUSTED)
    keys = bars.select("symbol", date=pl.col("session")).unique().sort("symbol", "date")
    daily = daily.select("symbol", "date", "close", "currency").sort("symbol", "date")
    currency = keys.join_asof(daily.select("symbol", "date", currency_as_traded="currency"), on="date",
                              by="symbol", strategy="backward", check_sortedness=False)  # sorted above
    per_session = daily_rule.factors(keys, actions, daily).join(currency, on=["symbol", "date"])
    out = (
        bars.join(per_session.rename({"date": "session"}), on=["symbol", "session"], how="left",
                  maintain_order="left")
        .with_columns(close_as_traded=pl.col("close"), _divisor=daily_rule.unit_divisor(pl.col("currency_as_traded")))
        .with_columns(*[(pl.col(c) * pl.col("dividend_factor") / pl.col("split_factor") / pl.col("_divisor")).alias(c)
                        for c in _PRICES],
                      currency=daily_rule.major_currency(pl.col("currency_as_traded")),
                      volume=(pl.col("volume") * pl.col("split_factor")).round(0, mode="half_away_from_zero").cast(pl.Int64))
    )
    return out.select(list(INTRADAY_ADJUSTED)).cast(INTRADAY_ADJUSTED)
