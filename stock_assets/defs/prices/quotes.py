"""Where intraday quotes come from: latest price, change % and volume per symbol.

Kept apart from `PriceSource` on purpose: a quote is a moving snapshot of a session in
progress, not a final daily bar, and it is never written into the daily lake. Two
implementations, as for daily bars: Yahoo (live, through yfinance) and a synthetic one
derived from the synthetic market so offline runs and tests have quotes that agree with
the daily bars.
"""

from __future__ import annotations

import datetime as dt
import zlib
from abc import ABC, abstractmethod
from collections.abc import Sequence

import dagster as dg
import polars as pl

from stock_assets.lib import calendar, synthetic

QUOTE_SCHEMA = {
    "symbol": pl.String,
    "price": pl.Float64,
    "change_pct": pl.Float64,
    "volume": pl.Int64,
}


def empty_quotes() -> pl.DataFrame:
    return pl.DataFrame(schema=QUOTE_SCHEMA)


class QuoteSource(dg.ConfigurableResource, ABC):
    """Latest quotes for a list of Yahoo symbols. Symbols without a quote are left out."""

    @property
    @abstractmethod
    def provider(self) -> str:
        """The name stored in each row's `provider` column."""

    @abstractmethod
    def latest(self, symbols: Sequence[str], now: dt.datetime) -> pl.DataFrame:
        """One row per symbol quoted at `now` (UTC-aware): symbol, price, change_pct, volume."""


class SyntheticQuoteSource(QuoteSource):
    """Offline quotes: the previous synthetic close moved by a deterministic intraday drift."""

    ticker_count: int = 500
    seed: int = 7

    @property
    def provider(self) -> str:
        return synthetic.PROVIDER

    def latest(self, symbols: Sequence[str], now: dt.datetime) -> pl.DataFrame:
        if not symbols:
            return empty_quotes()
        previous = calendar.previous_session(now.astimezone(calendar.NEW_YORK).date())
        bars, _, _ = synthetic.bars(list(symbols), [previous], self.ticker_count, self.seed)
        if bars.height == 0:
            return empty_quotes()
        minute = int(now.timestamp() // 60)
        moves = [_drift(sym, minute, self.seed) for sym in bars["symbol"].to_list()]
        return bars.select(
            pl.col("symbol"),
            (pl.col("close") * (1 + pl.Series(moves) / 100)).round(4).alias("price"),
            pl.Series("change_pct", moves).round(4),
            (pl.col("volume") // 2).cast(pl.Int64).alias("volume"),
        )


def _drift(symbol: str, minute: int, seed: int) -> float:
    """A change % in [-3, 3), a pure function of (symbol, minute, seed)."""
    h = zlib.crc32(f"{seed}:{symbol}:{minute}".encode())
    return (h % 6000) / 1000 - 3.0


class YahooQuoteSource(QuoteSource):
    """Yahoo Finance through yfinance: one batched 5-minute download of the last two days."""

    batch_size: int = 200
    timeout_seconds: float = 30.0

    @property
    def provider(self) -> str:
        return "yahoo"

    def latest(self, symbols: Sequence[str], now: dt.datetime) -> pl.DataFrame:
        from stock_assets.defs.prices.yahoo.fetch import import_yfinance

        yf = import_yfinance()

        frames = []
        for start in range(0, len(symbols), self.batch_size):
            batch = list(symbols[start:start + self.batch_size])
            raw = yf.download(
                batch, period="2d", interval="5m", auto_adjust=False, actions=False,
                group_by="ticker", progress=False, threads=True, timeout=self.timeout_seconds,
                multi_level_index=True,
            )
            frames.append(quotes_from_download(raw, batch))
        return pl.concat(frames) if frames else empty_quotes()


def quotes_from_download(raw, symbols: Sequence[str]) -> pl.DataFrame:
    """Latest price, change % vs the previous day's last bar, and today's volume per symbol.

    `raw` is yfinance's pandas frame grouped by ticker (columns (symbol, field)); a symbol
    with no bar today is left out rather than given a stale price.
    """
    if raw is None or getattr(raw, "empty", True):
        return empty_quotes()
    today = max(raw.index.date)  # the session in progress, the same for every symbol
    rows = []
    for sym in symbols:
        if sym not in raw.columns.get_level_values(0):
            continue
        frame = raw[sym].dropna(subset=["Close"])
        days = frame.index.date
        if not (days == today).any():
            continue
        today_rows = frame[days == today]
        before = frame[days < today]
        price = float(today_rows["Close"].iloc[-1])
        prev = float(before["Close"].iloc[-1]) if len(before) else None
        rows.append({
            "symbol": sym,
            "price": price,
            "change_pct": (price / prev - 1) * 100 if prev else None,
            "volume": int(today_rows["Volume"].fillna(0).sum()),
        })
    return pl.DataFrame(rows, schema=QUOTE_SCHEMA) if rows else empty_quotes()
