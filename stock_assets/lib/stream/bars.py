"""Ticks -> 1-minute bars per symbol, each emitted once, when its minute has closed.

Rules (docs/adr/0027-streamed-prices.md):
- a bar is the minute `[ts, ts+1m)` of one symbol: open/close are the first/last price by Yahoo's
  time (ties in arrival order), high/low the extremes, `ticks` the ticks counted;
- a minute closes when the clock passes its end plus `grace_seconds` (ticks arrive a little
  after their time); then it is emitted and never again by this aggregator: a tick for a minute
  already closed is `late` and dropped (a written minute is never doubled);
- an exact repeat of a tick (same symbol, time, price and day volume: a re-sent frame, a
  re-subscription's snapshot) is a `duplicate` and dropped;
- `volume` comes from `day_volume`, Yahoo's cumulative volume of the symbol's day: the sum of its
  rises within the minute, starting from the last value before the minute. A fall on the same
  day (a correction, a rolling 24 h figure) adds nothing and becomes the new reference; on a
  new day (`day_of` differs) the reference is 0, so the first minute counts the day's volume so
  far. A symbol's first minute since the process started has no earlier value: its volume is
  what rose after its first tick (the ADR says what that misses).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # messages imports yfinance's protobuf; the warehouse's view code needs none of it
    from stock_assets.lib.stream.messages import Tick

MINUTE = dt.timedelta(minutes=1)
DEFAULT_GRACE_SECONDS = 5.0
ADDED, DUPLICATE, LATE = "added", "duplicate", "late"


def minute_of(ts: dt.datetime) -> dt.datetime:
    """The start of the minute `ts` falls in (UTC)."""
    return ts.astimezone(dt.UTC).replace(second=0, microsecond=0)


def utc_day(symbol: str, ts: dt.datetime) -> dt.date:
    return ts.astimezone(dt.UTC).date()


@dataclass(frozen=True)
class Bar:
    """One symbol's closed minute."""

    ts: dt.datetime  # the minute's start, UTC
    symbol: str
    open: float
    high: float
    low: float
    close: float
    volume: int | None  # None when no tick of the minute carried a day volume
    ticks: int
    day_volume: int | None  # the last cumulative day volume seen in the minute
    last_tick_at: dt.datetime  # Yahoo's time of the minute's last tick


@dataclass
class _Reference:
    day: dt.date
    volume: int


@dataclass
class MinuteBars:
    """The open minutes of every symbol; `add` ticks, `close(now)` the minutes that have ended."""

    grace_seconds: float = DEFAULT_GRACE_SECONDS
    day_of: Callable[[str, dt.datetime], dt.date] = utc_day
    counts: Counter = field(default_factory=Counter)
    _open: dict[tuple[dt.datetime, str], list[tuple[Tick, int]]] = field(default_factory=dict)
    _seen: set[tuple] = field(default_factory=set)
    _closed_before: dt.datetime | None = None  # every minute starting before this is emitted
    _reference: dict[str, _Reference] = field(default_factory=dict)
    _arrival: int = 0

    def add(self, tick: Tick) -> str:
        """Take one tick: ADDED, DUPLICATE or LATE (counted in `counts` either way)."""
        minute = minute_of(tick.ts)
        if self._closed_before is not None and minute < self._closed_before:
            self.counts[LATE] += 1
            return LATE
        key = (tick.symbol, tick.ts, tick.price, tick.day_volume)
        if key in self._seen:
            self.counts[DUPLICATE] += 1
            return DUPLICATE
        self._seen.add(key)
        self._arrival += 1
        self._open.setdefault((minute, tick.symbol), []).append((tick, self._arrival))
        self.counts[ADDED] += 1
        return ADDED

    @property
    def open_minutes(self) -> list[dt.datetime]:
        return sorted({minute for minute, _ in self._open})

    def close(self, now: dt.datetime) -> list[Bar]:
        """The bars of every minute that ended at least `grace_seconds` before `now`, oldest first."""
        cutoff = minute_of(now - dt.timedelta(seconds=self.grace_seconds))  # end + grace <= now
        return self._emit([m for m in self.open_minutes if m < cutoff], cutoff)

    def flush(self) -> list[Bar]:
        """Every open minute's bar now (a stop): later ticks of those minutes count as late."""
        minutes = self.open_minutes
        return self._emit(minutes, (minutes[-1] + MINUTE) if minutes else None)

    def _emit(self, minutes: Iterable[dt.datetime], closed_before: dt.datetime | None) -> list[Bar]:
        bars = []
        for minute in minutes:
            for (m, symbol) in sorted(k for k in self._open if k[0] == minute):
                bars.append(self._bar(minute, symbol, self._open.pop((m, symbol))))
        if closed_before is not None and (self._closed_before is None or closed_before > self._closed_before):
            self._closed_before = closed_before
            self._seen = {k for k in self._seen if minute_of(k[1]) >= closed_before}
        return bars

    def _bar(self, minute: dt.datetime, symbol: str, ticks: list[tuple[Tick, int]]) -> Bar:
        ordered = [t for t, _ in sorted(ticks, key=lambda pair: (pair[0].ts, pair[1]))]
        prices = [t.price for t in ordered]
        return Bar(ts=minute, symbol=symbol, open=prices[0], high=max(prices), low=min(prices), close=prices[-1],
                   volume=self._volume(symbol, ordered), ticks=len(ordered),
                   day_volume=next((t.day_volume for t in reversed(ordered) if t.day_volume is not None), None),
                   last_tick_at=ordered[-1].ts)

    def _volume(self, symbol: str, ordered: list[Tick]) -> int | None:
        """The rises of the cumulative day volume over the minute (see the module docstring)."""
        with_volume = [t for t in ordered if t.day_volume is not None]
        if not with_volume:
            return None
        ref = self._reference.get(symbol)
        total = 0
        for tick in with_volume:
            day = self.day_of(symbol, tick.ts)
            if ref is None:  # first value since start: nothing to measure the first tick against
                ref = _Reference(day, tick.day_volume)
                continue
            if day != ref.day:
                ref = _Reference(day, 0)
            if tick.day_volume > ref.volume:
                total += tick.day_volume - ref.volume
            ref = _Reference(day, tick.day_volume)
        self._reference[symbol] = ref
        return total


# The stored row of `stream_prices` (docs/data_model.md mirrors it). Times are UTC, naive.
def stream_schema():
    import polars as pl

    return {
        "ts": pl.Datetime("us"), "symbol": pl.String(), "open": pl.Float64(), "high": pl.Float64(),
        "low": pl.Float64(), "close": pl.Float64(), "volume": pl.Int64(), "ticks": pl.Int64(),
        "day_volume": pl.Int64(), "last_tick_at": pl.Datetime("us"), "provider": pl.String(),
        "ingested_at": pl.Datetime("us"),
    }


def to_frame(bars: list[Bar], provider: str, ingested_at: dt.datetime):
    """Bars as stored rows (polars), ordered by symbol."""
    import polars as pl

    naive = lambda value: value.astimezone(dt.UTC).replace(tzinfo=None)  # noqa: E731
    rows = [{"ts": naive(b.ts), "symbol": b.symbol, "open": b.open, "high": b.high, "low": b.low,
             "close": b.close, "volume": b.volume, "ticks": b.ticks, "day_volume": b.day_volume,
             "last_tick_at": naive(b.last_tick_at), "provider": provider, "ingested_at": naive(ingested_at)}
            for b in bars]
    return pl.DataFrame(rows, schema=stream_schema()).sort("symbol", "ts")


def merge_frames(stored, new):
    """One minute's stored rows and new rows of the same minute (a restart mid-minute) as one bar per
    symbol: open from the earliest part, close from the latest, extremes, volumes and ticks added."""
    import polars as pl

    both = pl.concat([stored, new]).sort("symbol", "last_tick_at")
    return both.group_by("symbol", "ts", maintain_order=True).agg(
        pl.col("open").first(), pl.col("high").max(), pl.col("low").min(), pl.col("close").last(),
        pl.when(pl.col("volume").is_not_null().any()).then(pl.col("volume").sum()).otherwise(None).alias("volume"),
        pl.col("ticks").sum(), pl.col("day_volume").drop_nulls().last(), pl.col("last_tick_at").max(),
        pl.col("provider").last(), pl.col("ingested_at").max(),
    ).select(list(stream_schema())).cast(stream_schema()).sort("symbol", "ts")
