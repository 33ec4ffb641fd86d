"""Where quote snapshots come from: Yahoo's batch quote endpoint live, a synthetic market offline.

Kept apart from `PriceSource` on purpose: a quote is a moving snapshot of a session in
progress (with fundamentals), not a final daily bar, and it never enters the daily lake.
Both sources hand back items shaped like Yahoo's v7 answer, and the one parser
(`lib/quotes/parse.py`) turns them into rows and coded failures: the synthetic market and a
live Yahoo are judged by the same rules (missing price, unknown symbol, stale quote).
"""

from __future__ import annotations

import datetime as dt
import zlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import dagster as dg
import polars as pl

from stock_assets.lib import calendar, synthetic
from stock_assets.lib.quotes import freshness, parse, schema
from stock_assets.lib.quotes.parse import QuoteFailure

ProgressLog = Callable[[str], None]


@dataclass
class QuoteResult:
    """One snapshot: a row per symbol quoted, a failure per symbol not, and the fetch's figures."""

    rows: pl.DataFrame
    failures: list[QuoteFailure] = field(default_factory=list)
    stats: dict = field(default_factory=dict)


@dataclass
class Answer:
    """What a source got back: v7-shaped items, symbols whose request failed (coded), figures."""

    items: list[dict]
    failed: list[QuoteFailure] = field(default_factory=list)
    stats: dict = field(default_factory=dict)


class QuoteSource(dg.ConfigurableResource, ABC):
    """Quotes with fundamentals for a list of Yahoo symbols, at one instant."""

    @property
    @abstractmethod
    def provider(self) -> str:
        """The provider's name, reported in the run's metadata."""

    @abstractmethod
    def answer(self, symbols: Sequence[str], at: dt.datetime, log: ProgressLog) -> Answer:
        """Ask for `symbols` at `at` (aware UTC): the items answered, and requests that failed."""

    def snapshot(self, symbols: Sequence[str], at: dt.datetime, in_regular_hours: Mapping[str, bool],
                 max_age: dt.timedelta = freshness.MAX_AGE, log: ProgressLog | None = None) -> QuoteResult:
        """Every symbol ends as a row or a coded failure; stale quotes are failures (YFSTALE)."""
        log = log or (lambda line: None)
        symbols = list(dict.fromkeys(symbols))
        if not symbols:
            return QuoteResult(rows=schema.empty())
        answer = self.answer(symbols, at, log)
        failed = {f.symbol for f in answer.failed}
        stamp = at.astimezone(dt.UTC).replace(tzinfo=None, microsecond=0)
        rows, failures = parse.rows_and_failures([s for s in symbols if s not in failed], answer.items, stamp,
                                                 in_regular_hours, max_age)
        return QuoteResult(rows=schema.frame(rows), failures=[*answer.failed, *failures], stats=answer.stats)


class SyntheticQuoteSource(QuoteSource):
    """Offline quotes: the synthetic market's last close moved by a deterministic drift, with fundamentals."""

    ticker_count: int = 500
    seed: int = 7

    @property
    def provider(self) -> str:
        return synthetic.PROVIDER

    def answer(self, symbols: Sequence[str], at: dt.datetime, log: ProgressLog) -> Answer:
        from stock_assets.lib.markets import market_of

        day = at.astimezone(dt.UTC).date()
        days = [day - dt.timedelta(days=n) for n in range(10, -2, -1)]
        bars, _, _ = synthetic.bars(list(symbols), days, self.ticker_count, self.seed)
        closed: dict[tuple[dt.date, str], bool] = {}

        def has_closed(session: dt.date, cal: str) -> bool:  # only closes before `at` are known at `at`
            if (session, cal) not in closed:
                closed[(session, cal)] = calendar.has_closed(session, at, cal)
            return closed[(session, cal)]

        minute = int(at.timestamp() // 60)
        items = []
        for (sym,), rows in bars.sort("date").partition_by("symbol", as_dict=True, maintain_order=True).items():
            cal = market_of(sym).calendar
            known = [r for r in rows.iter_rows(named=True) if has_closed(r["date"], cal)]
            if known:
                is_open = freshness.open_session(at, cal) is not None
                last_close = calendar.session_close(known[-1]["date"], cal)
                items.append(_item(known[-1], _drift(sym, minute, self.seed), at, is_open, last_close, self.seed))
        log(f"synthetic quotes: {len(items)}/{len(symbols)} symbols quoted")
        return Answer(items=items, stats={"requests": 0, "batches": 0})


def _item(bar: dict, drift: float, at: dt.datetime, is_open: bool, last_close: dt.datetime, seed: int) -> dict:
    """A v7-shaped quote of one synthetic symbol: prices from its last bar, fundamentals from its hash."""
    sym = bar["symbol"]
    h = zlib.crc32(f"{seed}:{sym}:fundamentals".encode())
    prev = float(bar["close"])
    price = round(prev * (1 + drift / 100), 4) if is_open else prev
    pe = 8 + h % 40
    shares = 10_000_000 * (1 + h % 500)
    quoted = at - dt.timedelta(seconds=zlib.crc32(f"{sym}:{int(at.timestamp()) // 60}".encode()) % 120) \
        if is_open else last_close
    return {
        "symbol": sym, "quoteType": "EQUITY", "currency": bar.get("currency") or "USD",
        "regularMarketPrice": price, "regularMarketChange": round(price - prev, 4),
        "regularMarketChangePercent": round((price / prev - 1) * 100, 4),
        "regularMarketVolume": int(bar["volume"]) // (2 if is_open else 1),
        "regularMarketDayHigh": round(max(price, prev) * 1.004, 4),
        "regularMarketDayLow": round(min(price, prev) * 0.996, 4),
        "bid": round(price * 0.9995, 4), "ask": round(price * 1.0005, 4),
        "marketCap": int(price * shares), "trailingPE": float(pe), "forwardPE": round(pe * 0.9, 2),
        "epsTrailingTwelveMonths": round(price / pe, 4),
        "dividendYield": round((h >> 8) % 400 / 100, 2), "bookValue": round(price / (1 + h % 7), 4),
        "fiftyTwoWeekHigh": round(prev * 1.3, 4), "fiftyTwoWeekLow": round(prev * 0.7, 4),
        "averageDailyVolume3Month": int(bar["volume"]),
        "marketState": "REGULAR" if is_open else "CLOSED",
        "regularMarketTime": int(quoted.timestamp()), "exchangeDataDelayedBy": 0,
    }


def _drift(symbol: str, minute: int, seed: int) -> float:
    """A change % in [-3, 3), a pure function of (symbol, minute, seed)."""
    h = zlib.crc32(f"{seed}:{symbol}:{minute}".encode())
    return (h % 6000) / 1000 - 3.0
