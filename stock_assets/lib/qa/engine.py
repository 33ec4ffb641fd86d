"""QA over the lake: every check of the catalogue, for a range of partitions.

Why this shape: the same code checks one day (~9k rows) at night and ten years (~22 M rows)
in a backfill. The row rules (lib/validation.py, the same code as the price asset's
quarantine) and the history rules run in one ordered pass over the daily files
(lib/qa/history.py: no sort of 22 M rows, flat memory); the schema comparison reads only
Parquet footers, and completeness is two small DuckDB queries. Python never loops over rows:
it loops over days, each a vectorised step.

The history checks read a look-back window of sessions before the range (and as many after
it, so that re-checking an old partition sees the rows that close a gap).
"""

from __future__ import annotations

import datetime as dt
import math
import tempfile
from pathlib import Path

import duckdb
import polars as pl

from stock_assets.lib import calendar, market_sessions, unit_error
from stock_assets.lib.qa.catalog import Thresholds
from stock_assets.lib.qa.history import HistoryChecks
from stock_assets.lib.schema import DAILY_OHLCV, REQUIRED_NOT_NULL, schema_differences
from stock_assets.lib.sql_text import glob_escape, literal
from stock_assets.lib.validation import Outcome

FAILURE_SCHEMA = {"date": pl.Date, "symbol": pl.String, "value": pl.Float64, "details": pl.String}


def failures(frame: pl.DataFrame) -> pl.DataFrame:
    """Offending rows in the shape of qa.failures (date, symbol, value, details) first."""
    extra = [c for c in frame.columns if c not in FAILURE_SCHEMA]
    cols = [pl.col(c).cast(t) if c in frame.columns else pl.lit(None, t).alias(c) for c, t in FAILURE_SCHEMA.items()]
    return frame.select(*cols, *extra)


class LakeQa:
    """One in-memory DuckDB session over the lake files of `start..end` and its look-back.

    `files` maps each partition day to its Parquet file (ParquetLake.partition_files);
    `splits` holds (symbol, ex_date, value) of known splits; `expected` the symbols the
    universe says were active (None: no universe, completeness is skipped); `calendars` each
    symbol's trading calendar (missing ones are read from the symbol's form): completeness,
    missing dates and lag are judged on each symbol's own market's sessions (ADR 0019).
    """

    def __init__(self, files: dict[dt.date, Path], start: dt.date, end: dt.date,
                 thresholds: Thresholds | None = None, splits: pl.DataFrame | None = None,
                 expected: list[str] | None = None, memory_limit: str = "800MB", threads: int = 2,
                 calendars: dict[str, str] | None = None):
        self.t = thresholds or Thresholds()
        self.start, self.end = start, end
        self.calendars = market_sessions.calendars_of(expected or [], calendars or {})
        in_use = sorted(set(self.calendars.values()) | {calendar.EXCHANGE})
        self.sessions = sorted({d for n in in_use for d in calendar.sessions_between(start, end, n)})
        lookback = max(self.t.lookback_sessions, self.t.volume_window + 1)
        everything = calendar.all_weekdays()  # the look-back counts weekdays (the partitions)
        if self.sessions:
            first, last = calendar.weekday_index(self.sessions[0]), calendar.weekday_index(self.sessions[-1])
        else:
            first = last = 0
        self.scan_start = everything[max(first - lookback, 0)] if self.sessions else start
        self.scan_end = everything[min(last + lookback, len(everything) - 1)] if self.sessions else end
        self.range_files = [str(p) for d, p in sorted(files.items()) if start <= d <= end]
        self.scan_files = {d: p for d, p in sorted(files.items()) if self.scan_start <= d <= self.scan_end}
        self.expected = expected
        self.conn = duckdb.connect()
        self.conn.execute(f"SET threads = {int(threads)}")
        self.conn.execute(f"SET memory_limit = {literal(memory_limit)}")
        self.conn.execute("SET preserve_insertion_order = false")
        self.conn.execute(f"SET temp_directory = {literal(Path(tempfile.gettempdir()) / 'stock_assets_duckdb')}")
        self._register()
        self.history = HistoryChecks(self.scan_files, self.t, self.start, self.end, self.scan_start,
                                     _split_rows(splits), expected, calendars)

    def _register(self) -> None:
        self.conn.register("expected", pl.DataFrame({"symbol": self.expected or []}, schema={"symbol": pl.String}).to_arrow())
        self._view("cur", self.range_files, "*")

    def _view(self, name: str, files: list[str], columns: str) -> None:
        if files:
            self.conn.execute(f"CREATE OR REPLACE VIEW {name} AS SELECT {columns} FROM "
                              f"read_parquet({_listing(files)}, union_by_name = true)")
        else:
            typed = ", ".join(f"CAST(NULL AS {_duck(t)}) AS {c}" for c, t in DAILY_OHLCV.items())
            self.conn.execute(f"CREATE OR REPLACE VIEW {name} AS SELECT {columns} FROM (SELECT {typed}) WHERE FALSE")

    def close(self) -> None:
        self.conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _pl(self, sql: str, params: list | None = None) -> pl.DataFrame:
        return self.conn.execute(sql, params or []).pl()

    # -- row rules over the range -----------------------------------------------------------
    def schema(self) -> Outcome:
        """Each file's Parquet schema against the stored one; only files that differ are read."""
        differing = self._files_with_other_schema()
        rows = []
        for path in differing:
            day = dt.date.fromisoformat(Path(path).parent.name.removeprefix("date="))
            found = pl.DataFrame(schema=pl.read_parquet_schema(path))
            rows.extend((day, p) for p in schema_differences(found, DAILY_OHLCV))
        bad = pl.DataFrame(rows, schema={"date": pl.Date, "details": pl.String}, orient="row")
        return Outcome(bad.height == 0, failures(bad), {"problems": bad.height, "files": len(self.range_files)},
                       "columns and types match docs/data_model.md" if bad.height == 0 else
                       "; ".join(bad["details"].unique().sort().head(5)))

    def _files_with_other_schema(self) -> list[str]:
        if not self.range_files:
            return []
        with tempfile.TemporaryDirectory() as tmp:
            reference = str(Path(tmp) / "reference.parquet")
            pl.DataFrame(schema=DAILY_OHLCV).write_parquet(reference, compression="zstd")
            sigs = self._pl(f"""
                SELECT file_name, string_agg(name || ':' || coalesce(type, '') || ':' || coalesce(converted_type, '')
                                             || ':' || coalesce(logical_type::VARCHAR, ''), ',' ORDER BY name) AS sig
                FROM parquet_schema({_listing([*self.range_files, reference])})
                WHERE num_children IS NULL GROUP BY file_name""")
        expected = sigs.filter(pl.col("file_name") == reference)["sig"][0]
        return sigs.filter((pl.col("sig") != expected) & (pl.col("file_name") != reference))["file_name"].sort().to_list()

    def null_fields(self) -> Outcome:
        bad = self.history.offending_rows("null_fields")
        nulls = pl.concat_str([pl.when(pl.col(c).is_null()).then(pl.lit(c + " ")) for c in REQUIRED_NOT_NULL],
                              ignore_nulls=True).str.strip_chars()
        bad = bad.select("date", "symbol", value=pl.lit(None, pl.Float64), details=pl.format("null: {}", nulls))
        return Outcome(bad.height == 0, bad, {"rows_with_nulls": bad.height})

    def ohlc_consistency(self) -> Outcome:
        cols = ("open", "high", "low", "close", "volume")
        bad = self.history.offending_rows("ohlc_consistency").select(
            "date", "symbol", value=pl.lit(None, pl.Float64),
            details=pl.format("open {} high {} low {} close {} volume {}", *[pl.col(c) for c in cols]), *cols)
        return Outcome(bad.height == 0, bad, {"inconsistent_rows": bad.height})

    def duplicates(self) -> Outcome:
        return self.history.duplicates()

    def zero_volume(self) -> Outcome:
        bad = self.history.offending_rows("zero_volume").select(
            "date", "symbol", value=pl.lit(0.0), details=pl.format("volume 0, close {}", pl.col("close")))
        return Outcome(bad.height == 0, bad, {"zero_volume_rows": bad.height}, threshold=0.0)

    def completeness(self) -> Outcome:
        if self.expected is None:
            return Outcome(True, failures(pl.DataFrame()), {"sessions": len(self.sessions)},
                           "no universe to compare with: skipped", threshold=self.t.min_completeness)
        per_day = self.completeness_per_market()
        failing = per_day.filter(pl.col("share") < self.t.min_completeness)
        self.conn.register("failing_days", failing.select("calendar", "date", "share", "expected").to_arrow())
        self.conn.register("expected_cal", pl.DataFrame(
            {"symbol": list(self.calendars), "calendar": list(self.calendars.values())},
            schema={"symbol": pl.String, "calendar": pl.String}).to_arrow())
        bad = self._pl("""
            SELECT f.date, e.symbol, f.share::DOUBLE AS value, 'no row; ' || round(f.share * 100, 2) || ' % of '
                   || f.expected || ' active ' || f.calendar || ' symbols present' AS details
            FROM failing_days f JOIN expected_cal e ON e.calendar = f.calendar
            ANTI JOIN cur c ON c.date = f.date AND c.symbol = e.symbol
            ORDER BY f.date, e.symbol""")
        worst = float(per_day["share"].min()) if per_day.height else 1.0
        markets = {r["calendar"]: round(float(r["worst"]), 4)
                   for r in per_day.group_by("calendar").agg(worst=pl.col("share").min()).iter_rows(named=True)}
        return Outcome(failing.height == 0, failures(bad),
                       {"worst_share": round(worst, 4), "min_share": self.t.min_completeness,
                        "expected_symbols": len(self.expected), "sessions": per_day["date"].n_unique(),
                        "failing_sessions": failing.height, "worst_share_by_market": markets},
                       threshold=self.t.min_completeness)

    def completeness_per_market(self) -> pl.DataFrame:
        """(calendar, date, present, expected, share) for each market's own sessions in the range."""
        frames = []
        for name in sorted(set(self.calendars.values())):
            n = sum(1 for c in self.calendars.values() if c == name)
            days = calendar.sessions_between(self.start, self.end, name)
            got = (self.history.present_per_session(name) if self.scan_files else
                   pl.DataFrame({"date": days, "present": [0] * len(days)}, schema={"date": pl.Date, "present": pl.Int64}))
            frames.append(got.with_columns(calendar=pl.lit(name), expected=pl.lit(n, pl.Int64),
                                           share=pl.col("present") / n))
        schema = {"date": pl.Date, "present": pl.Int64, "calendar": pl.String, "expected": pl.Int64, "share": pl.Float64}
        return pl.concat(frames).cast(schema) if frames else pl.DataFrame(schema=schema)

    # -- history rules (lib/qa/history.py) ------------------------------------------------------------
    def missing_dates(self) -> Outcome:
        return self.history.missing_dates()

    def lag(self) -> Outcome:
        return self.history.lag(self.expected)

    def price_jump(self) -> Outcome:
        return self.history.price_jump()

    def iqr_jump(self) -> Outcome:
        return self.history.iqr_jump()

    def unit_switch(self) -> Outcome:
        """Yahoo's 100x unit switch (lib/unit_error.py) in the range, seen against the look-back.

        The ordered pass marks symbols with a 100x close-to-close step; only their rows are read
        again (with their currency), so the common case (none) costs nothing more.
        """
        h = self.history
        h._run()
        names = sorted(h.names[k] for k in h.unit_candidates)
        numbers = {"symbols_with_100x_steps": len(names)}
        if not names:
            return Outcome(True, pl.DataFrame(schema=FAILURE_SCHEMA), {**numbers, "rows": 0}, threshold=100.0)
        files = [str(p) for d, p in sorted(self.scan_files.items()) if d <= self.end]
        self._view("unit_rows", files, "*")
        self.conn.register("unit_symbols", pl.DataFrame({"symbol": names}).to_arrow())
        has_currency = "currency" in self._pl("SELECT * FROM unit_rows LIMIT 0").columns
        series = self._pl(f"""SELECT date, symbol, close, {'currency' if has_currency else 'NULL::VARCHAR AS currency'}
                              FROM unit_rows SEMI JOIN unit_symbols USING (symbol) ORDER BY symbol, date""")
        splits = h.splits.filter(pl.col("symbol").is_in(names)) if h.splits is not None else None
        found = unit_error.unit_switches(series, splits).filter(pl.col("date").is_between(self.start, self.end))
        bad = found.select("date", "symbol", value=pl.col("factor"), details=pl.col("details"),
                           close=pl.col("close"), corrected_close=pl.col("close") * pl.col("factor"))
        return Outcome(bad.height == 0, failures(bad), {**numbers, "rows": bad.height}, threshold=100.0)

    def volume_spike(self) -> Outcome:
        return self.history.volume_spike()

    def run(self, names: list[str]) -> dict[str, Outcome]:
        """Outcomes of the named engine checks (fetch_errors and GX live elsewhere)."""
        return {name: getattr(self, name)() for name in names}


def _listing(files: list[str]) -> str:
    """A DuckDB list literal of file paths, each quoted and glob-escaped (DuckDB globs every entry)."""
    return "[" + ", ".join(literal(glob_escape(f)) for f in files) + "]"


def _split_rows(splits: pl.DataFrame | None) -> pl.DataFrame:
    """Known splits, one row per (symbol, ex_date) with the product of their ratios."""
    empty = pl.DataFrame(schema={"symbol": pl.String, "ex_date": pl.Date, "value": pl.Float64})
    if splits is None or splits.height == 0:
        return empty
    return (splits.select("symbol", "ex_date", pl.col("value").cast(pl.Float64)).filter(pl.col("value") > 0)
            .group_by("symbol", "ex_date").agg(pl.col("value").product()))


def _duck(dtype: pl.DataType) -> str:
    if dtype == pl.Date:
        return "DATE"
    if dtype == pl.String:
        return "VARCHAR"
    if dtype == pl.Float64:
        return "DOUBLE"
    if dtype == pl.Int64:
        return "BIGINT"
    return "TIMESTAMP"


def move(ratio: float) -> float:
    """A close-to-close ratio as a move in either direction: x4 and /4 are both 300 %."""
    return math.exp(abs(math.log(ratio))) - 1
