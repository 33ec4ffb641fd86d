"""A derived interval checked against the source's own series of it, for a small sample.

Why: 5m-1h are derived from the fetched minutes (ADR 0021), never asked for. If the derivation
drifted from what the source itself serves (a bucket misaligned, a session boundary wrong, a
source whose minutes leave out prints), nothing else would notice. So each run asks the source
for its OWN bars at one coarser interval for a few symbols of one session, chosen by a
deterministic rotation (a different symbol each session, every symbol in turn), and compares
bar by bar: open/high/low/close within a tick, volume within a stated share, and the same bars
on both sides.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from stock_assets.lib.intraday.checks import TICK, VOLUME_TOLERANCE
from stock_assets.lib.validation import Outcome

DEFAULT_INTERVAL = "1h"
DEFAULT_SAMPLE_SIZE = 1
_OFFENDING = {"date": pl.Date, "symbol": pl.String, "value": pl.Float64, "details": pl.String}
_PRICES = ("open", "high", "low", "close")


def sample(symbols: list[str], day: dt.date, size: int) -> list[str]:
    """`size` of `symbols`, starting at a place that moves by one each calendar day: the same
    answer for the same day (a rerun checks the same symbol), every symbol in turn over time."""
    ordered = sorted(set(symbols))
    if not ordered or size <= 0:
        return []
    start = day.toordinal() % len(ordered)
    return [ordered[(start + k) % len(ordered)] for k in range(min(size, len(ordered)))]


def compare(derived: pl.DataFrame, own: pl.DataFrame, tick: float = TICK,
            volume_tolerance: float = VOLUME_TOLERANCE) -> Outcome:
    """`derived` (our bars of one interval) against `own` (the source's bars of that interval),
    both for the sampled (symbol, session)s. One offending row per (session, symbol) whose bars
    differ: value = the worst price gap; details name the worst bar and the missing ones."""
    keys = ["symbol", "session", "ts"]
    cols = [*keys, *_PRICES, "volume"]
    joined = derived.select(cols).join(own.select(cols), on=keys, how="full", suffix="_own", coalesce=True)
    price_gap = pl.max_horizontal([(pl.col(c) - pl.col(f"{c}_own")).abs() for c in _PRICES])
    volume_gap = (pl.col("volume") - pl.col("volume_own")).abs() / pl.max_horizontal(pl.col("volume_own"), pl.lit(1))
    judged = joined.with_columns(
        price_gap=price_gap, volume_gap=volume_gap,
        only_ours=pl.col("close_own").is_null(), only_theirs=pl.col("close").is_null())
    bad_bar = (pl.col("price_gap") > tick + 1e-9) | (pl.col("volume_gap") > volume_tolerance) \
        | pl.col("only_ours") | pl.col("only_theirs")
    per_pair = judged.sort("ts").group_by("session", "symbol", maintain_order=True).agg(
        pl.len().alias("bars"), bad_bar.sum().alias("bad"),
        pl.col("price_gap").max().fill_null(0.0).alias("worst_price"),
        pl.col("ts").sort_by(pl.col("price_gap").fill_null(-1.0), descending=True).first().alias("worst_at"),
        pl.col("volume_gap").max().fill_null(0.0).alias("worst_volume"),
        pl.col("only_ours").sum().alias("only_ours"), pl.col("only_theirs").sum().alias("only_theirs"))
    bad = per_pair.filter(pl.col("bad") > 0)
    rows = bad.select(
        pl.col("session").alias("date"), "symbol", pl.col("worst_price").alias("value"),
        pl.format("{} of {} bars differ: worst price gap {} at {} UTC, worst volume gap {}; bars only derived {}, "
                  "only the source's {}", "bad", "bars", pl.col("worst_price").round(6), "worst_at",
                  pl.col("worst_volume").round(4), "only_ours", "only_theirs").alias("details"))
    numbers = {
        "sample": ", ".join(f"{s} {d}" for s, d in per_pair.select("symbol", "session").iter_rows()) or "(none)",
        "bars_compared": joined.height,
        "worst_price_gap": round(float(per_pair["worst_price"].max() or 0.0), 6),
        "worst_volume_gap": round(float(per_pair["worst_volume"].max() or 0.0), 4),
        "tick": tick, "volume_tolerance": volume_tolerance,
    }
    rows = rows.select([pl.col(c).cast(t) for c, t in _OFFENDING.items()])
    return Outcome(rows.height == 0, rows, numbers,
                   f"derived bars equal the source's own: open/high/low/close within {tick}, volume within "
                   f"{volume_tolerance:.0%}, the same bars", threshold=tick)
