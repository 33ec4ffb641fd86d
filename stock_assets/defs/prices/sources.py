"""Where daily bars come from: one interface, a live and an offline implementation.

Assets depend on `PriceSource`, never on yfinance, so the offline synthetic source can
stand in for Yahoo in the demo, the tests and the benchmarks.
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import dagster as dg
import polars as pl

from stock_assets.lib.errors import ErrorCode
from stock_assets.lib.schema import (
    ACTION_SOURCE_COLUMNS,
    CORPORATE_ACTIONS,
    DAILY_OHLCV,
    SOURCE_BAR_COLUMNS,
    conform,
    empty,
)

ProgressLog = Callable[[str], None]


@dataclass(frozen=True)
class FetchFailure:
    """One symbol that could not be fetched for a range of sessions, and why."""

    symbol: str
    code: ErrorCode
    message: str
    attempts: int = 1
    session: dt.date | None = None  # the last session of the range asked for


@dataclass
class FetchResult:
    """Bars and corporate actions for the symbols asked for, plus a failure per missing one."""

    bars: pl.DataFrame
    actions: pl.DataFrame
    failures: list[FetchFailure] = field(default_factory=list)
    stats: dict = field(default_factory=dict)  # latency, retries, refetches: the fetch report

    def __post_init__(self):
        self.bars = conform(self.bars, DAILY_OHLCV, SOURCE_BAR_COLUMNS)
        self.actions = conform(self.actions, CORPORATE_ACTIONS, ACTION_SOURCE_COLUMNS)

    @classmethod
    def empty(cls) -> "FetchResult":
        return cls(
            bars=empty(DAILY_OHLCV, SOURCE_BAR_COLUMNS),
            actions=empty(CORPORATE_ACTIONS, ACTION_SOURCE_COLUMNS),
        )

    def failures_by_code(self) -> dict[str, int]:
        return dict(Counter(str(f.code) for f in self.failures))

    def failures_frame(self) -> pl.DataFrame:
        return pl.DataFrame(
            {
                "symbol": [f.symbol for f in self.failures],
                "code": [str(f.code) for f in self.failures],
                "message": [f.message for f in self.failures],
                "attempts": [f.attempts for f in self.failures],
                "session": [f.session for f in self.failures],
            },
            schema={"symbol": pl.String, "code": pl.String, "message": pl.String,
                    "attempts": pl.Int32, "session": pl.Date},
        )


@dataclass
class IntradayResult:
    """1-minute bars (stored columns less the run's stamps) plus a failure per (symbol, day) lost."""

    bars: pl.DataFrame
    failures: list[FetchFailure] = field(default_factory=list)
    stats: dict = field(default_factory=dict)


class PriceSource(dg.ConfigurableResource, ABC):
    """Where daily bars come from. Assets depend on this interface, never on yfinance."""

    @property
    @abstractmethod
    def provider(self) -> str:
        """The name stored in each row's `provider` column."""

    @abstractmethod
    def fetch_range(
        self,
        symbols: Sequence[str],
        sessions: Sequence[dt.date],
        log: ProgressLog | None = None,
    ) -> FetchResult:
        """Bars **as traded** for every symbol on every session asked for.

        A symbol with no bar in the range comes back in `failures` with a code; a source
        never drops a symbol in silence. Corporate actions with ex-dates in the range come
        back in `actions`.
        """

    def fetch_day(self, symbols: Sequence[str], session: dt.date,
                  log: ProgressLog | None = None) -> FetchResult:
        return self.fetch_range(symbols, [session], log)

    @abstractmethod
    def fetch_intraday(
        self,
        symbols: Sequence[str],
        days: Sequence[dt.date],
        calendars: dict[str, str],
        today: dt.date,
        log: ProgressLog | None = None,
    ) -> IntradayResult:
        """1-minute bars of every symbol's regular session on each of `days` (its own market's
        sessions, `calendars[symbol]`), as traded. A (symbol, day) with no bar comes back in
        `failures`; a day older than the source keeps is `YFTOOOLD` and is not asked for.
        Coarser intervals are derived by the caller (lib/intraday/resample.py)."""

    def fetch_own_interval(self, symbol: str, day: dt.date, interval: str, calendar: str,
                           today: dt.date) -> pl.DataFrame | None:
        """The source's OWN bars of `symbol` at a coarser `interval` (5m..1h) for session `day`,
        regular hours, as traded: what `intraday_bars` checks its derived bars against for a
        sample (lib/intraday/crosscheck.py). None: the source serves no such series (or no
        longer keeps that day)."""
        return None
