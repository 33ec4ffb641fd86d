"""The fetch_errors rule: did the price fetch of a session fail too often, or too slowly?

Reads the rows the price asset records in `ops.fetch_reports` (one per run and range); the
newest report covering a session is the one that judges it.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from stock_assets.lib.qa.catalog import Thresholds
from stock_assets.lib.validation import Outcome


def _newest_per_session(reports: pl.DataFrame, days: list[dt.date]) -> pl.DataFrame:
    """The reports that judge `days`: for each session, the newest report whose range covers it.

    Why per session: the nightly run's report covers its whole look-back window (ADR 0014), so
    a bad night's report overlaps the next nights' windows; once a later run has covered a
    session, that later report judges it.
    """
    sessions = pl.DataFrame({"session": sorted(set(days))}, schema={"session": pl.Date})
    covering = sessions.join_where(reports, pl.col("session") >= pl.col("first_session"),
                                   pl.col("session") <= pl.col("last_session"))
    newest = covering.sort("recorded_at").group_by("session").agg(pl.all().last())
    return newest.drop("session").unique(subset=["run_id", "first_session", "last_session"], maintain_order=True)


def fetch_errors(reports: pl.DataFrame, days: list[dt.date], t: Thresholds) -> Outcome:
    """Reports (first_session, last_session, requested, failed, latency_p95_ms, failures_by_code,
    run_id, recorded_at) judged per report: error share and latency p95 against the thresholds."""
    scope = (min(days), max(days)) if days else None
    if not days or reports.height == 0:
        return Outcome(True, pl.DataFrame(), {"reports": 0}, "no fetch report for these sessions",
                       threshold=t.max_fetch_error_share, scope=scope)
    latest = _newest_per_session(reports, days)
    judged = latest.with_columns(
        share=pl.when(pl.col("requested") > 0).then(pl.col("failed") / pl.col("requested")).otherwise(0.0),
        p95=pl.col("latency_p95_ms").cast(pl.Float64),
    )
    share_bad = judged.filter(pl.col("share") > t.max_fetch_error_share).select(
        date=pl.col("last_session"), symbol=pl.lit(None, pl.String), value=pl.col("share"),
        details=pl.format("{} of {} symbols failed ({}), run {}", pl.col("failed"), pl.col("requested"),
                          pl.col("failures_by_code"), pl.col("run_id")))
    slow = judged.filter(pl.col("p95") > t.max_latency_p95_ms).select(
        date=pl.col("last_session"), symbol=pl.lit("(latency)"), value=pl.col("p95"),
        details=pl.format("API latency p95 {} ms above {} ms, run {}", pl.col("p95"),
                          pl.lit(t.max_latency_p95_ms), pl.col("run_id")))
    bad = pl.concat([share_bad, slow])
    worst = float(judged["share"].max()) if judged.height else 0.0
    p95 = judged["p95"].drop_nulls()
    return Outcome(bad.height == 0, bad, {
        "reports": judged.height, "worst_error_share": round(worst, 4),
        "max_error_share": t.max_fetch_error_share,
        "worst_latency_p95_ms": float(p95.max()) if p95.len() else 0.0,
        "max_latency_p95_ms": t.max_latency_p95_ms,
    }, threshold=t.max_fetch_error_share, scope=scope)
