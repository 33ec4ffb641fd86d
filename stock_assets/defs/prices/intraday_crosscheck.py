"""The `derived_vs_source` check of `intraday_bars`: a sample of derived bars against the source's own.

Run inside the asset (it needs the source): after a run stores its days, a few watchlist symbols
(`crosscheck_symbols`, rotating by session date: lib/intraday/crosscheck.py) have their latest
stored session at `crosscheck_interval` compared with the bars the source itself serves at that
interval (one extra request per sampled symbol). A mismatch is a WARN check failure and rows in
qa.failures (`intraday_derived_vs_source`); a sample the source cannot answer is named in the
metadata, never a failure of the run.
"""

from __future__ import annotations

import datetime as dt

import dagster as dg
import polars as pl

from stock_assets.defs.prices.sources import PriceSource
from stock_assets.defs.quality import recorder
from stock_assets.lib import markdown
from stock_assets.lib.intraday import crosscheck
from stock_assets.lib.validation import Outcome

ASSET = "intraday_bars"
CHECK = "derived_vs_source"
QA_NAME = f"intraday_{CHECK}"
SEVERITY = dg.AssetCheckSeverity.WARN
SPEC = dg.AssetCheckSpec(
    CHECK, asset=ASSET,
    description=(f"A sample of derived bars (by default {crosscheck.DEFAULT_SAMPLE_SIZE} symbol per run, rotating, at "
                 f"{crosscheck.DEFAULT_INTERVAL}) equals the source's own bars of that interval: O/H/L/C within a "
                 "tick, volume within 10 %, the same bars (ADR 0021)."))


def evaluate(source: PriceSource, merged: pl.DataFrame, symbols: list[str], calendars: dict[str, str],
             days: list[dt.date], today: dt.date, size: int, interval: str) -> tuple[Outcome, dict[str, str]]:
    """The comparison for this run's sample, and why any sampled symbol was not compared."""
    stored = merged.filter(pl.col("interval") == interval)
    picks = crosscheck.sample(symbols, max(days), size)
    derived, own, skipped = [], [], {}
    for symbol in picks:
        mine = stored.filter(pl.col("symbol") == symbol)
        if not mine.height:
            skipped[symbol] = f"no stored {interval} bar in the run's days"
            continue
        session = mine["session"].max()
        try:
            theirs = source.fetch_own_interval(symbol, session, interval, calendars.get(symbol, "XNYS"), today)
        except Exception as err:  # noqa: BLE001 - a sample not answered is reported, not a failed run
            skipped[symbol] = f"{session}: the source did not answer ({type(err).__name__}: {str(err)[:200]})"
            continue
        theirs = None if theirs is None else theirs.filter(pl.col("session") == session)
        if theirs is None or not theirs.height:
            skipped[symbol] = f"{session}: the source sent no {interval} bar of that day"
            continue
        derived.append(mine.filter(pl.col("session") == session))
        own.append(theirs)
    if not derived:
        empty = stored.clear()
        return crosscheck.compare(empty, empty), skipped
    return crosscheck.compare(pl.concat(derived, how="vertical_relaxed"), pl.concat(own, how="vertical_relaxed")), skipped


def check_result(wh, outcome: Outcome, skipped: dict[str, str], interval: str, days: list[dt.date],
                 run_id: str, now: dt.datetime) -> dg.AssetCheckResult:
    """Record the outcome in qa.failures / qa.summary and describe it in the UI."""
    recorder.record(wh, [(QA_NAME, SEVERITY.value, outcome)], days, run_id, now)
    metadata = {k: dg.MetadataValue.text(str(v)) for k, v in outcome.numbers.items()}
    metadata["interval"] = dg.MetadataValue.text(interval)
    metadata["not_compared"] = dg.MetadataValue.json(skipped)
    metadata["failed_rows"] = dg.MetadataValue.int(outcome.offending.height)
    metadata["rule"] = dg.MetadataValue.text(outcome.description)
    metadata["qa_failures_check_name"] = dg.MetadataValue.text(QA_NAME)
    if not outcome.passed:
        metadata["offending_rows"] = dg.MetadataValue.md(markdown.table(outcome.offending))
    return dg.AssetCheckResult(asset_key=ASSET, check_name=CHECK, passed=outcome.passed, severity=SEVERITY,
                               metadata=metadata)
