"""`stock_assets.read`: the one way programs read what is stored.

    from stock_assets import read
    read.bars(["AAPL", "MSFT"], start="2024-06-03", end="2024-06-28")     # polars, as traded
    read.bars(None, start="2024-06-03", adjusted=True)                     # every symbol, adjusted
    read.sql("SELECT status, count(*) FROM universe.tickers GROUP BY status")
    read.quotes(["AAPL"], start="2024-06-10", latest=True)                # newest quote + fundamentals

A read never downloads, never takes the warehouse's write lock, and never blocks or fails a
running pipeline, however long it is held (ADR 0013):
- bars come straight from the Parquet lake (`read/daily.py`), whose days are replaced by
  atomic renames: no lock at all, and a day is visible as soon as a run has written it;
- everything else (corporate actions for `adjusted=True`, the universe, ops, qa,
  dashboard tables) comes from the *published copy* of the warehouse, which each run
  replaces atomically when it ends (`storage/published.py`); `connect()` hands out that
  copy for notebooks and BI tools, and its lake views read the lake at query time.

Quote snapshots with fundamentals (`read.quotes`) come from the lake too (`read/quotes.py`):
one file per snapshot, renamed into place when whole.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

import duckdb
import polars as pl

from stock_assets.lib import adjusted as adjusted_series
from stock_assets.lib import symbols as symbol_rules
from stock_assets.lib.intraday import adjusted as intraday_adjusted
from stock_assets.lib.intraday.sessions import INTERVALS as INTRADAY_INTERVALS
from stock_assets.read import daily, intraday
from stock_assets.read import quotes as quote_reads
from stock_assets.read import stream as streamed
from stock_assets.settings import Settings
from stock_assets.storage import published
from stock_assets.storage.published import NotPublished

__all__ = ["INTERVALS", "NotPublished", "bars", "connect", "quotes", "sql", "stream_prices"]

# Daily bars, and the intraday intervals of `intraday_bars` (ADR 0021). Weekly and monthly bars
# are the warehouse views `prices.weekly_ohlcv` / `prices.monthly_ohlcv` (read.sql).
INTERVALS = ("1d", *INTRADAY_INTERVALS)
# Calendar days of daily bars read before an adjusted intraday read's first session (its currency).
CURRENCY_LOOKBACK_DAYS = 14


def _settings(data_dir: Path | str | None) -> Settings:
    if data_dir is None:
        return Settings.from_env()
    return Settings(data_dir=Path(data_dir).expanduser().resolve())


def _symbols(symbols: Sequence[str] | None) -> list[str] | None:
    """None, or the symbols as stored (Yahoo's spelling, upper case); refuses anything that is
    not a symbol, so a symbol can never become a path or SQL."""
    if symbols is None:
        return None
    if isinstance(symbols, str) or not isinstance(symbols, Sequence | set | frozenset):
        raise TypeError(f"symbols must be a list of symbols such as ['AAPL'], or None for every "
                        f"symbol; got {symbols!r}")
    cleaned = []
    for raw in symbols:
        if not isinstance(raw, str):
            raise TypeError(f"a symbol must be a string, got {raw!r}")
        cleaned.append(symbol_rules.validate(symbol_rules.clean(raw)))
    return sorted(set(cleaned))


def _date(value, name: str) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError(f"{name} must be a date or 'YYYY-MM-DD', got {value!r}")


def bars(symbols: Sequence[str] | None, start=None, end=None, interval: str = "1d",
         adjusted: bool = False, *, data_dir: Path | str | None = None, tz: str | None = None) -> pl.DataFrame:
    """Daily bars of `symbols` (a list; None for every symbol) dated `start`..`end` inclusive
    (dates or 'YYYY-MM-DD'; None leaves that side open), ordered by symbol and date.

    `adjusted=False`: the stored rows as traded (columns of `prices.daily_ohlcv`).
    `adjusted=True`: split- and dividend-adjusted as of the last published corporate actions,
    the columns of `prices.daily_ohlcv_adjusted` (open, high, low, close, volume adjusted;
    close_as_traded, split_factor, dividend_factor). `data_dir` defaults to
    STOCK_ASSETS_DATA_DIR. Unknown symbols or dates with no rows give an empty frame.

    An intraday `interval` ('1m', '5m', '15m', '30m', '1h') reads `prices.intraday_bars`' rows
    of the sessions `start`..`end`, ordered by symbol and `ts` (the bar's start, UTC; in `tz`
    when given, e.g. tz='America/New_York' for exchange-local time): as traded, or with
    `adjusted=True` the columns of `prices.intraday_bars_adjusted` (each session's bars carry the
    factors of that day's daily bar, in major units).
    """
    if interval not in INTERVALS:
        raise ValueError(f"interval {interval!r} is not available; valid: {', '.join(INTERVALS)} "
                         "(weekly and monthly bars: the views prices.weekly_ohlcv / prices.monthly_ohlcv)")
    wanted = _symbols(symbols)
    first, last = _date(start, "start"), _date(end, "end")
    if first and last and first > last:
        raise ValueError(f"start {first} is after end {last}")
    settings = _settings(data_dir)
    if interval != "1d":
        if not adjusted:
            return intraday.read(settings.lake_dir, interval, wanted, first, last, tz)
        return _intraday_adjusted(settings, intraday.read(settings.lake_dir, interval, wanted, first, last), tz)
    if not adjusted:
        return daily.read(settings.lake_dir, wanted, first, last)
    return _adjusted(settings, wanted, first, last)


def quotes(symbols: Sequence[str] | None = None, start=None, end=None, latest: bool = False, *,
           data_dir: Path | str | None = None, tz: str | None = None) -> pl.DataFrame:
    """Quote snapshots with fundamentals of `symbols` (a list; None for every symbol) taken on the
    UTC dates `start`..`end` inclusive (dates or 'YYYY-MM-DD'; None leaves that side open),
    ordered by symbol and `snapshot_at`; the columns of `prices.quote_snapshots`.

    `latest=True` keeps each symbol's newest snapshot in the range (what `universe.fundamentals`
    holds, read from the lake). `snapshot_at` and `quote_time` are UTC, or in `tz` when given.
    Prices are in each row's `currency` as quoted (`GBp`: pence). Reads the lake only: never
    downloads, takes no lock.
    """
    wanted = _symbols(symbols)
    first, last = _date(start, "start"), _date(end, "end")
    if first and last and first > last:
        raise ValueError(f"start {first} is after end {last}")
    return quote_reads.read(_settings(data_dir).lake_dir, wanted, first, last, latest, tz)


def _adjusted(settings: Settings, wanted: list[str] | None, first: dt.date | None,
              last: dt.date | None) -> pl.DataFrame:
    """Adjusted rows: the bars from `first` on, plus the bars before each later dividend that
    the dividend factor divides by, then cut back to first..last."""
    if not daily.files(settings.lake_dir, first, last) or wanted == []:
        return pl.DataFrame(schema=adjusted_series.ADJUSTED)
    actions = _actions(settings, wanted, first)
    through = last
    dividends = actions.filter(pl.col("kind") == "dividend")
    if last is not None and dividends.height:
        through = max(last, dividends["ex_date"].max())
    rows = adjusted_series.adjusted(daily.read(settings.lake_dir, wanted, first, through), actions)
    return rows if last is None else rows.filter(pl.col("date") <= last)


def _intraday_adjusted(settings: Settings, rows: pl.DataFrame, tz: str | None) -> pl.DataFrame:
    """Intraday `rows` adjusted by the published corporate actions, with the factors of the daily
    bar of each session (lib/intraday/adjusted.py); `ts` in UTC or `tz`."""
    if rows.height:
        symbols = sorted(set(rows["symbol"]))
        first, last = rows["session"].min(), rows["session"].max()
        actions = _actions(settings, symbols, first)
        through = max(last, actions["ex_date"].max()) if actions.height else last
        # From a little before the first session: the currency of a session with no daily bar
        # comes from the last daily bar before it.
        closes = daily.read(settings.lake_dir, symbols, first - dt.timedelta(days=CURRENCY_LOOKBACK_DAYS),
                            through, columns=["symbol", "date", "close", "currency"])
        rows = intraday_adjusted.adjusted(rows.with_columns(pl.col("ts").dt.replace_time_zone(None)),
                                          actions, closes)
    else:
        rows = pl.DataFrame(schema=intraday_adjusted.INTRADAY_ADJUSTED)
    rows = rows.with_columns(pl.col("ts").dt.replace_time_zone("UTC"))
    return rows if tz is None else rows.with_columns(pl.col("ts").dt.convert_time_zone(tz))


def _actions(settings: Settings, wanted: list[str] | None, after: dt.date | None) -> pl.DataFrame:
    """The published corporate actions of `wanted` with an ex-date after `after` (only those
    adjust a row dated `after` or later)."""
    query = "SELECT symbol, ex_date, kind, value FROM prices.corporate_actions WHERE ex_date > ?"
    params: list = [after or dt.date.min]
    if wanted is not None:
        query += " AND list_contains(?, symbol)"
        params.append(wanted)
    return sql(query, params, data_dir=settings.data_dir)


def stream_prices(symbols: Sequence[str] | None, start=None, end=None, *, data_dir: Path | str | None = None,
                  tz: str | None = None) -> pl.DataFrame:
    """1-minute bars streamed by `python -m stock_assets.stream` (`prices.stream_prices`) of
    `symbols` (None: all) on the UTC days `start`..`end` inclusive, ordered by symbol and `ts`
    (the minute's start, UTC; in `tz` when given). Straight from the lake, no lock (ADR 0027)."""
    first, last = _date(start, "start"), _date(end, "end")
    if first and last and first > last:
        raise ValueError(f"start {first} is after end {last}")
    return streamed.read(_settings(data_dir).lake_dir, _symbols(symbols), first, last, tz)


def connect(*, data_dir: Path | str | None = None) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection on the published copy of the warehouse, read-only; close it when done.

    Hold it as long as you like: runs never wait for it. Its tables are as of the run that
    published the copy (reconnect to see a newer one); `prices.daily_ohlcv` reads the lake
    at query time. Raises NotPublished when no run has published a copy yet.
    """
    return published.open_read_only(_settings(data_dir).warehouse_path)


def sql(query: str, params: Sequence | dict | None = None, *,
        data_dir: Path | str | None = None) -> pl.DataFrame:
    """Run a parameterised query on a fresh connection to the published copy; a polars frame."""
    conn = connect(data_dir=data_dir)
    try:
        return conn.execute(query, params or []).pl()
    finally:
        conn.close()
