"""The offline price source: deterministic bars from `lib/synthetic.py`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from stock_assets.defs.prices.sources import FetchFailure, FetchResult, PriceSource, ProgressLog
from stock_assets.lib import synthetic
from stock_assets.lib.errors import ErrorCode

_REASONS = {
    "unknown": (ErrorCode.YFHTTP4XX, "404 Not Found: no data found, symbol may be delisted"),
    "delisted": (ErrorCode.YFTZ, "no timezone found, symbol may be delisted"),
    "empty": (ErrorCode.YFEMPTY, "no bars returned for the sessions asked for"),
}


class SyntheticPriceSource(PriceSource):
    """Deterministic prices for offline runs, demos and benchmarks (no network)."""

    ticker_count: int = 500
    seed: int = 7

    @property
    def provider(self) -> str:
        return synthetic.PROVIDER

    def fetch_range(self, symbols: Sequence[str], sessions: Sequence[dt.date],
                    log: ProgressLog | None = None) -> FetchResult:
        bars, actions, missing = synthetic.bars(list(symbols), list(sessions), self.ticker_count, self.seed)
        last = max(sessions) if sessions else None
        failures = [
            FetchFailure(symbol=s, code=_REASONS[why][0], message=_REASONS[why][1], session=last)
            for s, why in sorted(missing.items())
        ]
        if log:
            log(f"synthetic: {bars.height} bars for {len(symbols) - len(failures)}/{len(symbols)} symbols")
        return FetchResult(bars=bars, actions=actions, failures=failures,
                           stats={"requested": len(symbols), "latency_ms": []})
