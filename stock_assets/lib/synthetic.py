"""A deterministic synthetic market: a universe and its daily bars, for offline runs.

Why it is built this way: every number is a pure function of (seed, symbol, session), so a
day fetched on its own equals the same day inside a ten-year backfill, reruns are exact,
and tests can state known answers. The walk is a random walk in log price built from
64-session blocks (block increments summed, then a Brownian bridge inside the block), so a
bar for session i costs O(i/64 + 64), not O(i), and 9k symbols x 1 day stays cheap.

Realism on purpose: splits (4:1, 3:1, 2:1 and a 1:10 reverse split), quarterly dividends,
later listings, delistings, multi-session gaps and zero-volume days, so that QA and the
dashboard have something to find. Symbols 0-6 carry fixed events in June 2024 (the README
demo's month); the rest draw theirs at random.

Beyond the US (lib/synthetic_markets.py): London, Xetra, Paris listings and CME futures walk
on their own calendar's sessions (a London bar exists on US Thanksgiving, none on a UK bank
holiday) and are quoted in their own currency; the US numbers do not depend on them.
"""

from __future__ import annotations

import datetime as dt
import zlib
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import polars as pl

from stock_assets.lib import calendar, synthetic_markets

BLOCK = 64
DRIFT = 0.0001
SECTORS = (
    "Communication Services", "Consumer Discretionary", "Consumer Staples", "Energy",
    "Financials", "Health Care", "Industrials", "Information Technology", "Materials",
    "Real Estate", "Utilities",
)
PROVIDER = "synthetic"

# Streams keep the pseudo-random numbers of different purposes independent.
_S_BLOCK, _S_STEP, _S_OPEN, _S_HIGH, _S_LOW, _S_VOL, _S_ZERO = range(1, 8)
_S_FEATURE = 100


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: a well-spread 64-bit hash of each element."""
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def _uniform(seed: int, keys: np.ndarray, index: np.ndarray, stream: int) -> np.ndarray:
    """Uniform (0, 1) numbers, one per (key, index) pair, for one stream."""
    with np.errstate(over="ignore"):
        x = (
            np.uint64(seed) * np.uint64(0x9E3779B97F4A7C15)
            + keys.astype(np.uint64) * np.uint64(0xD1B54A32D192ED03)
            + index.astype(np.uint64) * np.uint64(0xAEF17502108EF2D9)
            + np.uint64(stream) * np.uint64(0x632BE59BD9B4E019)
        )
        bits = _mix(x) >> np.uint64(11)
    return (bits.astype(np.float64) + 0.5) / float(1 << 53)


def _normal(seed: int, keys: np.ndarray, index: np.ndarray, stream: int) -> np.ndarray:
    u1 = _uniform(seed, keys, index, stream)
    u2 = _uniform(seed, keys, index, stream + 50)
    return np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)


def symbol_key(symbol: str) -> int:
    return zlib.crc32(symbol.encode())


@dataclass(frozen=True)
class SyntheticTicker:
    """One synthetic listing and the events of its life (indices into all_sessions())."""

    symbol: str
    name: str
    exchange: str
    sector: str
    is_etf: bool
    listed: int  # first session index with a bar
    delisted: int | None  # first session index without a bar, for good
    split: tuple[int, float] | None  # (ex-date index, new shares per old share)
    dividend_phase: int | None  # pays when (index + phase) % 63 == 0
    gap: tuple[int, int] | None  # [start, end) session indices with no bar
    zero_volume_rate: float
    base_price: float
    sigma: float
    base_volume: float
    calendar: str = calendar.EXCHANGE  # indices above count this calendar's sessions
    currency: str = "USD"
    asset_class: str = "equity"

    @property
    def listed_on(self) -> dt.date:
        return calendar.all_sessions(self.calendar)[self.listed]

    @property
    def delisted_on(self) -> dt.date | None:
        sessions = calendar.all_sessions(self.calendar)
        return sessions[self.delisted] if self.delisted is not None and self.delisted < len(sessions) else None


def _idx(day: str) -> int:
    return calendar.session_index(dt.date.fromisoformat(day))


def _fixed_events() -> dict[int, dict]:
    """Events the README demo month (June 2024) shows, on the first seven symbols."""
    return {
        0: {"split": (_idx("2024-06-10"), 4.0)},
        1: {"delisted": _idx("2024-06-14")},
        2: {"gap": (_idx("2024-06-04"), _idx("2024-06-10"))},
        3: {"dividend_phase": (-_idx("2024-06-12")) % 63},
        4: {"zero_volume_rate": 0.0, "zero_days": ("2024-06-05", "2024-06-20")},
        5: {"split": (_idx("2024-06-17"), 0.1)},
        6: {"listed": _idx("2024-06-24")},
    }


FIXED_ZERO_VOLUME_DAYS = {4: (dt.date(2024, 6, 5), dt.date(2024, 6, 20))}


SYMBOL_SPACE = 26**3 + 26**4


@lru_cache(maxsize=8)
def tickers(count: int, seed: int = 7) -> tuple[SyntheticTicker, ...]:
    """`count` synthetic tickers; the first k are the same for every count >= k.

    Raises ValueError past the symbol space (3- and 4-letter symbols): the draw would never end.
    """
    if count > SYMBOL_SPACE:
        raise ValueError(f"{count} synthetic tickers asked for; there are only {SYMBOL_SPACE} 3- and 4-letter symbols")
    n_sessions = len(calendar.all_sessions())
    rng = np.random.default_rng(seed)
    symbols: list[str] = []
    seen: set[str] = set()
    while len(symbols) < count:
        length = 3 if rng.random() < 0.5 else 4
        symbol = "".join(chr(65 + int(c)) for c in rng.integers(0, 26, size=length))
        if symbol not in seen:
            seen.add(symbol)
            symbols.append(symbol)
    keys = np.array([symbol_key(s) for s in symbols], dtype=np.uint64)
    kk, ii = np.meshgrid(keys, np.arange(12), indexing="ij")
    uniforms = _uniform(seed, kk, ii, _S_FEATURE)
    fixed = _fixed_events()
    out: list[SyntheticTicker] = []
    for i, symbol in enumerate(symbols):
        u = uniforms[i].tolist()
        ev = fixed.get(i)
        if ev is not None:
            listed = ev.get("listed", 0)
            delisted = ev.get("delisted")
            split = ev.get("split")
            dividend_phase = ev.get("dividend_phase")
            gap = ev.get("gap")
            zero_rate = ev.get("zero_volume_rate", 0.0)
        else:
            listed = int(u[0] * (n_sessions - 300)) if u[1] < 0.04 else 0
            delisted = listed + 250 + int(u[2] * (n_sessions - listed)) if u[3] < 0.01 else None
            if delisted is not None and delisted >= n_sessions:
                delisted = None
            life_end = delisted if delisted is not None else n_sessions
            split = None
            if u[4] < 0.03 and life_end - listed > 40:
                ratio = (2.0, 3.0, 4.0, 0.1)[int(u[5] * 4)]
                split = (listed + 20 + int(u[6] * (life_end - listed - 40)), ratio)
            dividend_phase = int(u[7] * 63) if u[8] < 0.3 else None
            gap = None
            if u[9] < 0.005 and life_end - listed > 40:
                start = listed + 10 + int(u[10] * (life_end - listed - 30))
                gap = (start, start + 3 + int(u[11] * 6))
            zero_rate = 0.01 if u[11] < 0.02 else 0.0
        out.append(
            SyntheticTicker(
                symbol=symbol,
                name=f"{symbol.title()} {('Holdings', 'Corp', 'Group', 'Inc', 'Trust')[i % 5]}",
                exchange=("XNAS", "XNYS")[int(u[0] * 1000) % 2],
                sector=SECTORS[int(u[1] * 1000) % len(SECTORS)],
                is_etf=(u[2] * 1000) % 1 < 0.02,
                listed=listed,
                delisted=delisted,
                split=split,
                dividend_phase=dividend_phase,
                gap=gap,
                zero_volume_rate=zero_rate,
                base_price=float(10 + 290 * u[5]),
                sigma=float(0.01 + 0.015 * u[6]),
                base_volume=float(np.exp(11 + 4 * u[7])),
                asset_class="etf" if (u[2] * 1000) % 1 < 0.02 else "equity",
            )
        )
    return tuple(out)


@lru_cache(maxsize=2)
def international(seed: int = 7) -> tuple[SyntheticTicker, ...]:
    """Every non-US synthetic listing (lib/synthetic_markets.py), listed from the first session."""
    out = []
    for spec in synthetic_markets.specs():
        u = _uniform(seed, np.array([symbol_key(spec.symbol)], dtype=np.uint64), np.arange(2), _S_FEATURE)
        out.append(SyntheticTicker(
            symbol=spec.symbol, name=spec.name, exchange=spec.exchange, sector=spec.sector or "",
            is_etf=False, listed=0, delisted=None, split=None,
            dividend_phase=int(u[0] * 63) if spec.asset_class == "equity" else None, gap=None,
            zero_volume_rate=0.0, base_price=spec.base_price, sigma=float(0.008 + 0.01 * u[1]),
            base_volume=spec.base_volume, calendar=spec.calendar, currency=spec.currency,
            asset_class=spec.asset_class))
    return tuple(out)


def listing(count: int, as_of: dt.date, seed: int = 7,
            markets: tuple[str, ...] = synthetic_markets.DEFAULT_MARKETS) -> list[SyntheticTicker]:
    """The tickers listed on `as_of` in `markets`: what a scrape of the synthetic exchanges returns."""
    wanted = {s.symbol for s in synthetic_markets.specs(markets)}
    us = tickers(count, seed) if "us" in markets else ()
    out = []
    for t in (*us, *(t for t in international(seed) if t.symbol in wanted)):
        sessions = calendar.all_sessions(t.calendar)
        if sessions[t.listed] > as_of:
            continue
        if t.delisted is not None and sessions[min(t.delisted, len(sessions) - 1)] <= as_of:
            continue
        out.append(t)
    return out


def _log_price(seed: int, ts: list[SyntheticTicker], idx: np.ndarray) -> np.ndarray:
    """Log of the split-free value per original share, shape (len(ts), len(idx))."""
    keys = np.array([symbol_key(t.symbol) for t in ts], dtype=np.uint64)
    sigma = np.array([t.sigma for t in ts])[:, None]
    base = np.log(np.array([t.base_price for t in ts]))[:, None]
    blocks = idx // BLOCK
    n_blocks = int(blocks.max()) + 2
    b = np.arange(n_blocks)
    kb, bb = np.meshgrid(keys, b, indexing="ij")
    block_steps = DRIFT * BLOCK + sigma * np.sqrt(BLOCK) * _normal(seed, kb, bb, _S_BLOCK)
    anchors = base + np.concatenate([np.zeros((len(ts), 1)), np.cumsum(block_steps, axis=1)], axis=1)
    out = np.empty((len(ts), len(idx)))
    for j, block in enumerate(np.unique(blocks)):
        cols = np.nonzero(blocks == block)[0]
        steps = np.arange(block * BLOCK, (block + 1) * BLOCK)
        ks, ss = np.meshgrid(keys, steps, indexing="ij")
        walk = np.cumsum(sigma * _normal(seed, ks, ss, _S_STEP), axis=1)  # W_1..W_64
        walk = np.concatenate([np.zeros((len(ts), 1)), walk], axis=1)  # W_0..W_64
        a0, a1 = anchors[:, block][:, None], anchors[:, block + 1][:, None]
        offsets = idx[cols] - block * BLOCK
        frac = offsets / BLOCK
        out[:, cols] = a0 + walk[:, offsets] + frac * (a1 - a0 - walk[:, [BLOCK]])
    return out


def bars(
    symbols: list[str], sessions: list[dt.date], count: int, seed: int = 7
) -> tuple[pl.DataFrame, pl.DataFrame, dict[str, str]]:
    """As-traded bars and corporate actions for `symbols` on `sessions`.

    Each symbol has bars on its own calendar's sessions among `sessions` only (a day that is
    not one is not asked of it). Returns (bars, actions, missing) where `missing` maps each
    requested symbol that has no bar at all in the range to the reason a real provider would
    give: `unknown` (never listed), `delisted` (gone before the range) or `empty` (no bar in
    the range although its market traded).
    """
    by_symbol = {t.symbol: (i, t) for i, t in enumerate(tickers(count, seed))}
    by_symbol.update({t.symbol: (-1, t) for t in international(seed)})
    missing = {s: "unknown" for s in symbols if s not in by_symbol}
    known = [by_symbol[s] for s in dict.fromkeys(symbols) if s in by_symbol]
    by_calendar: dict[str, list[tuple[int, SyntheticTicker]]] = {}
    for number, t in known:
        by_calendar.setdefault(t.calendar, []).append((number, t))
    parts = [_bars_on(group, sessions, seed, name, missing) for name, group in by_calendar.items()]
    bars_parts = [b for b, _ in parts if b.height]
    action_parts = [a for _, a in parts if a.height]
    return (pl.concat(bars_parts).sort("date", "symbol") if bars_parts else _empty_bars(),
            pl.concat(action_parts).sort("ex_date", "symbol") if action_parts else _empty_actions(), missing)


def _bars_on(known: list[tuple[int, SyntheticTicker]], sessions: list[dt.date], seed: int, cal: str,
             missing: dict[str, str]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Bars and actions of tickers of one calendar `cal` on its sessions among `sessions`."""
    sessions = sorted({s for s in sessions if calendar.is_session(s, cal)})
    if not sessions:
        return _empty_bars(), _empty_actions()
    ts = [t for _, t in known]
    m = len(ts)
    idx = np.array([calendar.session_index(s, cal) for s in sessions])
    both = np.union1d(idx, np.maximum(idx - 1, 0))
    pos = {v: k for k, v in enumerate(both)}
    logp = _log_price(seed, ts, both)
    cur = np.array([pos[i] for i in idx])
    prev = np.array([pos[max(i - 1, 0)] for i in idx])

    keys = np.array([symbol_key(t.symbol) for t in ts], dtype=np.uint64)
    K, I = np.meshgrid(keys, idx, indexing="ij")  # (m, k)
    col = lambda values: np.array(values, dtype=float)[:, None]  # noqa: E731
    listed = col([t.listed for t in ts])
    delisted = col([t.delisted if t.delisted is not None else np.inf for t in ts])
    gap_lo = col([t.gap[0] if t.gap else np.inf for t in ts])
    gap_hi = col([t.gap[1] if t.gap else -np.inf for t in ts])
    split_at = col([t.split[0] if t.split else np.inf for t in ts])
    split_ratio = col([t.split[1] if t.split else 1.0 for t in ts])
    sigma = col([t.sigma for t in ts])
    alive = (I >= listed) & (I < delisted) & ~((I >= gap_lo) & (I < gap_hi))

    factor = np.where(I >= split_at, split_ratio, 1.0)
    close = np.exp(logp[:, cur]) / factor
    prev_close = np.exp(logp[:, prev]) / factor
    open_ = prev_close * np.exp(0.3 * sigma * _normal(seed, K, I, _S_OPEN))
    high = np.maximum(open_, close) * np.exp(np.abs(0.5 * sigma * _normal(seed, K, I, _S_HIGH)))
    low = np.minimum(open_, close) * np.exp(-np.abs(0.5 * sigma * _normal(seed, K, I, _S_LOW)))
    volume = np.rint(col([t.base_volume for t in ts]) * np.exp(0.4 * _normal(seed, K, I, _S_VOL)))
    zero = _uniform(seed, K, I, _S_ZERO) < col([t.zero_volume_rate for t in ts])
    session_arr = np.array(sessions)
    for row, (number, _) in enumerate(known):
        if number in FIXED_ZERO_VOLUME_DAYS:
            zero[row] |= np.isin(session_arr, FIXED_ZERO_VOLUME_DAYS[number])
    volume = np.where(zero, 0, volume).astype(np.int64)

    rows, cols = np.nonzero(alive)
    close_ts = np.array([calendar.session_close(s, cal).replace(tzinfo=None) for s in sessions],
                        dtype="datetime64[us]")
    sym_arr = np.array([t.symbol for t in ts], dtype=object)
    bars_frame = pl.DataFrame(
        {
            "date": session_arr[cols].astype("datetime64[D]"),
            "symbol": sym_arr[rows].tolist(),
            "open": np.round(open_[rows, cols], 4),
            "high": np.round(high[rows, cols], 4),
            "low": np.round(low[rows, cols], 4),
            "close": np.round(close[rows, cols], 4),
            "adj_close": np.round(close[rows, cols], 4),
            "volume": volume[rows, cols],
            "currency": np.array([t.currency for t in ts], dtype=object)[rows].tolist(),
            "provider": PROVIDER,
            "source_ts": close_ts[cols],
        }
    ).with_columns(pl.col("date").cast(pl.Date))

    for row, t in enumerate(ts):
        if not alive[row].any():
            gone = t.delisted is not None and idx.min() >= t.delisted
            missing[t.symbol] = "delisted" if gone else "empty"

    actions = []
    split_hit = alive & (I == split_at)
    for row, c in zip(*np.nonzero(split_hit)):
        actions.append((ts[row].symbol, sessions[c], "split", float(split_ratio[row, 0])))
    phase = col([t.dividend_phase if t.dividend_phase is not None else np.nan for t in ts])
    dividend_hit = alive & ~np.isnan(phase) & (np.mod(I + np.nan_to_num(phase), 63) == 0)
    for row, c in zip(*np.nonzero(dividend_hit)):
        actions.append((ts[row].symbol, sessions[c], "dividend", round(float(close[row, c]) * 0.004, 4)))
    actions_frame = (
        pl.DataFrame(actions, schema=["symbol", "ex_date", "kind", "value"], orient="row")
        .with_columns(source=pl.lit(PROVIDER))
        if actions else _empty_actions()
    )
    return bars_frame, actions_frame


def _empty_bars() -> pl.DataFrame:
    return pl.DataFrame(schema={
        "date": pl.Date, "symbol": pl.String, "open": pl.Float64, "high": pl.Float64,
        "low": pl.Float64, "close": pl.Float64, "adj_close": pl.Float64, "volume": pl.Int64,
        "currency": pl.String, "provider": pl.String, "source_ts": pl.Datetime("us"),
    })


def _empty_actions() -> pl.DataFrame:
    return pl.DataFrame(schema={"symbol": pl.String, "ex_date": pl.Date, "kind": pl.String,
                                "value": pl.Float64, "source": pl.String})
