"""The numbers behind the dashboard, computed from plain frames (no database, no Dagster).

Why here and not in SQL only: each rule (what counts as lagging, missing, a jump) is small,
has edge cases (splits, holes vs lag, the first scrape) and deserves tests with known
answers; the dashboard assets read frames from the warehouse and hand them to these.
"""

from __future__ import annotations

import datetime as dt
import math

import polars as pl

from stock_assets.lib import calendar
from stock_assets.lib.qa import freshness
from stock_assets.lib.qa.catalog import Thresholds

# The QA price_jump rule, so every jump shown here is the one qa.failures holds: a move whose
# size |ln(close / previous close)| exceeds ln(1 + threshold), in either direction.
DEFAULT_JUMP_THRESHOLD = Thresholds().max_move
DEFAULT_MAX_BEHIND = 2  # sessions a symbol may lag before it counts as lagging
DEFAULT_WINDOW_DAYS = 30
NO_BAR_BEHIND = 999  # sessions_behind for an active symbol with no bar in the lookback


def lagging(last_bars: pl.DataFrame, active: list[str], as_of: dt.date,
            max_behind: int = DEFAULT_MAX_BEHIND,
            calendars: dict[str, str] | None = None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(behind, lagging): sessions behind `as_of` for every active symbol, and those past `max_behind`.

    `last_bars` has (symbol, last_date); an active symbol absent from it has no bar at all
    in the lookback and counts as NO_BAR_BEHIND sessions behind. Sessions are counted on each
    symbol's own calendar (`calendars`, default XNYS): a London bank holiday is not a lag.
    """
    known = dict(last_bars.select("symbol", "last_date").iter_rows())
    cals = calendars or {}
    cache: dict[tuple[dt.date, str], int] = {}

    def behind(day: dt.date | None, cal: str) -> int:
        if day is None:
            return NO_BAR_BEHIND
        if (day, cal) not in cache:
            cache[day, cal] = calendar.sessions_behind(day, as_of, cal)
        return cache[day, cal]

    rows = [(s, known.get(s), behind(known.get(s), cals.get(s, calendar.EXCHANGE))) for s in sorted(set(active))]
    frame = pl.DataFrame(rows, schema={"symbol": pl.String, "last_date": pl.Date,
                                       "sessions_behind": pl.Int64}, orient="row")
    late = frame.filter(pl.col("sessions_behind") > max_behind).sort("sessions_behind", "symbol",
                                                                     descending=[True, False])
    return frame, late


def missing_dates(window_bars: pl.DataFrame, sessions: list[dt.date] | dict[str, list[dt.date]],
                  calendars: dict[str, str] | None = None) -> pl.DataFrame:
    """(symbol, date) for each session in a symbol's own span [first bar, last bar] with no bar.

    Only holes count: sessions before a symbol's first bar in the window (listed later) and
    after its last bar (lag, or delisted) are the business of other KPIs. `sessions` may map
    each calendar to its sessions, with `calendars` giving each symbol's (default XNYS): a
    market holiday is never a missing date.
    """
    empty = pl.DataFrame(schema={"symbol": pl.String, "date": pl.Date})
    if window_bars.height == 0 or not sessions:
        return empty
    if isinstance(sessions, dict):
        cals = calendars or {}
        parts = []
        for name, days in sessions.items():
            mine = window_bars.filter(pl.col("symbol").replace_strict(cals, default=calendar.EXCHANGE) == name)
            parts.append(missing_dates(mine, days))
        return pl.concat(parts).sort("symbol", "date") if parts else empty
    spans = window_bars.group_by("symbol").agg(first=pl.col("date").min(), last=pl.col("date").max())
    grid = spans.join(pl.DataFrame({"date": sessions}, schema={"date": pl.Date}), how="cross").filter(
        (pl.col("date") >= pl.col("first")) & (pl.col("date") <= pl.col("last"))
    )
    holes = grid.join(window_bars.select("symbol", "date").unique(), on=["symbol", "date"], how="anti")
    return holes.select("symbol", "date").sort("symbol", "date")


def price_jumps(bars: pl.DataFrame, splits: pl.DataFrame, since: dt.date,
                threshold: float = DEFAULT_JUMP_THRESHOLD) -> pl.DataFrame:
    """Close-to-close moves beyond `threshold` on or after `since`, each explained by a split or not.

    Measured as QA's price_jump measures them (symmetric in log terms: x4 and /4 are the same
    size), so a 4:1 split's -75 % counts as much as a 1:10 reverse split's +900 %.

    `bars` has (symbol, date, close) and should include each symbol's bar before `since`;
    `splits` has (symbol, ex_date, value) with value = new shares per old share. A move is
    explained when a split has that ex-date and the split-adjusted move is within the threshold.
    """
    schema = {"symbol": pl.String, "date": pl.Date, "prev_close": pl.Float64, "close": pl.Float64,
              "move_pct": pl.Float64, "split_ratio": pl.Float64, "adjusted_move_pct": pl.Float64,
              "explained": pl.Boolean}
    if bars.height == 0:
        return pl.DataFrame(schema=schema)
    moves = (
        bars.select("symbol", "date", "close").sort("symbol", "date")
        .with_columns(prev_close=pl.col("close").shift(1).over("symbol"))
        .filter(pl.col("prev_close").is_not_null() & (pl.col("prev_close") > 0) & (pl.col("date") >= since))
        .with_columns(move=pl.col("close") / pl.col("prev_close") - 1)
        .filter(pl.col("move").log1p().abs() > math.log1p(threshold))
    )
    ratios = (
        splits.select("symbol", pl.col("ex_date").alias("date"), pl.col("value").alias("split_ratio"))
        .group_by("symbol", "date").agg(pl.col("split_ratio").product())
    )
    out = moves.join(ratios, on=["symbol", "date"], how="left").with_columns(
        adjusted=pl.col("close") * pl.col("split_ratio") / pl.col("prev_close") - 1
    )
    return out.select(
        "symbol", "date", "prev_close", "close",
        move_pct=(pl.col("move") * 100).round(2),
        split_ratio=pl.col("split_ratio"),
        adjusted_move_pct=(pl.col("adjusted") * 100).round(2),
        explained=pl.col("adjusted").log1p().abs().le(math.log1p(threshold)).fill_null(False),
    ).cast(schema).sort("date", "symbol")


def zero_volume(bars: pl.DataFrame) -> pl.DataFrame:
    """Symbols with zero-volume bars, most offending first: (symbol, zero_days, last_zero)."""
    return (
        bars.filter(pl.col("volume") == 0).group_by("symbol")
        .agg(zero_days=pl.len().cast(pl.Int64), last_zero=pl.col("date").max())
        .sort("zero_days", "symbol", descending=[True, False])
    )


def null_fields(bars: pl.DataFrame, columns: list[str]) -> pl.DataFrame:
    """Null count per column of `columns`: (column, nulls)."""
    present = [c for c in columns if c in bars.columns]
    counts = bars.select([pl.col(c).null_count().alias(c) for c in present]).row(0) if present else []
    return pl.DataFrame({"column": present, "nulls": [int(v) for v in counts]},
                        schema={"column": pl.String, "nulls": pl.Int64})


def universe_changes(tickers: pl.DataFrame, since: dt.date, until: dt.date) -> pl.DataFrame:
    """New and delisted symbols between `since` and `until` (inclusive): (symbol, change, on, name).

    "New" is first seen by a scrape in the range, except on the universe's very first scrape
    (which sees every symbol and would call the whole universe new).
    """
    schema = {"symbol": pl.String, "change": pl.String, "on": pl.Date, "name": pl.String}
    if tickers.height == 0:
        return pl.DataFrame(schema=schema)
    first_scrape = tickers["first_seen"].min().date()
    seen = tickers.with_columns(seen_on=pl.col("first_seen").dt.date())
    new = seen.filter(
        (pl.col("seen_on") > first_scrape) & pl.col("seen_on").is_between(since, until)
    ).select("yahoo_symbol", change=pl.lit("new"), on=pl.col("seen_on"), name=pl.col("name"))
    gone = tickers.filter(pl.col("delisted_on").is_between(since, until)).select(
        "yahoo_symbol", change=pl.lit("delisted"), on=pl.col("delisted_on"), name=pl.col("name")
    )
    return (pl.concat([new, gone]).rename({"yahoo_symbol": "symbol"}).cast(schema)
            .sort("on", "change", "symbol", descending=[True, False, False]))


def monthly_changes(changes: pl.DataFrame, until: dt.date, months: int = 6) -> pl.DataFrame:
    """New and delisted counts for each of the last `months` calendar months: (month, new, delisted)."""
    labels = []
    year, month = until.year, until.month
    for _ in range(months):
        labels.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    labels.reverse()
    counts = {(m, c): 0 for m in labels for c in ("new", "delisted")}
    for on, change in changes.select("on", "change").iter_rows():
        key = (f"{on.year:04d}-{on.month:02d}", change)
        if key in counts:
            counts[key] += 1
    return pl.DataFrame({"month": labels, "new": [counts[(m, "new")] for m in labels],
                         "delisted": [counts[(m, "delisted")] for m in labels]})


def month_start(day: dt.date, months_back: int) -> dt.date:
    """The first day of the month `months_back` months before `day`'s month."""
    index = day.year * 12 + day.month - 1 - months_back
    return dt.date(index // 12, index % 12 + 1, 1)


def histogram(values: list[int], edges: list[int]) -> list[tuple[str, int]]:
    """Counts per bin [edges[i], edges[i+1]); the last bin is open: (label, count)."""
    out = []
    for i, lo in enumerate(edges):
        hi = edges[i + 1] if i + 1 < len(edges) else None
        n = sum(1 for v in values if v >= lo and (hi is None or v < hi))
        label = f"{lo}+" if hi is None else (str(lo) if hi == lo + 1 else f"{lo}-{hi - 1}")
        out.append((label, n))
    return out


MARKET_COLUMNS = {"market": pl.String, "active_symbols": pl.Int64, "last_session": pl.Date, "rows_last_session": pl.Int64,
                  "lagging_symbols": pl.Int64, "missing_dates": pl.Int64}


def per_market(calendars: dict[str, str], active: list[str], window_bars: pl.DataFrame, lagging_: pl.DataFrame,
               missing: pl.DataFrame, as_of: dt.date) -> pl.DataFrame:
    """One row per market (calendar): its active symbols, its own latest session up to `as_of`
    with the rows stored for it, and its lagging symbols and missing dates (ADR 0019)."""
    rows = []
    for name in sorted(set(calendars.values())):
        mine = {s for s, c in calendars.items() if c == name}
        days = calendar.sessions_between(as_of - dt.timedelta(days=14), as_of, name)
        last = days[-1] if days else None
        stored = window_bars.filter((pl.col("date") == last) & pl.col("symbol").is_in(list(mine))).height if last else 0
        rows.append((name, len(mine & set(active)), last, stored,
                     lagging_.filter(pl.col("symbol").is_in(list(mine))).height,
                     missing.filter(pl.col("symbol").is_in(list(mine))).height))
    return pl.DataFrame(rows, schema=MARKET_COLUMNS, orient="row")


def market_freshness(last_bars: pl.DataFrame, calendars: dict[str, str], at: dt.datetime) -> pl.DataFrame:
    """(market, newest_stored, last_due, fresh) per market, judged as the `market_freshness` check
    judges it (lib/qa/freshness.py): each market's newest stored session against its own last
    session due at `at`. `last_bars` has (symbol, last_date); symbols outside `calendars` (market
    unknown) count for no market."""
    newest = freshness.newest_by_market(last_bars.select("symbol", date="last_date"), calendars)
    return freshness.per_market(newest, at).drop("sessions_behind")
