"""One ordered pass over the lake's daily files: each row beside its symbol's previous row.

Why a pass over the days in order instead of a SQL window: the lake holds one file per
session, so the rows are already ordered by date. Walking the files once, oldest first, with
a small state per symbol (index of its last session, last close, a ring of its last N
volumes) gives every row its previous row without sorting 22 M rows. Each day is one
vectorised numpy step over ~9k rows, files are read 32 at a time, and memory stays flat
(only the moves kept for the IQR statistics grow: 12 bytes a row). The row rules of
lib/validation.py run on the same batches, so the lake is read once for every check.

Markets (ADR 0019): rows are indexed by weekday (`calendar.weekday_index`, the partitions),
and each symbol is judged on its own calendar: a gap is a session *of its market* with no
row (`calendar.session_counts`), so a UK bank holiday is never a London gap and US
Thanksgiving never a US one.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import numpy as np
import polars as pl

from stock_assets.lib import calendar, markets, unit_error, validation
from stock_assets.lib.qa.catalog import Thresholds

ROW_COLUMNS = ["date", "symbol", "open", "high", "low", "close", "volume", "provider"]
BATCH = 32  # files read per call: fewer, larger reads; ~300k rows in memory at a time  # no mutate: speed only
NO_CALENDAR = "(market unknown)"  # the counts row of a symbol whose market cannot be told: no sessions
_STATE = ("last_idx", "last_close", "vol_buf", "vol_n", "is_expected", "vol_sum", "vol_sq")


def concat_parts(parts: list[tuple], names: list[str]) -> pl.DataFrame:
    return pl.DataFrame({n: np.concatenate([p[k] for p in parts]) for k, n in enumerate(names)})


def _epoch(day: dt.date) -> int:
    return (day - dt.date(1970, 1, 1)).days


class DailyPass:
    """One ordered pass over the scan window's files, oldest first; keeps what the checks read."""

    def __init__(self, files: dict[dt.date, Path], t: Thresholds, start: dt.date, end: dt.date,
                 scan_start: dt.date, splits: pl.DataFrame, expected: list[str] | None,
                 calendars: dict[str, str] | None = None):
        self.files = {d: p for d, p in sorted(files.items()) if d.weekday() < 5}
        self.calendar_of = dict(calendars or {})  # symbol -> calendar; else read from the symbol
        self.calendar_names = list(calendar.CALENDARS)  # grows by any other calendar a symbol follows
        self.unknown_market: dict[str, str] = {}  # symbol -> why its market cannot be told
        # one row per calendar, filled when a symbol of it first appears (a calendar costs ~0.3 s to load)
        self.counts = np.zeros((len(self.calendar_names), len(calendar.all_weekdays())), dtype=np.int64)
        self._loaded: set[int] = set()
        self.t, self.start, self.end, self.scan_start = t, start, end, scan_start
        self.splits = splits
        self.expected = set(expected) if expected is not None else None
        self.has_rows = bool(self.files)
        self.row_offenders: dict[str, list[pl.DataFrame]] = {}
        self._done = False

    # -- the pass ------------------------------------------------------------------------
    def _run(self) -> None:
        if self._done:
            return
        self._done = True
        t = self.t
        limit = math.log1p(t.max_move)
        # A split explains a jump only when the move matches 1/ratio: the split-adjusted move
        # must be within split_tolerance, not merely under max_move (a bad print on a split day fails).
        split_limit = math.log1p(t.split_tolerance)
        w = int(t.volume_window)
        self.names: list[str] = []
        self._codes = pl.DataFrame(schema={"symbol": pl.String, "code": pl.Int64})
        self._state = {}
        self._grow(16384)
        split_idx, split_val = self._split_arrays()
        gaps, jumps, spikes, dups, present, moves = [], [], [], [], [], []
        self.explained = 0
        self.unit_candidates: set[int] = set()
        self.lag_state = None
        end_session = None
        for day, c, close, vol in self._days(dups):
            if day > self.end and self.lag_state is None:
                self.lag_state = (self._state["last_idx"].copy(), end_session)
            i = calendar.weekday_index(day)
            if day <= self.end:
                end_session = (day, i)
            in_range = self.start <= day <= self.end
            last_idx, last_close, vol_buf, vol_n, is_expected, vol_sum, vol_sq = (self._state[k] for k in _STATE)
            cal = self._state["cal"][c]
            if in_range:
                counted = is_expected[c] if self.expected is not None else np.ones(len(c), dtype=bool)
                present.append((day, np.bincount(cal[counted], minlength=len(self.calendar_names))))
            prev_i, prev_close = last_idx[c], last_close[c]
            has_prev = prev_i >= 0
            # sessions of the symbol's own market strictly between its previous row and this one
            own_between = self.counts[cal, i - 1] - self.counts[cal, np.maximum(prev_i, 0)]
            gap = has_prev & (own_between > 0)
            if gap.any():
                gaps.append((c[gap], prev_i[gap], i))
            with np.errstate(divide="ignore", invalid="ignore"):
                ok = has_prev & (close > 0) & (prev_close > 0)
                factor = np.ones(len(c))
                if split_idx.size:
                    sc = np.minimum(c, split_idx.shape[0] - 1)
                    known = c < split_idx.shape[0]
                    for k in range(split_idx.shape[1]):
                        at = split_idx[sc, k]
                        hit = known & (at > prev_i) & (at <= i)
                        factor = np.where(hit, factor * split_val[sc, k], factor)
                raw = np.where(ok, np.abs(np.log(close / prev_close)), np.nan)
                adj = np.where(ok, np.abs(np.log(close * factor / prev_close)), np.nan)
            mv = np.fmin(raw, adj)
            flip = ok & (np.abs(raw / math.log(10) - 2) < unit_error.STEP_TOLERANCE)  # a 100x step: unit_switch
            if flip.any():
                self.unit_candidates.update(c[flip].tolist())
            moves.append((c[ok].astype(np.int32), np.full(int(ok.sum()), i, dtype=np.int32), mv[ok].astype(np.float32)))
            if in_range:
                big = ok & (raw > limit)
                matched = big & (factor != 1.0) & (adj <= split_limit)
                self.explained += int(matched.sum())
                bad = big & ~matched
                if bad.any():
                    jumps.append((np.full(int(bad.sum()), i), c[bad], adj[bad], prev_close[bad], close[bad],
                                  factor[bad]))
                full = vol_n[c] >= w
                if full.any():
                    # Running sums of the last w volumes (ring buffer): O(1) per row, not O(w).
                    s1, s2 = vol_sum[c[full]], vol_sq[c[full]]
                    mean = s1 / w
                    std = np.sqrt(np.maximum(s2 - s1 * s1 / w, 0.0) / (w - 1))
                    with np.errstate(divide="ignore", invalid="ignore"):
                        z = np.where(std > mean * 1e-9, (vol[full] - mean) / std, 0.0)
                    spike = z > t.volume_z
                    if spike.any():
                        spikes.append((np.full(int(spike.sum()), i), c[full][spike], z[spike],
                                       vol[full][spike], mean[spike]))
            slot = vol_n[c] % w
            leaving = np.where(vol_n[c] >= w, vol_buf[c, slot], 0.0)
            vol_sum[c] += vol - leaving
            vol_sq[c] += vol * vol - leaving * leaving
            vol_buf[c, slot] = vol
            vol_n[c] += 1
            last_idx[c], last_close[c] = i, close
        if self.lag_state is None:
            self.lag_state = (self._state["last_idx"].copy(), end_session)
        self._gaps, self._jumps, self._spikes, self._dups = gaps, jumps, spikes, dups
        self._present, self._moves = present, moves

    def _days(self, dups: list):
        """(day, codes, close, volume) per session file, oldest first, read BATCH files at a time.

        Rows without a symbol are left to null_fields; a (date, symbol) seen twice is recorded
        in `dups` (inside the range) and kept once.
        """
        items = list(self.files.items())
        for at in range(0, len(items), BATCH):
            part = items[at:at + BATCH]
            frame = pl.read_parquet([p for _, p in part], columns=ROW_COLUMNS, glob=False)  # paths, not patterns
            self._row_rules(validation.suspect(frame).filter(pl.col("date").is_between(self.start, self.end)
                                                             | pl.col("date").is_null()))
            if frame["symbol"].null_count() or frame["date"].null_count():
                frame = frame.filter(pl.col("symbol").is_not_null() & pl.col("date").is_not_null())
            codes = self._code(frame["symbol"])
            close = frame["close"].cast(pl.Float64).to_numpy()
            vol = frame["volume"].cast(pl.Float64).fill_null(0.0).to_numpy()
            dates = frame["date"].to_physical().to_numpy()
            epochs = np.array([_epoch(day) for day, _ in part])
            los, his = np.searchsorted(dates, epochs, "left"), np.searchsorted(dates, epochs, "right")
            for (day, _), lo, hi in zip(part, los, his):
                c, cl, v = codes[lo:hi], close[lo:hi], vol[lo:hi]
                counts = np.bincount(c) if c.size else c
                if c.size and counts.max() > 1:  # a (date, symbol) twice: record, keep the first
                    if self.start <= day <= self.end:
                        twice = np.nonzero(counts > 1)[0]
                        dups.append(pl.DataFrame({"date": [day] * len(twice),
                                                  "symbol": [self.names[k] for k in twice],
                                                  "len": counts[twice].astype(np.int64)}))
                    first = np.sort(np.unique(c, return_index=True)[1])
                    c, cl, v = c[first], cl[first], v[first]
                yield day, c, cl, v

    def _row_rules(self, frame: pl.DataFrame) -> None:
        """The row rules of lib/validation.py on the batch's rows inside the range (same code
        as the price asset's quarantine); only offending rows are kept."""
        for name, rule in (("null_fields", validation.null_fields), ("ohlc_consistency", validation.ohlc_consistency),
                           ("zero_volume", validation.zero_volume)):
            bad = rule(frame).offending
            if bad.height:
                self.row_offenders.setdefault(name, []).append(bad)

    def offending_rows(self, name: str) -> pl.DataFrame:
        """Rows of the range that break row rule `name` (null_fields, ohlc_consistency, zero_volume)."""
        self._run()
        parts = self.row_offenders.get(name)
        return pl.concat(parts).sort("date", "symbol", nulls_last=True) if parts else pl.DataFrame(
            schema={c: pl.Float64 if c in ("open", "high", "low", "close") else
                    pl.Int64 if c == "volume" else pl.Date if c == "date" else pl.String for c in ROW_COLUMNS})

    def _code(self, symbols: pl.Series) -> np.ndarray:
        """Each symbol's integer code (state row); new symbols get the next codes."""
        coded = symbols.to_frame("symbol").join(self._codes, on="symbol", how="left", maintain_order="left")
        if coded["code"].null_count():
            self._assign(coded.filter(pl.col("code").is_null())["symbol"].unique(maintain_order=True).to_list())
            coded = symbols.to_frame("symbol").join(self._codes, on="symbol", how="left", maintain_order="left")
        return coded["code"].to_numpy()

    def _assign(self, new: list[str]) -> None:
        first = len(self.names)
        self.names.extend(new)
        self._codes = pl.concat([self._codes, pl.DataFrame({"symbol": new, "code": range(first, first + len(new))},
                                                            schema={"symbol": pl.String, "code": pl.Int64})])
        if len(self.names) > len(self._state["last_idx"]):
            self._grow(max(2 * len(self._state["last_idx"]), len(self.names)))
        if self.expected is not None:
            self._state["is_expected"][first:len(self.names)] = [s in self.expected for s in new]
        self._state["cal"][first:len(self.names)] = [self.calendar_id(s) for s in new]

    def calendar_id(self, symbol: str) -> int:
        """Row of `self.counts` for the symbol's calendar (universe first, else its form).

        A calendar outside CALENDARS (Oslo's XOSL) gets its own row when first seen; a symbol
        whose market cannot be told gets the row without sessions (no gap or lag is judged on
        a calendar it may not follow) and is named in `unknown_market`: the missing_dates
        check records it.
        """
        try:
            name = markets.calendar_of(symbol, self.calendar_of.get(symbol))
        except markets.UnknownMarket as err:
            self.unknown_market[symbol] = err.reason
            name = NO_CALENDAR
        if name not in self.calendar_names:
            self.calendar_names.append(name)
            self.counts = np.vstack([self.counts, np.zeros((1, self.counts.shape[1]), dtype=np.int64)])
        k = self.calendar_names.index(name)
        if k not in self._loaded:
            if name != NO_CALENDAR:
                self.counts[k] = calendar.session_counts(name)
            self._loaded.add(k)  # no mutate: a cache of a pure function
        return k

    def _grow(self, cap: int) -> None:
        w = int(self.t.volume_window)
        fresh = {"last_idx": np.full(cap, -1, dtype=np.int64), "last_close": np.full(cap, np.nan),
                 "vol_buf": np.zeros((cap, w)), "vol_n": np.zeros(cap, dtype=np.int64),
                 "is_expected": np.zeros(cap, dtype=bool), "vol_sum": np.zeros(cap), "vol_sq": np.zeros(cap),
                 "cal": np.zeros(cap, dtype=np.int64)}
        for key, arr in self._state.items():
            fresh[key][:len(arr)] = arr
        self._state = fresh

    def _split_arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """(code, k) -> session index of the k-th split and its ratio; symbols coded up front."""
        if self.splits is None or self.splits.height == 0:
            return np.zeros((0, 1), dtype=np.int64), np.ones((0, 1))
        rows = self.splits.filter(pl.col("value") > 0).sort("symbol", "ex_date")
        self._code(rows["symbol"].unique(maintain_order=True))
        codes = dict(self._codes.iter_rows())
        per = rows.group_by("symbol", maintain_order=True).agg("ex_date", "value")
        width = max(len(v) for v in per["value"].to_list())
        idx = np.full((len(self.names), width), -1, dtype=np.int64)  # no mutate: any value <= -1 means "no split"
        val = np.ones((len(self.names), width))
        for sym, dates, values in per.iter_rows():
            for k, (d, v) in enumerate(zip(dates, values)):
                nxt = next((d + dt.timedelta(days=n) for n in range(3) if (d + dt.timedelta(days=n)).weekday() < 5))
                idx[codes[sym], k] = calendar.weekday_index(nxt) if nxt <= calendar.all_weekdays()[-1] else -1
                val[codes[sym], k] = v
        return idx, val

    def _symbols(self, frame: pl.DataFrame) -> pl.DataFrame:
        """Add `symbol` from `code` (and `date` from a session `idx`, when there is one)."""
        names = pl.Series("symbol", self.names, dtype=pl.String)
        if "idx" in frame.columns and "date" not in frame.columns:
            frame = frame.with_columns(date=pl.Series(calendar.all_weekdays(), dtype=pl.Date).gather(frame["idx"]))
        return frame.with_columns(symbol=names.gather(frame["code"]) if frame.height else pl.lit(None, pl.String))

