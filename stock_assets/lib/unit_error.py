"""Yahoo's known unit error: a series that flips between minor and major units (100x) for some days.

Why a rule of its own: a London listing quoted in pence (GBp) sometimes comes back in pounds
for a block of days (0.1455 instead of 14.55), and a JSE one in rand instead of cents. No real
price moves 100x in a day and back, so a close-to-close step of 100x (within STEP_TOLERANCE in
log10) that no split explains marks a switch. The steps split the series into blocks at scale
levels; for a minor-unit quote (GBp, ZAc, ILA) the highest level is the quoted unit and lower
blocks are the error; otherwise the level holding most rows is taken as right. Each flagged row
comes back with its evidence and the factor that corrects it (ADR 0020).
"""

from __future__ import annotations

import math

import polars as pl

MINOR_UNIT_CURRENCIES = {"GBp", "GBX", "ZAc", "ILA"}
STEP_TOLERANCE = 0.15  # |log10(step) -/+ 2| below this is a 100x step (70x..141x)

SWITCH_SCHEMA = {"symbol": pl.String, "date": pl.Date, "close": pl.Float64, "factor": pl.Float64,
                 "details": pl.String}


def unit_switches(bars: pl.DataFrame, splits: pl.DataFrame | None = None) -> pl.DataFrame:
    """Rows of `bars` (date, symbol, close[, currency]) in the wrong unit: (symbol, date, close, factor, details).

    `factor` is what the row's prices must be multiplied by to be in the series' unit (100 or
    0.01). `splits` (symbol, ex_date, value) explain a step on their ex-date (a 1:100 reverse
    split is not a unit error).
    """
    if not bars.height:
        return pl.DataFrame(schema=SWITCH_SCHEMA)
    cols = ["symbol", "date", "close"] + (["currency"] if "currency" in bars.columns else [])
    series = (bars.select(cols).filter(pl.col("close") > 0).sort("symbol", "date")
              .with_columns(step=(pl.col("close") / pl.col("close").shift(1).over("symbol")).log10()))
    if splits is not None and splits.height:
        ratio = splits.select("symbol", pl.col("ex_date").alias("date"), split=pl.col("value").cast(pl.Float64))
        series = (series.join(ratio, on=["symbol", "date"], how="left")
                  .with_columns(step=pl.col("step") + pl.col("split").fill_null(1.0).log10()).drop("split"))
    up = (pl.col("step") - 2).abs() < STEP_TOLERANCE
    down = (pl.col("step") + 2).abs() < STEP_TOLERANCE
    series = series.with_columns(
        level=pl.when(up).then(1).when(down).then(-1).otherwise(0).cum_sum().over("symbol"))
    out = []
    for (symbol,), rows in series.partition_by("symbol", as_dict=True, maintain_order=True).items():
        levels = rows["level"]
        if levels.n_unique() == 1:
            continue
        currency = rows["currency"][0] if "currency" in rows.columns else None
        if currency in MINOR_UNIT_CURRENCIES:
            right = int(levels.max())
        else:
            counts = levels.value_counts(sort=True)
            right = int(counts["level"][0])
        wrong = rows.filter(pl.col("level") != right)
        for day, close, level in wrong.select("date", "close", "level").iter_rows():
            factor = math.pow(100.0, right - level)
            out.append((symbol, day, close, factor,
                        f"close {close} is {factor:g}x off the series' unit ({currency or 'currency unknown'}): "
                        f"a 100x unit switch; corrected close {close * factor:.6g}"))
    return pl.DataFrame(out, schema=SWITCH_SCHEMA, orient="row")


def correct(bars: pl.DataFrame, switches: pl.DataFrame) -> pl.DataFrame:
    """`bars` with the flagged rows' prices multiplied by their factor (volume unchanged)."""
    if not switches.height:
        return bars
    prices = [c for c in ("open", "high", "low", "close", "adj_close") if c in bars.columns]
    fixed = bars.join(switches.select("symbol", "date", "factor"), on=["symbol", "date"], how="left")
    return fixed.with_columns([(pl.col(c) * pl.col("factor").fill_null(1.0)).alias(c) for c in prices]).drop("factor")
