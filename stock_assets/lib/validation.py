"""Row-level rules for daily bars: each returns what passed and which rows are to blame.

Why pure and vectorised: the same rules run inside the asset (blocking, on the frame just
fetched) and over years of history in QA; polars expressions keep both fast.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from stock_assets.lib.schema import DAILY_OHLCV, REQUIRED_NOT_NULL, schema_differences

DEFAULT_MIN_COMPLETENESS = 0.97


@dataclass
class Outcome:
    """The result of one rule: passed or not, the offending rows, and numbers to show."""

    passed: bool
    offending: pl.DataFrame
    numbers: dict = field(default_factory=dict)
    description: str = ""
    threshold: float | None = None  # the limit the rule compared against, for qa.failures
    # Dates (first, last) this outcome is authoritative for: an earlier failure of the same
    # check dated inside it and not found again is resolved. None: the rows' own dates.
    scope: tuple | None = None


def schema(frame: pl.DataFrame) -> Outcome:
    problems = schema_differences(frame, DAILY_OHLCV)
    return Outcome(
        passed=not problems,
        offending=pl.DataFrame({"problem": problems}, schema={"problem": pl.String}),
        numbers={"problems": len(problems)},
        description="columns and types match docs/data_model.md" if not problems else "; ".join(problems),
    )


def null_fields(frame: pl.DataFrame) -> Outcome:
    cols = [c for c in REQUIRED_NOT_NULL if c in frame.columns]
    bad = frame.filter(pl.any_horizontal([pl.col(c).is_null() for c in cols])) if cols else frame.clear()
    return Outcome(bad.height == 0, bad, {"rows_with_nulls": bad.height})


def duplicates(frame: pl.DataFrame) -> Outcome:
    dup = frame.filter(pl.struct("date", "symbol").is_duplicated())
    keys = dup.select("date", "symbol").unique().height
    return Outcome(dup.height == 0, dup.sort("date", "symbol"),
                   {"duplicate_rows": dup.height, "duplicate_keys": keys})


def ohlc_rule() -> pl.Expr:
    """True for a sane bar: low <= open, close <= high; prices > 0; volume >= 0 (null: unknown)."""
    o, h, l, c = pl.col("open"), pl.col("high"), pl.col("low"), pl.col("close")
    return (
        (l <= o) & (l <= c) & (o <= h) & (c <= h) & (l > 0) & (o > 0) & (h > 0) & (c > 0)
        & (pl.col("volume") >= 0)
    )


def suspect(frame: pl.DataFrame) -> pl.DataFrame:
    """Rows that may break null_fields, ohlc_consistency or zero_volume: one cheap filter, so
    that the three rules run on a handful of rows instead of the whole frame."""
    cols = [c for c in REQUIRED_NOT_NULL if c in frame.columns]
    return frame.filter(pl.any_horizontal([pl.col(c).is_null() for c in cols])
                        | ~ohlc_rule().fill_null(False) | (pl.col("volume") == 0))


def ohlc_consistency(frame: pl.DataFrame) -> Outcome:
    bad = frame.filter(~ohlc_rule().fill_null(False))
    return Outcome(bad.height == 0, bad, {"inconsistent_rows": bad.height})


def zero_volume(frame: pl.DataFrame) -> Outcome:
    """Rows traded with volume 0: a halted or stale quote rather than a real session."""
    bad = frame.filter(pl.col("volume") == 0)
    return Outcome(bad.height == 0, bad, {"zero_volume_rows": bad.height}, threshold=0.0)


def completeness(frame: pl.DataFrame, expected: dict, min_share: float = DEFAULT_MIN_COMPLETENESS) -> Outcome:
    """Share of expected symbols with a row, per session; `expected` maps date -> symbols."""
    per_day = []
    missing_rows = []
    have = frame.group_by("date").agg(pl.col("symbol").unique()) if frame.height else None
    present = {d: set(s) for d, s in have.iter_rows()} if have is not None else {}
    for day, symbols in sorted(expected.items()):
        symbols = set(symbols)
        got = present.get(day, set()) & symbols
        share = len(got) / len(symbols) if symbols else 1.0
        per_day.append((day, len(symbols), len(got), round(share, 4)))
        missing_rows.extend((day, s) for s in sorted(symbols - got))
    worst = min((p[3] for p in per_day), default=1.0)
    offending = pl.DataFrame(missing_rows, schema={"date": pl.Date, "symbol": pl.String}, orient="row")
    return Outcome(
        passed=worst >= min_share,
        offending=offending,
        numbers={"worst_share": worst, "min_share": min_share, "missing_rows": len(missing_rows),
                 "sessions": len(per_day)},
    )
