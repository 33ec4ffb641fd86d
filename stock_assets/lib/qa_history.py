"""The history checks (missing_dates, lag, price_jump, iqr_jump, volume_spike, duplicates).

Why a pass over the days in order instead of a SQL window: the lake holds one file per
session, so the rows are already ordered by date. Walking the files once, oldest first, with
a small state per symbol (index of its last session, last close, a ring of its last N
volumes) gives every row its previous row without sorting 22 M rows. Each day is one
vectorised step over ~9k rows (numpy), so memory stays flat (only the moves kept for the
IQR statistics grow: 12 bytes a row) and ten years take seconds.

Moves are measured in log terms, so a rise x4 and a fall to a quarter are the same 300 %
move: a 4:1 split and a 1:10 reverse split are both caught. A move is *explained* when the
split-adjusted move (close x split ratio / previous close) is back under the threshold.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import numpy as np
import polars as pl

from stock_assets.lib import calendar
from stock_assets.lib.qa_catalog import Thresholds
from stock_assets.lib.validation import Outcome

EVER = dt.date(1900, 1, 1)
FAILURE_SCHEMA = {"date": pl.Date, "symbol": pl.String, "value": pl.Float64, "details": pl.String}
_EMPTY = pl.DataFrame(schema=FAILURE_SCHEMA)
BATCH = 32  # files read per call: fewer, larger reads; ~300k rows in memory at a time
_STATE = ("last_idx", "last_close", "vol_buf", "vol_n", "is_expected")


def _frame(parts: list[tuple], names: list[str]) -> pl.DataFrame:
    return pl.DataFrame({n: np.concatenate([p[k] for p in parts]) for k, n in enumerate(names)})


def _epoch(day: dt.date) -> int:
    return (day - dt.date(1970, 1, 1)).days


class HistoryChecks:
    """One ordered pass over the scan window's files; each check reads what the pass kept."""

    def __init__(self, files: dict[dt.date, Path], t: Thresholds, start: dt.date, end: dt.date,
                 scan_start: dt.date, splits: pl.DataFrame, expected: list[str] | None):
        self.files = {d: p for d, p in sorted(files.items()) if calendar.is_session(d)}
        self.t, self.start, self.end, self.scan_start = t, start, end, scan_start
        self.splits = splits
        self.expected = set(expected) if expected is not None else None
        self.has_rows = bool(self.files)
        self._done = False

    # -- the pass ------------------------------------------------------------------------
    def _run(self) -> None:
        if self._done:
            return
        self._done = True
        t = self.t
        limit = math.log1p(t.max_move)
        w = int(t.volume_window)
        self.names: list[str] = []
        self._codes = pl.DataFrame(schema={"symbol": pl.String, "code": pl.Int64})
        self._state = {}
        self._grow(16384)
        split_idx, split_val = self._split_arrays()
        gaps, jumps, spikes, dups, present, moves = [], [], [], [], [], []
        self.explained = 0
        self.lag_state = None
        end_session = None
        for day, c, close, vol in self._days(dups):
            if day > self.end and self.lag_state is None:
                self.lag_state = (self._state["last_idx"].copy(), end_session)
            i = calendar.session_index(day)
            if day <= self.end:
                end_session = (day, i)
            in_range = self.start <= day <= self.end
            last_idx, last_close, vol_buf, vol_n, is_expected = (self._state[k] for k in _STATE)
            if in_range:
                present.append((day, int(is_expected[c].sum()) if self.expected is not None else len(c)))
            prev_i, prev_close = last_idx[c], last_close[c]
            has_prev = prev_i >= 0
            gap = has_prev & (i - prev_i > 1)
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
            moves.append((c[ok].astype(np.int32), np.full(int(ok.sum()), i, dtype=np.int32), mv[ok].astype(np.float32)))
            if in_range:
                big = ok & (raw > limit)
                self.explained += int((big & (adj <= limit)).sum())
                bad = big & (adj > limit)
                if bad.any():
                    jumps.append((np.full(int(bad.sum()), i), c[bad], adj[bad], prev_close[bad], close[bad],
                                  factor[bad]))
                full = vol_n[c] >= w
                if full.any():
                    window = vol_buf[c[full]]
                    mean, std = window.mean(axis=1), window.std(axis=1, ddof=1)
                    with np.errstate(divide="ignore", invalid="ignore"):
                        z = np.where(std > 0, (vol[full] - mean) / std, 0.0)
                    spike = z > t.volume_z
                    if spike.any():
                        spikes.append((np.full(int(spike.sum()), i), c[full][spike], z[spike],
                                       vol[full][spike], mean[spike]))
            vol_buf[c, vol_n[c] % w] = vol
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
            frame = (pl.read_parquet([p for _, p in part], columns=["date", "symbol", "close", "volume"])
                     .filter(pl.col("symbol").is_not_null() & pl.col("date").is_not_null()))
            twice = frame.filter(pl.struct("date", "symbol").is_duplicated()
                                 & pl.col("date").is_between(self.start, self.end))
            if twice.height:
                dups.append(twice.group_by("date", "symbol").len())
                frame = frame.unique(["date", "symbol"], keep="first", maintain_order=True)
            codes = self._code(frame["symbol"])
            close = frame["close"].cast(pl.Float64).to_numpy()
            vol = frame["volume"].cast(pl.Float64).to_numpy()
            dates = frame["date"].to_physical().to_numpy()
            for day, _ in part:
                lo, hi = np.searchsorted(dates, _epoch(day), "left"), np.searchsorted(dates, _epoch(day), "right")
                yield day, codes[lo:hi], close[lo:hi], vol[lo:hi]

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

    def _grow(self, cap: int) -> None:
        w = int(self.t.volume_window)
        fresh = {"last_idx": np.full(cap, -1, dtype=np.int64), "last_close": np.full(cap, np.nan),
                 "vol_buf": np.zeros((cap, w)), "vol_n": np.zeros(cap, dtype=np.int64),
                 "is_expected": np.zeros(cap, dtype=bool)}
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
        idx = np.full((len(self.names), width), -1, dtype=np.int64)
        val = np.ones((len(self.names), width))
        for sym, dates, values in per.iter_rows():
            for k, (d, v) in enumerate(zip(dates, values)):
                nxt = calendar.sessions_between(d, d + dt.timedelta(days=10))
                idx[codes[sym], k] = calendar.session_index(nxt[0]) if nxt else -1
                val[codes[sym], k] = v
        return idx, val

    def _symbols(self, frame: pl.DataFrame) -> pl.DataFrame:
        """Add `symbol` from `code` (and `date` from a session `idx`, when there is one)."""
        names = pl.Series("symbol", self.names, dtype=pl.String)
        if "idx" in frame.columns and "date" not in frame.columns:
            frame = frame.with_columns(date=pl.Series(calendar.all_sessions(), dtype=pl.Date).gather(frame["idx"]))
        return frame.with_columns(symbol=names.gather(frame["code"]) if frame.height else pl.lit(None, pl.String))

    # -- checks ------------------------------------------------------------------------
    def duplicates(self) -> Outcome:
        self._run()
        if not self._dups:
            return Outcome(True, _EMPTY, {"duplicate_keys": 0, "duplicate_rows": 0})
        bad = pl.concat(self._dups).select(
            "date", "symbol", value=pl.col("len").cast(pl.Float64),
            details=pl.format("{} rows for one (date, symbol)", pl.col("len"))).sort("date", "symbol")
        return Outcome(False, bad, {"duplicate_keys": bad.height, "duplicate_rows": int(bad["value"].sum())})

    def present_per_session(self) -> pl.DataFrame:
        """(date, present): distinct expected symbols with a row, per session of the range."""
        self._run()
        got = dict(self._present)
        days = calendar.sessions_between(self.start, self.end)
        return pl.DataFrame({"date": days, "present": [got.get(d, 0) for d in days]},
                            schema={"date": pl.Date, "present": pl.Int64})

    def missing_dates(self) -> Outcome:
        scope = (self.scan_start, self.end)
        self._run()
        sessions = calendar.all_sessions()
        rows = []
        for codes, prev, i in self._gaps:
            for k, p in zip(codes.tolist(), prev.tolist()):
                for j in range(p + 1, i):
                    if scope[0] <= sessions[j] <= scope[1]:
                        rows.append((sessions[j], self.names[k], float(i - p - 1),
                                     f"no row between {sessions[p]} and {sessions[i]} ({i - p - 1} sessions)"))
        bad = pl.DataFrame(rows, schema=FAILURE_SCHEMA, orient="row").sort("symbol", "date")
        return Outcome(bad.height == 0, bad, {"missing_sessions": bad.height, "symbols": bad["symbol"].n_unique(),
                                              "window_start": str(scope[0])}, scope=scope)

    def lag(self, expected: list[str] | None) -> Outcome:
        scope = (EVER, self.end)
        self._run()
        last_idx, as_of = self.lag_state
        if as_of is None:
            return Outcome(True, _EMPTY, {"lagging_symbols": 0}, "no sessions or rows in the window", scope=scope)
        day, i = as_of
        sessions = calendar.all_sessions()
        n = len(self.names)
        behind = i - last_idx[:n]
        seen = last_idx[:n] >= 0
        wanted = np.array([s in self.expected for s in self.names], dtype=bool) if expected is not None else seen
        lagging = np.nonzero(seen & wanted & (behind > self.t.max_lag_sessions))[0]
        bad = pl.DataFrame({
            "date": [sessions[last_idx[k]] for k in lagging], "symbol": [self.names[k] for k in lagging],
            "value": [float(behind[k]) for k in lagging],
            "details": [f"latest row {sessions[last_idx[k]]}, {behind[k]} sessions behind {day}" for k in lagging],
        }, schema=FAILURE_SCHEMA).sort(["value", "symbol"], descending=[True, False])
        return Outcome(bad.height == 0, bad, {"lagging_symbols": bad.height, "as_of": str(day)},
                       threshold=float(self.t.max_lag_sessions), scope=scope)

    def price_jump(self) -> Outcome:
        self._run()
        numbers = {"explained_by_splits": self.explained, "max_move": self.t.max_move}
        if not self._jumps:
            return Outcome(True, _EMPTY, {"jumps": 0, **numbers}, threshold=self.t.max_move)
        j = self._symbols(_frame(self._jumps, ["idx", "code", "move", "prev_close", "close", "split"]))
        bad = j.select(
            "date", "symbol", value=pl.col("move").exp() - 1,
            details=pl.format("close {} -> {}; split known: {}", pl.col("prev_close"), pl.col("close"),
                              pl.when(pl.col("split") == 1.0).then(pl.lit("none")).otherwise(pl.col("split").cast(pl.String))),
            prev_close=pl.col("prev_close"), close=pl.col("close"), split=pl.col("split"),
        ).sort("date", "symbol")
        return Outcome(False, bad, {"jumps": bad.height, **numbers}, threshold=self.t.max_move)

    def iqr_jump(self) -> Outcome:
        self._run()
        k, min_n = self.t.iqr_multiplier, self.t.iqr_min_history
        if not self._moves or not sum(len(m[0]) for m in self._moves):
            return Outcome(True, _EMPTY, {"unusual_moves": 0, "iqr_multiplier": k}, threshold=k)
        m = pl.DataFrame({name: np.concatenate([x[k] for x in self._moves])
                          for k, name in enumerate(("code", "idx", "mv"))})
        self._moves = [(m["code"].to_numpy(), m["idx"].to_numpy(), m["mv"].to_numpy())]  # one copy, not two
        q = m.group_by("code").agg(q1=pl.col("mv").quantile(0.25, "linear"), q3=pl.col("mv").quantile(0.75, "linear"),
                                   n=pl.len())
        lo, hi = (calendar.session_index(d) for d in self._range_sessions())
        flagged = (m.filter(pl.col("idx").is_between(lo, hi)).join(q, on="code")
                   .with_columns(limit=pl.col("q3") + k * (pl.col("q3") - pl.col("q1")))
                   .filter((pl.col("n") >= min_n) & (pl.col("mv") > pl.col("limit"))))
        flagged = self._symbols(flagged)
        bad = flagged.select(
            "date", "symbol", value=pl.col("mv").cast(pl.Float64).exp() - 1,
            details=pl.format("move {} % > Q3 + {} x IQR = {} % over {} moves",
                              ((pl.col("mv").cast(pl.Float64).exp() - 1) * 100).round(2), pl.lit(k),
                              ((pl.col("limit").cast(pl.Float64).exp() - 1) * 100).round(2), pl.col("n")),
        ).sort("date", "symbol")
        return Outcome(bad.height == 0, bad, {"unusual_moves": bad.height, "iqr_multiplier": k,
                                              "symbols_with_history": int((q["n"] >= min_n).sum())}, threshold=k)

    def volume_spike(self) -> Outcome:
        self._run()
        if not self._spikes:
            return Outcome(True, _EMPTY, {"spikes": 0, "z_limit": self.t.volume_z}, threshold=self.t.volume_z)
        s = self._symbols(_frame(self._spikes, ["idx", "code", "z", "volume", "mean"]))
        bad = s.select("date", "symbol", value=pl.col("z"),
                       details=pl.format("volume {} vs mean {} of the previous {} sessions",
                                         pl.col("volume").cast(pl.Int64), pl.col("mean").round(0).cast(pl.Int64),
                                         pl.lit(self.t.volume_window))).sort("date", "symbol")
        return Outcome(False, bad, {"spikes": bad.height, "z_limit": self.t.volume_z}, threshold=self.t.volume_z)

    def _range_sessions(self) -> tuple[dt.date, dt.date]:
        days = calendar.sessions_between(self.start, self.end)
        return (days[0], days[-1]) if days else (self.start, self.start)
