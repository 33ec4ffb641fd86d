"""The history checks (missing_dates, lag, price_jump, iqr_jump, volume_spike, duplicates).

Each rule is a filter or a small aggregate over what the ordered pass over the daily files
kept (lib/qa/ordered_pass.py): gaps, jumps, volume z-scores, moves, the last session per symbol.

Moves are measured in log terms, so a rise x4 and a fall to a quarter are the same 300 %
move: a 4:1 split and a 1:10 reverse split are both caught. A move is *explained* when the
split-adjusted move (close x split ratio / previous close) is within split_tolerance of 1.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from stock_assets.lib import calendar, futures
from stock_assets.lib.qa.ordered_pass import DailyPass, concat_parts
from stock_assets.lib.validation import Outcome

EVER = dt.date(1900, 1, 1)
FAILURE_SCHEMA = {"date": pl.Date, "symbol": pl.String, "value": pl.Float64, "details": pl.String}
_EMPTY = pl.DataFrame(schema=FAILURE_SCHEMA)


class HistoryChecks(DailyPass):
    """The history rules, each read from what the ordered pass kept (lib/qa/ordered_pass.py)."""

    # -- checks ------------------------------------------------------------------------
    def duplicates(self) -> Outcome:
        self._run()
        if not self._dups:
            return Outcome(True, _EMPTY, {"duplicate_keys": 0, "duplicate_rows": 0})
        bad = pl.concat(self._dups).select(
            "date", "symbol", value=pl.col("len").cast(pl.Float64),
            details=pl.format("{} rows for one (date, symbol)", pl.col("len"))).sort("date", "symbol")
        return Outcome(False, bad, {"duplicate_keys": bad.height, "duplicate_rows": int(bad["value"].sum())})

    def present_per_session(self, name: str = calendar.EXCHANGE) -> pl.DataFrame:
        """(date, present): distinct expected symbols of calendar `name` with a row, per its session of the range."""
        self._run()
        k = self.calendar_names.index(name) if name in self.calendar_names else None  # None: no row of it seen
        got = {d: int(per[k]) for d, per in self._present if k is not None and k < len(per)}
        days = calendar.sessions_between(self.start, self.end, name)
        return pl.DataFrame({"date": days, "present": [got.get(d, 0) for d in days]},
                            schema={"date": pl.Date, "present": pl.Int64})

    def missing_dates(self) -> Outcome:
        scope = (self.scan_start, self.end)
        self._run()
        weekdays = calendar.all_weekdays()
        rows = []
        for codes, prev, i in self._gaps:
            for k, p in zip(codes.tolist(), prev.tolist()):
                own = self.counts[self._state["cal"][k]]
                n = int(own[i - 1] - own[p])
                for j in range(p + 1, i):
                    if own[j] > own[j - 1] and scope[0] <= weekdays[j] <= scope[1]:
                        rows.append((weekdays[j], self.names[k], float(n),
                                     f"no row between {weekdays[p]} and {weekdays[i]} ({n} sessions of "
                                     f"{self.calendar_names[self._state['cal'][k]]})"))
        # a symbol whose market cannot be told: its gaps cannot be judged, which is itself a finding
        rows += [(self.end, symbol, None, f"{why}; its sessions cannot be told, so its gaps are not judged")
                 for symbol, why in sorted(self.unknown_market.items())]
        bad = pl.DataFrame(rows, schema=FAILURE_SCHEMA, orient="row").sort("symbol", "date")
        return Outcome(bad.height == 0, bad, {"missing_sessions": bad.height - len(self.unknown_market),
                                              "symbols": bad["symbol"].n_unique(),
                                              "market_unknown": len(self.unknown_market),
                                              "window_start": str(scope[0])}, scope=scope)

    def lag(self, expected: list[str] | None) -> Outcome:
        scope = (EVER, self.end)
        self._run()
        last_idx, as_of = self.lag_state
        if as_of is None:
            return Outcome(True, _EMPTY, {"lagging_symbols": 0}, "no sessions or rows in the window", scope=scope)
        day, i = as_of
        sessions = calendar.all_weekdays()
        n = len(self.names)
        # sessions of each symbol's own market after its latest row, up to the as-of day
        cal = self._state["cal"][:n]
        behind = self.counts[cal, i] - self.counts[cal, np.maximum(last_idx[:n], 0)]
        seen = last_idx[:n] >= 0
        wanted = np.array([s in self.expected for s in self.names], dtype=bool) if expected is not None else seen
        lagging = np.nonzero(seen & wanted & (behind > self.t.max_lag_sessions))[0]
        bad = pl.DataFrame({
            "date": [sessions[last_idx[k]] for k in lagging], "symbol": [self.names[k] for k in lagging],
            "value": [float(behind[k]) for k in lagging],
            "details": [f"latest row {sessions[last_idx[k]]}, {behind[k]} sessions behind {day}" for k in lagging],
        }, schema=FAILURE_SCHEMA).sort(["value", "symbol"], descending=[True, False])
        universe = len(set(expected)) if expected is not None else int(seen.sum())
        # universe_symbols: the base of the alert policy "lag over 5 % of the universe" (lib/alerting.py)
        return Outcome(bad.height == 0, bad, {"lagging_symbols": bad.height, "universe_symbols": universe,
                                              "as_of": str(day)},
                       threshold=float(self.t.max_lag_sessions), scope=scope)

    def price_jump(self) -> Outcome:
        self._run()
        numbers = {"explained_by_splits": self.explained, "max_move": self.t.max_move}
        if not self._jumps:
            return Outcome(True, _EMPTY, {"jumps": 0, **numbers}, threshold=self.t.max_move)
        j = self._symbols(concat_parts(self._jumps, ["idx", "code", "move", "prev_close", "close", "split"]))
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
        code, idx, mv = (np.concatenate([x[k] for x in self._moves]) for k in range(3))
        self._moves = [(code, idx, mv)]  # one copy, not two
        m = pl.DataFrame({"code": code, "mv": mv})
        q = m.group_by("code").agg(q1=pl.col("mv").quantile(0.25, "linear"), q3=pl.col("mv").quantile(0.75, "linear"),
                                   n=pl.len())
        del m
        # Per-symbol limit looked up by code (numpy gather): no 22 M-row join or copy.
        limit = np.full(len(self.names), np.inf, dtype=np.float64)
        qc = q["code"].to_numpy()
        limit[qc] = np.where(q["n"].to_numpy() >= min_n,
                             q["q3"].to_numpy() + k * (q["q3"].to_numpy() - q["q1"].to_numpy()), np.inf)
        lo, hi = (calendar.weekday_index(d) for d in self._range_sessions())
        mask = (idx >= lo) & (idx <= hi) & (mv > limit[code])
        flagged = (pl.DataFrame({"code": code[mask], "idx": idx[mask], "mv": mv[mask]}).join(q, on="code")
                   .with_columns(limit=pl.col("q3") + k * (pl.col("q3") - pl.col("q1"))))
        flagged = self._symbols(flagged)
        bad = flagged.select(
            "date", "symbol", value=pl.col("mv").cast(pl.Float64).exp() - 1,
            details=pl.format("move {} % > Q3 + {} x IQR = {} % over {} moves",
                              ((pl.col("mv").cast(pl.Float64).exp() - 1) * 100).round(2), pl.lit(k),
                              ((pl.col("limit").cast(pl.Float64).exp() - 1) * 100).round(2), pl.col("n")),
        ).sort("date", "symbol")
        bad, rolls = _without_rolls(bad)
        return Outcome(bad.height == 0, bad, {"unusual_moves": bad.height, "iqr_multiplier": k, "explained_by_rolls": rolls,
                                              "symbols_with_history": int((q["n"] >= min_n).sum())}, threshold=k)

    def volume_spike(self) -> Outcome:
        self._run()
        if not self._spikes:
            return Outcome(True, _EMPTY, {"spikes": 0, "z_limit": self.t.volume_z}, threshold=self.t.volume_z)
        s = self._symbols(concat_parts(self._spikes, ["idx", "code", "z", "volume", "mean"]))
        bad = s.select("date", "symbol", value=pl.col("z"),
                       details=pl.format("volume {} vs mean {} of the previous {} sessions",
                                         pl.col("volume").cast(pl.Int64), pl.col("mean").round(0).cast(pl.Int64),
                                         pl.lit(self.t.volume_window))).sort("date", "symbol")
        bad, rolls = _without_rolls(bad)
        return Outcome(bad.height == 0, bad, {"spikes": bad.height, "z_limit": self.t.volume_z,
                                              "explained_by_rolls": rolls}, threshold=self.t.volume_z)

    def _range_sessions(self) -> tuple[dt.date, dt.date]:
        days = [d for d in self.files if self.start <= d <= self.end]
        return (days[0], days[-1]) if days else (self.start, self.start)


def _without_rolls(bad: pl.DataFrame) -> tuple[pl.DataFrame, int]:
    """Findings less those on a continuous future's front-month roll (lib/futures.py): explained."""
    if not bad.height:
        return bad, 0
    roll = pl.Series([futures.in_roll_window(s, d) for s, d in bad.select("symbol", "date").iter_rows()], dtype=pl.Boolean)
    return bad.filter(~roll), int(roll.sum())
