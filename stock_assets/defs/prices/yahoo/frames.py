"""yfinance's pandas frames -> our polars rows: as-traded bars and corporate actions.

Why its own module: the mapping is where Yahoo's conventions meet ours (split-adjusted
prices, split ratios as floats, dividends in the bar frame, a live partial bar for today)
and it is tested on recorded responses without any threads or retries around it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pandas as pd
import polars as pl

from stock_assets.lib import adjust, calendar, markets
from stock_assets.lib.schema import ACTION_SOURCE_COLUMNS, CORPORATE_ACTIONS, DAILY_OHLCV, SOURCE_BAR_COLUMNS

PROVIDER = "yahoo"
_COLUMNS = {"Open": "open", "High": "high", "Low": "low", "Close": "close",
            "Adj Close": "adj_close", "Volume": "volume"}


def per_symbol(data: pd.DataFrame | None, symbols: Sequence[str]) -> dict[str, pd.DataFrame]:
    """Split a `yf.download(group_by='ticker')` frame into one frame per symbol asked for."""
    out: dict[str, pd.DataFrame] = {}
    if data is None or data.empty:
        return out
    if isinstance(data.columns, pd.MultiIndex):
        present = set(data.columns.get_level_values(0))
        for sym in symbols:
            if sym.upper() in present:
                out[sym] = data[sym.upper()]
    elif len(symbols) == 1:
        out[symbols[0]] = data
    return out


def _closes_utc(dates: list[dt.date], cal: str = calendar.EXCHANGE) -> list[dt.datetime]:
    out = []
    for d in dates:
        when = calendar.session_close(d, cal) if calendar.is_session(d, cal) else dt.datetime.combine(d, dt.time(21))
        out.append(when.replace(tzinfo=None) if when.tzinfo else when)
    return out


def to_rows(symbol: str, frame: pd.DataFrame | None, sessions: Sequence[dt.date],
            currency: str | None = None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """As-traded bars for `sessions` and every split/dividend in the answer, for one symbol.

    All splits in the answer (also those after the sessions asked for) convert prices back;
    bars outside `sessions` (history before them, today's live bar) are dropped. Yahoo dates
    a daily bar by the exchange's own session date; `currency` is the quote currency (the
    answer's `meta.currency` when known, else read from the symbol's form: `.L` is GBp).
    """
    market = markets.market_of(symbol)  # the source refused symbols whose market is unknown
    bars_empty = pl.DataFrame(schema={c: DAILY_OHLCV[c] for c in SOURCE_BAR_COLUMNS})
    acts_empty = pl.DataFrame(schema={c: CORPORATE_ACTIONS[c] for c in ACTION_SOURCE_COLUMNS})
    if frame is None or frame.empty or "Close" not in frame.columns:
        return bars_empty, acts_empty
    frame = frame.dropna(how="all")
    dates = [ts.date() for ts in pd.DatetimeIndex(frame.index)]
    actions = []
    for kind, column in (("split", "Stock Splits"), ("dividend", "Dividends")):
        if column in frame.columns:
            for day, value in zip(dates, frame[column].tolist(), strict=True):
                if value == value and value not in (0, 0.0, None):  # NaN-safe
                    actions.append((symbol, day, kind, float(value), PROVIDER))
    acts = pl.DataFrame(actions, schema={c: CORPORATE_ACTIONS[c] for c in ACTION_SOURCE_COLUMNS}, orient="row")
    acts = _dividends_as_paid(acts)
    priced = frame[frame["Close"].notna()]
    pdates = [ts.date() for ts in pd.DatetimeIndex(priced.index)]
    raw = pl.DataFrame({
        "date": pdates,
        "symbol": [symbol] * len(pdates),
        **{ours: priced[theirs].astype("float64").tolist() if theirs in priced.columns else [None] * len(pdates)
           for theirs, ours in _COLUMNS.items()},
    }, schema_overrides={"date": pl.Date, "symbol": pl.String, "volume": pl.Float64})
    raw = raw.with_columns(pl.col("adj_close").fill_null(pl.col("close")), pl.col("volume").fill_null(0.0))
    splits = acts.filter(pl.col("kind") == "split").select("symbol", "ex_date", "value")
    traded = adjust.to_as_traded(raw, splits)
    wanted = set(sessions)
    traded = traded.filter(pl.col("date").is_in(list(wanted))).unique(subset=["date"], keep="first").sort("date")
    traded = traded.with_columns(
        currency=pl.lit(currency or market.currency),
        provider=pl.lit(PROVIDER),
        source_ts=pl.Series(_closes_utc(traded["date"].to_list(), market.calendar), dtype=pl.Datetime("us")),
    )
    bars = traded.select([pl.col(c).cast(DAILY_OHLCV[c]) for c in SOURCE_BAR_COLUMNS])
    return bars, acts


def _dividends_as_paid(acts: pl.DataFrame) -> pl.DataFrame:
    """Yahoo split-adjusts dividend amounts too; convert them back to cash per share then held."""
    dividends = acts.filter(pl.col("kind") == "dividend")
    if not dividends.height:
        return acts
    splits = acts.filter(pl.col("kind") == "split").select("symbol", "ex_date", "value")
    factor = adjust.split_factors(dividends.rename({"ex_date": "date"}), splits)
    paid = dividends.with_columns((pl.col("value") * factor).alias("value"))
    return pl.concat([acts.filter(pl.col("kind") != "dividend"), paid]).sort("ex_date", "kind")


def chart_market(meta: dict) -> dict:
    """What a chart answer's `meta` says about its market: currency, exchange, timezone.

    Why: yfinance keeps this as `Ticker.history_metadata`; it is the authority for the quote
    currency (Yahoo quotes most of London in pence, `GBp`) and for the exchange's timezone,
    by which a bar's timestamp becomes its session date.
    """
    return {"currency": meta.get("currency"), "exchange": meta.get("exchangeName"),
            "full_exchange": meta.get("fullExchangeName"), "timezone": meta.get("exchangeTimezoneName"),
            "instrument": meta.get("instrumentType")}


def session_dates(timestamps: Sequence[int], timezone: str) -> list[dt.date]:
    """Epoch seconds of daily bars -> the exchange's own session dates (its local calendar day)."""
    from zoneinfo import ZoneInfo

    tz = ZoneInfo(timezone)
    return [dt.datetime.fromtimestamp(int(t), tz).date() for t in timestamps]
