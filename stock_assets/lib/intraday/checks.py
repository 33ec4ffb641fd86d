"""The rules `intraday_bars` is checked against, as pure functions returning `Outcome`s.

Each offending row carries `date` (the session), `symbol`, `value` and `details`, the shape
qa.failures stores (one row per session and symbol). Why these rules: a minute bar is only
useful if it is consistent (OHLC), unique (symbol, interval, ts), inside its market's hours
(no pre/post unless asked for), complete (every minute of the regular session, or known to
be missing), alive (a future trades every session) and agrees with the day's own bar.
"""

from __future__ import annotations

import polars as pl

from stock_assets.lib.intraday import sessions
from stock_assets.lib.validation import Outcome

TICK = 0.01  # a price equal "within a tick": US shares and the liquid futures quote in cents or finer
VOLUME_TOLERANCE = 0.10  # Yahoo's minute volumes leave out some prints (odd lots, the closing cross)
_OFFENDING = {"date": pl.Date, "symbol": pl.String, "value": pl.Float64, "details": pl.String}


def _outcome(rows: pl.DataFrame, numbers: dict, description: str, threshold: float | None = None) -> Outcome:
    rows = rows.select([pl.col(c).cast(t) for c, t in _OFFENDING.items()]) if rows.height else pl.DataFrame(
        schema=_OFFENDING)
    return Outcome(rows.height == 0, rows, numbers, description, threshold)


def _per_symbol_day(bad: pl.DataFrame, what: str) -> pl.DataFrame:
    if not bad.height:
        return pl.DataFrame(schema=_OFFENDING)
    return bad.group_by("session", "symbol").agg(pl.len().alias("n"), pl.col("ts").min().alias("first")).select(
        pl.col("session").alias("date"), "symbol", pl.col("n").cast(pl.Float64).alias("value"),
        pl.format("{} bar(s) {}, first at {} UTC", "n", pl.lit(what), "first").alias("details"))


def ohlc_consistency(bars: pl.DataFrame) -> Outcome:
    bad = bars.filter(
        (pl.col("high") < pl.max_horizontal("open", "close")) | (pl.col("low") > pl.min_horizontal("open", "close"))
        | (pl.col("low") <= 0) | (pl.col("volume") < 0)
        | pl.any_horizontal([pl.col(c).is_null() for c in ("open", "high", "low", "close")]))
    return _outcome(_per_symbol_day(bad, "with high < max(open, close), low > min(open, close), a price <= 0, "
                                        "a null price or negative volume"),
                    {"bars_checked": bars.height, "bad_bars": bad.height}, "high/low bound open/close; prices > 0")


def duplicates(bars: pl.DataFrame) -> Outcome:
    dup = bars.filter(pl.struct("symbol", "interval", "ts").is_duplicated())
    return _outcome(_per_symbol_day(dup, "stored twice for one (symbol, interval, ts)"),
                    {"duplicate_bars": dup.height}, "one bar per (symbol, interval, ts)")


def outside_session(bars: pl.DataFrame, calendars: dict[str, str], extended: bool = False) -> Outcome:
    if not bars.height:
        return _outcome(bars, {"bars_outside": 0}, "every bar starts inside its market's session")
    pairs = bars.select("symbol", "session").unique()
    bounds = []
    for symbol, day in pairs.iter_rows():
        win = sessions.window(calendars.get(symbol, "XNYS"), day)
        lo, hi = ((win.extended_open, win.extended_close) if extended else (win.open, win.close)) if win else (None, None)
        bounds.append((symbol, day, lo and lo.replace(tzinfo=None), hi and hi.replace(tzinfo=None)))
    frame = pl.DataFrame(bounds, schema={"symbol": pl.String, "session": pl.Date, "lo": pl.Datetime("us"),
                                         "hi": pl.Datetime("us")}, orient="row")
    joined = bars.join(frame, on=["symbol", "session"], how="left")
    bad = joined.filter(pl.col("lo").is_null() | (pl.col("ts") < pl.col("lo")) | (pl.col("ts") >= pl.col("hi")))
    return _outcome(_per_symbol_day(bad, "outside the regular session (or on a day the market was closed)"),
                    {"bars_outside": bad.height}, "every bar starts inside its market's session")


def missing_minutes(minutes: pl.DataFrame, calendars: dict[str, str]) -> Outcome:
    """Regular-session minutes with no 1m bar, per symbol and session (an all-null minute counts)."""
    got = minutes.group_by("symbol", "session").len()
    rows = []
    for symbol, day, n in got.iter_rows():
        win = sessions.window(calendars.get(symbol, "XNYS"), day)
        if win is not None and n < win.minutes:
            rows.append((day, symbol, float(win.minutes - n),
                         f"{win.minutes - n} of {win.minutes} regular-session minutes have no bar"))
    frame = pl.DataFrame(rows, schema=_OFFENDING, orient="row")
    return _outcome(frame, {"symbol_sessions": got.height, "incomplete": frame.height},
                    "every minute of the regular session has a 1m bar", threshold=0.0)


def futures_volume(minutes: pl.DataFrame, calendars: dict[str, str]) -> Outcome:
    """A future with no volume over a whole session is a dead contract or a broken feed."""
    futs = [s for s, c in calendars.items() if c == sessions.CME]
    day = minutes.filter(pl.col("symbol").is_in(futs)).group_by("symbol", "session").agg(pl.col("volume").sum())
    bad = day.filter(pl.col("volume") <= 0).select(
        pl.col("session").alias("date"), "symbol", pl.col("volume").cast(pl.Float64).alias("value"),
        pl.lit("a future with zero volume over the whole session").alias("details"))
    return _outcome(bad, {"future_sessions": day.height}, "every future trades volume every session", 0.0)


def daily_reconciliation(minutes: pl.DataFrame, daily: pl.DataFrame, tick: float = TICK,
                         volume_tolerance: float = VOLUME_TOLERANCE) -> Outcome:
    """The day's minutes against the day's own bar: O/H/L/C within a tick, volume within a share."""
    agg = minutes.sort("ts").group_by("symbol", "session").agg(
        pl.col("open").first(), pl.col("high").max(), pl.col("low").min(), pl.col("close").last(),
        pl.col("volume").sum())
    joined = agg.join(daily.select(pl.col("date").alias("session"), "symbol", "open", "high", "low", "close",
                                   "volume"), on=["symbol", "session"], suffix="_day")
    price_gap = pl.max_horizontal([(pl.col(c) - pl.col(f"{c}_day")).abs() for c in ("open", "high", "low", "close")])
    vol_gap = ((pl.col("volume") - pl.col("volume_day")).abs() / pl.max_horizontal(pl.col("volume_day"), pl.lit(1)))
    judged = joined.with_columns(price_gap.alias("price_gap"), vol_gap.alias("vol_gap"))
    bad = judged.filter((pl.col("price_gap") > tick + 1e-9) | (pl.col("vol_gap") > volume_tolerance))
    rows = bad.select(
        pl.col("session").alias("date"), "symbol", pl.col("price_gap").alias("value"),
        pl.format("minutes O/H/L/C {}/{}/{}/{} vol {} vs day {}/{}/{}/{} vol {} (price gap {}, volume gap {})",
                  *[pl.col(c).round(4) for c in ("open", "high", "low", "close")], "volume",
                  *[pl.col(f"{c}_day").round(4) for c in ("open", "high", "low", "close")], "volume_day",
                  pl.col("price_gap").round(4), pl.col("vol_gap").round(4)).alias("details"))
    return _outcome(rows, {"reconciled": joined.height, "without_daily_bar": agg.height - joined.height,
                           "tick": tick, "volume_tolerance": volume_tolerance},
                    f"open/high/low/close within {tick} of the daily bar; volume within "
                    f"{volume_tolerance:.0%}", threshold=tick)
