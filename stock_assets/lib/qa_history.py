"""The history checks (missing_dates, lag, price_jump, iqr_jump, volume_spike) in DuckDB.

Why one `steps` table: every history check needs each row next to the symbol's previous
row (previous session index, previous close, the split between them, the rolling volume
before it). One window pass over the look-back + range computes all of that, sorted once;
each check is then a filter or a small aggregate over it.

Moves are measured in log terms, so a rise x4 and a fall to a quarter are the same 300 %
move: a 4:1 split and a 1:10 reverse split are both caught. A move is *explained* when the
split-adjusted move (close x split ratio / previous close) is back under the threshold.
"""

from __future__ import annotations

import datetime as dt
import math

import duckdb
import polars as pl

from stock_assets.lib import calendar
from stock_assets.lib.qa_catalog import Thresholds
from stock_assets.lib.validation import Outcome

EVER = dt.date(1900, 1, 1)
_EMPTY = pl.DataFrame(schema={"date": pl.Date, "symbol": pl.String, "value": pl.Float64, "details": pl.String})


class HistoryChecks:
    """History rules over the `hist`, `sessions` and `splits` relations of a LakeQa session."""

    def __init__(self, conn: duckdb.DuckDBPyConnection, t: Thresholds, start: dt.date, end: dt.date,
                 scan_start: dt.date, has_rows: bool):
        self.conn, self.t, self.start, self.end, self.scan_start = conn, t, start, end, scan_start
        self.has_rows = has_rows
        self._built = False

    def _pl(self, sql: str, params: list | None = None) -> pl.DataFrame:
        return self.conn.execute(sql, params or []).pl()

    def _steps(self) -> None:
        """Materialise each row beside the symbol's previous row (one sort for every check)."""
        if self._built:
            return
        n = int(self.t.volume_window)
        self.conn.execute(f"""
            CREATE OR REPLACE TEMP TABLE steps AS
            WITH b AS (
                SELECT h.date, h.symbol, h.close, h.volume, s.idx
                FROM hist h JOIN sessions s ON s.date = h.date
                WHERE h.symbol IS NOT NULL
            ), w AS (
                SELECT date, symbol, close, volume, idx,
                       lag(date) OVER win AS prev_date,
                       lag(close) OVER win AS prev_close,
                       lag(idx) OVER win AS prev_idx,
                       avg(volume) OVER vol AS vol_mean,
                       stddev_samp(volume) OVER vol AS vol_std,
                       count(volume) OVER vol AS vol_n
                FROM b
                WINDOW win AS (PARTITION BY symbol ORDER BY date),
                       vol AS (PARTITION BY symbol ORDER BY date ROWS BETWEEN {n} PRECEDING AND 1 PRECEDING)
            )
            SELECT w.*, coalesce(sp.value, 1.0) AS split,
                   abs(ln(CASE WHEN close > 0 AND prev_close > 0 THEN close / prev_close END)) AS raw_move,
                   abs(ln(CASE WHEN close > 0 AND prev_close > 0 THEN close * coalesce(sp.value, 1.0) / prev_close END))
                       AS adj_move
            FROM w LEFT JOIN splits sp
              ON sp.symbol = w.symbol AND sp.ex_date > w.prev_date AND sp.ex_date <= w.date
        """)
        self._built = True

    # -- checks ------------------------------------------------------------------------
    def duplicates(self) -> Outcome:
        """Keys seen twice: in the sorted steps a duplicate sits right after its twin."""
        if not self.has_rows:
            return Outcome(True, _EMPTY, {"duplicate_keys": 0, "duplicate_rows": 0})
        self._steps()
        bad = self._pl("""
            SELECT date, symbol, (count(*) + 1)::DOUBLE AS value, (count(*) + 1) || ' rows for one (date, symbol)' AS details
            FROM steps WHERE date BETWEEN ? AND ? AND prev_date = date
            GROUP BY date, symbol ORDER BY date, symbol""", [self.start, self.end])
        rows = int(bad["value"].sum()) if bad.height else 0
        return Outcome(bad.height == 0, bad, {"duplicate_keys": bad.height, "duplicate_rows": rows})

    def present_per_session(self) -> pl.DataFrame:
        """(date, present): distinct expected symbols with a row, per session of the range."""
        self._steps()
        return self._pl("""
            SELECT s.date, count(t.symbol) AS present
            FROM sessions s LEFT JOIN (
                SELECT date, symbol FROM steps SEMI JOIN expected USING (symbol)
                WHERE prev_date IS DISTINCT FROM date) t ON t.date = s.date
            WHERE s.date BETWEEN ? AND ? GROUP BY s.date ORDER BY s.date""", [self.start, self.end])

    def missing_dates(self) -> Outcome:
        scope = (self.scan_start, self.end)
        if not self.has_rows:
            return Outcome(True, _EMPTY, {"missing_sessions": 0}, "no rows in the window", scope=scope)
        self._steps()
        bad = self._pl("""
            SELECT s.date, g.symbol, (g.idx - g.prev_idx - 1)::DOUBLE AS value,
                   format('no row between {} and {} ({} sessions)', g.prev_date, g.date, g.idx - g.prev_idx - 1) AS details
            FROM (SELECT * FROM steps WHERE idx - prev_idx > 1) g
            JOIN sessions s ON s.idx > g.prev_idx AND s.idx < g.idx
            WHERE s.date BETWEEN ? AND ?
            ORDER BY g.symbol, s.date""", list(scope))
        symbols = bad["symbol"].n_unique() if bad.height else 0
        return Outcome(bad.height == 0, bad, {"missing_sessions": bad.height, "symbols": symbols,
                                              "window_start": str(scope[0])}, scope=scope)

    def lag(self, expected: list[str] | None) -> Outcome:
        scope = (EVER, self.end)
        sessions = calendar.sessions_between(self.scan_start, self.end)
        if not self.has_rows or not sessions:
            return Outcome(True, _EMPTY, {"lagging_symbols": 0}, "no sessions or rows in the window", scope=scope)
        self._steps()
        as_of = sessions[-1]
        only_expected = "AND symbol IN (SELECT symbol FROM expected)" if expected is not None else ""
        bad = self._pl(f"""
            SELECT l.last_date AS date, l.symbol, (a.idx - s.idx)::DOUBLE AS value,
                   format('latest row {{}}, {{}} sessions behind {{}}', l.last_date, a.idx - s.idx, ?) AS details
            FROM (SELECT symbol, max(date) AS last_date FROM steps WHERE date <= ? {only_expected} GROUP BY symbol) l
            JOIN sessions s ON s.date = l.last_date
            CROSS JOIN (SELECT idx FROM sessions WHERE date = ?) a
            WHERE a.idx - s.idx > ?
            ORDER BY value DESC, l.symbol""", [as_of, as_of, as_of, self.t.max_lag_sessions])
        return Outcome(bad.height == 0, bad, {"lagging_symbols": bad.height, "as_of": str(as_of)},
                       threshold=float(self.t.max_lag_sessions), scope=scope)

    def price_jump(self) -> Outcome:
        limit = math.log1p(self.t.max_move)
        if not self.has_rows:
            return Outcome(True, _EMPTY, {"jumps": 0}, threshold=self.t.max_move)
        self._steps()
        bad = self._pl("""
            SELECT date, symbol, exp(adj_move) - 1 AS value,
                   format('close {} -> {} ({}); split known: {}', prev_close, close, prev_date,
                          CASE WHEN split = 1.0 THEN 'none' ELSE split::VARCHAR END) AS details,
                   prev_close, close, split
            FROM steps
            WHERE date BETWEEN ? AND ? AND raw_move > ? AND adj_move > ?
            ORDER BY date, symbol""", [self.start, self.end, limit, limit])
        explained = self.conn.execute(
            "SELECT count(*) FROM steps WHERE date BETWEEN ? AND ? AND raw_move > ? AND adj_move <= ?",
            [self.start, self.end, limit, limit]).fetchone()[0]
        return Outcome(bad.height == 0, bad, {"jumps": bad.height, "explained_by_splits": int(explained),
                                              "max_move": self.t.max_move}, threshold=self.t.max_move)

    def iqr_jump(self) -> Outcome:
        if not self.has_rows:
            return Outcome(True, _EMPTY, {"unusual_moves": 0})
        self._steps()
        k, min_n = self.t.iqr_multiplier, self.t.iqr_min_history
        bad = self._pl("""
            WITH m AS (SELECT date, symbol, least(raw_move, adj_move) AS mv FROM steps WHERE prev_close IS NOT NULL),
            q AS (SELECT symbol, quantile_cont(mv, 0.25) AS q1, quantile_cont(mv, 0.75) AS q3, count(*) AS n
                  FROM m GROUP BY symbol)
            SELECT m.date, m.symbol, exp(m.mv) - 1 AS value,
                   format('move {}% > Q3 + {} x IQR = {}% over {} moves', round((exp(m.mv) - 1) * 100, 2), ?,
                          round((exp(q.q3 + ? * (q.q3 - q.q1)) - 1) * 100, 2), q.n) AS details
            FROM m JOIN q USING (symbol)
            WHERE m.date BETWEEN ? AND ? AND q.n >= ? AND m.mv > q.q3 + ? * (q.q3 - q.q1)
            ORDER BY m.date, m.symbol""", [k, k, self.start, self.end, min_n, k])
        return Outcome(bad.height == 0, bad, {"unusual_moves": bad.height, "iqr_multiplier": k},
                       threshold=k)

    def volume_spike(self) -> Outcome:
        if not self.has_rows:
            return Outcome(True, _EMPTY, {"spikes": 0})
        self._steps()
        bad = self._pl("""
            SELECT date, symbol, (volume - vol_mean) / vol_std AS value,
                   format('volume {} vs mean {} of the previous {} sessions', volume, round(vol_mean), vol_n) AS details
            FROM steps
            WHERE date BETWEEN ? AND ? AND vol_n >= ? AND vol_std > 0 AND (volume - vol_mean) / vol_std > ?
            ORDER BY date, symbol""", [self.start, self.end, self.t.volume_window, self.t.volume_z])
        return Outcome(bad.height == 0, bad, {"spikes": bad.height, "z_limit": self.t.volume_z},
                       threshold=self.t.volume_z)
