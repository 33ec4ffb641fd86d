"""Rows for the qa tables from check outcomes (pure: the warehouse write lives in defs/quality).

`qa.failures` holds one row per offending (check, date, symbol); `qa.summary` one row per
partition day per check. Offending rows dated outside the run's partitions (a gap in the
look-back, a lagging symbol's last row) are counted on the run's last partition day.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from stock_assets.lib.validation import Outcome

FAILURES = {
    "check_name": pl.String, "severity": pl.String, "date": pl.Date, "symbol": pl.String,
    "value": pl.Float64, "threshold": pl.Float64, "details": pl.String, "run_id": pl.String,
    "first_seen": pl.Datetime("us"),
    "market": pl.String,  # the market a symbol-less failure is about (market_freshness); else null
}
SUMMARY = {
    "date": pl.Date, "check_name": pl.String, "severity": pl.String, "passed": pl.Boolean,
    "failed_rows": pl.Int64, "run_id": pl.String, "checked_at": pl.Datetime("us"),
}
MAX_DETAILS = 500


def failure_rows(check: str, severity: str, outcome: Outcome, run_id: str, now: dt.datetime,
                 last_day: dt.date) -> pl.DataFrame:
    """The outcome's offending rows as qa.failures rows (one per date and symbol)."""
    rows = outcome.offending
    if rows.height == 0:
        return pl.DataFrame(schema=FAILURES)
    get = lambda c, t: pl.col(c).cast(t) if c in rows.columns else pl.lit(None, t)  # noqa: E731
    return rows.select(
        check_name=pl.lit(check), severity=pl.lit(severity),
        date=pl.coalesce(get("date", pl.Date), pl.lit(last_day)),
        symbol=get("symbol", pl.String), value=get("value", pl.Float64),
        threshold=pl.lit(outcome.threshold, pl.Float64),
        details=get("details", pl.String).str.slice(0, MAX_DETAILS),
        run_id=pl.lit(run_id), first_seen=pl.lit(now, pl.Datetime("us")), market=get("market", pl.String),
    ).unique(subset=["date", "symbol", "market"], keep="first", maintain_order=True)


def summary_rows(check: str, severity: str, failures: pl.DataFrame, days: list[dt.date], run_id: str,
                 now: dt.datetime) -> pl.DataFrame:
    """One row per partition day: failed rows dated that day (earlier/later ones on the last day)."""
    if not days:
        return pl.DataFrame(schema=SUMMARY)
    days = sorted(days)
    dated = failures.select(
        pl.when(pl.col("date").is_in(days)).then(pl.col("date")).otherwise(pl.lit(days[-1])).alias("date")
    ) if failures.height else pl.DataFrame(schema={"date": pl.Date})
    counts = dict(dated.group_by("date").len().iter_rows()) if dated.height else {}
    return pl.DataFrame({
        "date": days, "check_name": check, "severity": severity,
        "passed": [counts.get(d, 0) == 0 for d in days], "failed_rows": [counts.get(d, 0) for d in days],
        "run_id": run_id, "checked_at": now,
    }, schema=SUMMARY)
