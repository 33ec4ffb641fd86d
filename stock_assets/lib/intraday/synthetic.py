"""Synthetic 1-minute bars that add up exactly to a given daily bar, for offline runs.

Why exact: the reconciliation check compares a day's minutes with its daily bar, and the
demo, the tests and the benchmarks run on the synthetic source; if its minutes did not agree
with its own daily bars, every offline run would report failures that are not there.
The path is a Brownian bridge from the day's open to its close, kept inside [low, high];
one minute touches the high and one the low; volume follows a U shape (busy open and
close) and sums to the day's volume. Deterministic in (seed, symbol, session).
"""

from __future__ import annotations

import datetime as dt
import zlib

import numpy as np
import polars as pl

from stock_assets.lib.intraday import sessions
from stock_assets.lib.intraday.parse import empty
from stock_assets.lib.intraday.schema import INTRADAY_BARS, SOURCE_COLUMNS


def _rng(seed: int, symbol: str, day: dt.date) -> np.random.Generator:
    return np.random.default_rng([seed, zlib.crc32(symbol.encode()), day.toordinal()])


def daily_bar(symbol: str, day: dt.date, seed: int = 7) -> dict:
    """A plausible daily bar for a symbol the synthetic universe does not list (e.g. ES=F)."""
    rng = _rng(seed, symbol, day)
    base = 50.0 + zlib.crc32(symbol.encode()) % 5000
    level = base * float(np.exp(0.1 * np.sin(day.toordinal() / 40.0)))
    o, c = level * (1 + rng.normal(0, 0.004)), level * (1 + rng.normal(0, 0.004))
    h = max(o, c) * (1 + abs(rng.normal(0, 0.004)))
    lo = min(o, c) * (1 - abs(rng.normal(0, 0.004)))
    return {"open": round(o, 2), "high": round(h, 2), "low": round(lo, 2), "close": round(c, 2),
            "volume": int(200_000 + rng.integers(0, 800_000))}


def minutes(symbol: str, day: dt.date, bar: dict, calendar: str, provider: str,
            seed: int = 7) -> pl.DataFrame:
    """1m bars of `symbol` for `day`'s regular session whose day aggregates equal `bar`.

    A day off on the symbol's calendar, or a zero-volume (halted) day, has no minutes.
    """
    win = sessions.window(calendar, day)
    if win is None or not bar.get("volume"):
        return empty()
    n = win.minutes
    o, h, lo, c = (float(bar[k]) for k in ("open", "high", "low", "close"))
    vol = int(bar["volume"])
    rng = _rng(seed, symbol, day)
    steps = rng.normal(0.0, 1.0, n).cumsum()
    bridge = steps - np.linspace(0.0, 1.0, n) * steps[-1]  # 0 at both ends
    spread = max(h - lo, 1e-9)
    path = np.linspace(o, c, n) + bridge / max(np.abs(bridge).max(), 1e-9) * spread * 0.4
    path = np.clip(path, lo, h)
    path[-1] = c
    opens = np.concatenate([[o], path[:-1]])
    closes = path
    wiggle = np.abs(rng.normal(0.0, spread * 0.02, n))
    highs = np.minimum(np.maximum(opens, closes) + wiggle, h)
    lows = np.maximum(np.minimum(opens, closes) - wiggle, lo)
    hi_at, lo_at = int(rng.integers(0, n)), int(rng.integers(0, n))
    if hi_at == lo_at:
        lo_at = (lo_at + 1) % n if n > 1 else lo_at
    highs[hi_at], lows[lo_at] = h, lo
    shape = 1.0 + 2.0 * (np.linspace(-1.0, 1.0, n) ** 2) + rng.uniform(0.0, 0.5, n)
    volumes = np.floor(shape / shape.sum() * vol).astype(np.int64)
    volumes[-1] += vol - int(volumes.sum())
    start = win.open.astimezone(dt.UTC).replace(tzinfo=None)
    frame = pl.DataFrame({
        "ts": pl.datetime_range(start, start + dt.timedelta(minutes=n - 1), "1m", eager=True),
        "session": [day] * n, "symbol": [symbol] * n, "interval": [sessions.FETCHED] * n,
        "open": opens, "high": highs, "low": lows, "close": closes, "volume": volumes,
        "provider": [provider] * n,
    })
    return frame.select([pl.col(col).cast(INTRADAY_BARS[col]) for col in SOURCE_COLUMNS])
