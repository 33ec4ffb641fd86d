"""The fetch inside a nightly window: a symbol lacking only tonight is judged against
yesterday's stored close, not the close before the window (ADR 0014: no extra request)."""

import datetime as dt
from collections.abc import Sequence

import polars as pl

from stock_assets.defs.prices import nightly_fetch
from stock_assets.defs.prices.sources import FetchResult, PriceSource, ProgressLog
from stock_assets.lib.schema import DAILY_OHLCV

WINDOW = [dt.date(2024, 6, d) for d in (10, 11, 12, 13, 14)]
CALLS: list[tuple[tuple[str, ...], dt.date]] = []


def _bar(day: dt.date, close: float) -> dict:
    return {"date": day, "symbol": "AAA", "open": close, "high": close, "low": close, "close": close,
            "adj_close": close, "volume": 1000, "provider": "stub", "source_ts": None, "currency": "USD"}


class TonightOnly(PriceSource):
    """Answers AAA's bar for 2024-06-14 at 101 (a 1 % move from 06-13's stored 100)."""

    @property
    def provider(self) -> str:
        return "stub"

    def fetch_range(self, symbols: Sequence[str], sessions: Sequence[dt.date],
                    log: ProgressLog | None = None) -> FetchResult:
        CALLS.append((tuple(symbols), min(sessions)))
        bars = pl.DataFrame([_bar(d, 101.0) for d in sessions if d == WINDOW[-1]])
        empty = FetchResult.empty()
        return FetchResult(bars=bars if bars.height else empty.bars, actions=empty.actions, stats={"latency_ms": []})

    def fetch_intraday(self, symbols, days, calendars, today, log=None):
        raise AssertionError("the daily window never asks for intraday bars")


def test_a_symbol_lacking_only_tonight_is_asked_once():
    CALLS.clear()
    stored = pl.DataFrame([_bar(d, 100.0) for d in WINDOW[:-1]]).with_columns(
        ingested_at=pl.lit(dt.datetime(2024, 6, 13, 21)), run_id=pl.lit("earlier")).cast(
        {k: v for k, v in DAILY_OHLCV.items()})
    before_window = {"AAA": (dt.date(2024, 6, 7), 70.0)}  # +44 % to tonight: implausible on its own
    result, refetched = nightly_fetch.fetch_lacking(TonightOnly(), ["AAA"], WINDOW, stored, before_window,
                                                    lambda _: None)
    assert CALLS == [(("AAA",), WINDOW[-1])]  # asked from its first missing session, once
    assert refetched == []
    assert result.bars["date"].to_list() == [WINDOW[-1]]
