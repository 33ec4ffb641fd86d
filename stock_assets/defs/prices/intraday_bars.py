"""`intraday_bars`: 1-minute bars of the watchlist per trading day, and 5m-1h derived from them.

Thin on purpose: which pairs to fetch and how they merge is lib/intraday/store.py, parsing
and resampling lib/intraday/, the fetch is the `PriceSource` (Yahoo: yahoo/intraday.py).
A partition is a session date; it holds every market's bars of that date (a CME session
that opened the evening before included). Each (interval, day) file is replaced whole and
atomically (storage/lake.py), so a rerun stores the same rows again, never twice. A closed
month's files are then copied into one month file per interval for fast reads
(storage/intraday_months.py, ADR 0023); the day files stay the truth.
"""


import datetime as dt
import time
from typing import Literal

import dagster as dg
import polars as pl
from pydantic import Field

from stock_assets.defs.partitions import trading_days, window_days
from stock_assets.defs.prices import intraday_crosscheck
from stock_assets.defs.prices.sources import FetchFailure, PriceSource
from stock_assets.defs.prices.watchlist import IntradayWatchlist
from stock_assets.lib import markdown
from stock_assets.lib.intraday import crosscheck, sessions, store
from stock_assets.lib.intraday.schema import INTRADAY_BARS
from stock_assets.storage import intraday_months
from stock_assets.storage.intraday_views import TABLE
from stock_assets.storage.resource import WarehouseResource

OWNERS = ["team:data-platform"]
ERROR_PREFIX = "intraday 1m: "


class IntradayConfig(dg.Config):
    """Per-run choices in the launchpad; the defaults are the nightly run."""

    full_refetch: bool = Field(default=False, description=(
        "Fetch every (symbol, session) again, replacing stored bars (default: only what is not stored)."))
    symbols: list[str] = Field(default=[], description="Fetch these symbols instead of the watchlist.")
    crosscheck_symbols: int = Field(default=crosscheck.DEFAULT_SAMPLE_SIZE, ge=0, description=(
        "How many watchlist symbols (rotating by session date) have their derived bars compared with "
        "the source's own bars of `crosscheck_interval` (one extra request each; 0: none)."))
    crosscheck_interval: Literal["5m", "15m", "30m", "1h"] = Field(default=crosscheck.DEFAULT_INTERVAL, description=(
        "The derived interval the sample compares with the source's own."))


def table_for(interval: str) -> str:
    """The lake table of one interval: `intraday_bars/interval=5m`."""
    sessions.minutes_of(interval)
    return f"{TABLE}/interval={interval}"


def read_stored(lake, days: list[dt.date], intervals=tuple(sessions.INTERVALS)) -> pl.DataFrame:
    frames = [lake.read_range(table_for(i), min(days), max(days), INTRADAY_BARS) for i in intervals]
    return pl.concat(frames, how="vertical_relaxed") if frames else pl.DataFrame(schema=INTRADAY_BARS)


def refuse_unclosed(days: list[dt.date], calendars: set[str], now: dt.datetime) -> None:
    """Bars of a session still trading are not final: refuse the day, saying when it closes."""
    for day in days:
        for cal in sorted(calendars):
            win = sessions.window(cal, day)
            if win is not None and now < win.close:
                raise dg.Failure(
                    description=f"session {day} of {cal} has not closed yet (it closes {win.close:%Y-%m-%d %H:%M} "
                                "UTC); intraday bars of a day are stored once every market in the watchlist closed.",
                    metadata={"partition": day.isoformat(), "calendar": cal})


@dg.asset(
    partitions_def=trading_days,
    backfill_policy=dg.BackfillPolicy.single_run(),
    group_name="prices",
    deps=[dg.AssetKey("ticker_universe")],
    check_specs=[intraday_crosscheck.SPEC],
    kinds={"polars", "parquet", "duckdb"},
    owners=OWNERS,
    tags={"domain": "prices", "layer": "lake"},
    metadata={"dagster/table_name": "prices.intraday_bars",
              "intervals": ", ".join(sessions.INTERVALS), "fetched": sessions.FETCHED,
              "derived": ", ".join(sessions.DERIVED)},
    description=(
        "Intraday bars of the watchlist (`STOCK_ASSETS_INTRADAY_SYMBOLS`) at 1m, 5m, 15m, 30m and 1h, "
        "per session date, in the lake (`lake/intraday_bars/interval=<i>/date=YYYY-MM-DD/data.parquet`) "
        "and the view `prices.intraday_bars` (`ts` UTC bar start). 1m is fetched; the coarser intervals "
        "are derived exactly, aligned to each session's open (ADR 0021). Days past Yahoo's retention "
        "are recorded as lost (`YFTOOOLD`, ADR 0022)."
    ),
)
def intraday_bars(context: dg.AssetExecutionContext, config: IntradayConfig, source: PriceSource,
                  warehouse: WarehouseResource, intraday_watchlist: IntradayWatchlist) -> dg.MaterializeResult:
    """Fetch what the watchlist lacks for the run's days at 1m, derive the rest, replace the days' files."""
    days = window_days(context)
    wh = warehouse.open()
    wh.ensure_schema()
    lake = warehouse.lake
    symbols = [s.strip().upper() for s in config.symbols] or intraday_watchlist.symbols(wh)
    calendars = intraday_watchlist.calendars(wh, symbols)
    now = dt.datetime.now(dt.UTC)
    refuse_unclosed(days, set(calendars.values()), now)
    stored = read_stored(lake, days)
    stored_1m = stored.filter(pl.col("interval") == sessions.FETCHED)
    todo = store.lacking(symbols, days, calendars, stored_1m.clear() if config.full_refetch else stored_1m)
    want_days = sorted({d for ds in todo.values() for d in ds})
    context.log.info(f"intraday: {len(symbols)} symbols x {len(days)} days; {len(todo)} symbols lack "
                     f"{sum(map(len, todo.values()))} symbol-sessions at {sessions.FETCHED} ({source.provider})")
    started = time.monotonic()
    if todo:
        result = source.fetch_intraday(sorted(todo), want_days, calendars, now.date(), context.log.info)
        fresh = result.bars.join(pl.DataFrame([(s, d) for s, ds in todo.items() for d in ds],
                                              schema={"symbol": pl.String, "session": pl.Date}, orient="row"),
                                 on=["symbol", "session"], how="semi")
        failures = [f for f in result.failures if f.session in todo.get(f.symbol, [])]
    else:
        fresh, failures = stored_1m.clear().drop("ingested_at", "run_id"), []
    merged = store.merge(stored, fresh, calendars, now.replace(tzinfo=None), context.run.run_id)
    counts = _write(lake, days, merged)
    # Closed months get (or refresh) their month file, the fast read path (ADR 0023).
    compacted = intraday_months.compact_closed(lake.root, now.date())
    wh.refresh_views()
    _record_failures(wh, failures, context.run.run_id, days, now.replace(tzinfo=None))
    sampled, not_compared = intraday_crosscheck.evaluate(source, merged, symbols, calendars, days, now.date(),
                                                         config.crosscheck_symbols, config.crosscheck_interval)
    checked = intraday_crosscheck.check_result(wh, sampled, not_compared, config.crosscheck_interval, days,
                                               context.run.run_id, now.replace(tzinfo=None))
    by_code: dict[str, int] = {}
    for f in failures:
        by_code[str(f.code)] = by_code.get(str(f.code), 0) + 1
    if failures:
        context.log.warning(f"intraday: {len(failures)} symbol-session(s) not fetched: {by_code}")
    preview = merged.filter(pl.col("interval") == "1h").sort("symbol", "ts").head(10)
    return dg.MaterializeResult(metadata={
        "rows": merged.height,
        "rows_by_interval": dg.MetadataValue.json(counts),
        "symbols": len(symbols),
        "fetched_symbol_sessions": fresh.select("symbol", "session").n_unique() if fresh.height else 0,
        "failures_by_code": dg.MetadataValue.json(by_code),
        "lost_days": dg.MetadataValue.json(sorted({str(f.session) for f in failures if str(f.code) == "YFTOOOLD"})),
        "fetch_seconds": round(time.monotonic() - started, 3),
        "months_compacted": dg.MetadataValue.json(compacted),
        "preview": dg.MetadataValue.md(markdown.table(preview) if preview.height else "(no bars)"),
    }, check_results=[checked])


def _write(lake, days: list[dt.date], merged: pl.DataFrame) -> dict[str, int]:
    """Replace every (interval, day) file of the run's days; rows per interval."""
    outside = merged.filter(~pl.col("session").is_in(days))
    if outside.height:
        raise dg.Failure(description=f"{outside.height} bars have sessions outside the run's days; nothing stored")
    counts = {}
    for interval in sessions.INTERVALS:
        part = merged.filter(pl.col("interval") == interval)
        for day in days:
            rows = part.filter(pl.col("session") == day).sort("symbol", "ts")
            lake.write_partition(table_for(interval), day, rows, INTRADAY_BARS)
        counts[interval] = part.height
    return counts


def _record_failures(wh, failures: list[FetchFailure], run_id: str, days: list[dt.date], now: dt.datetime) -> None:
    errors = pl.DataFrame(
        {"run_id": run_id, "session": [f.session for f in failures], "symbol": [f.symbol for f in failures],
         "code": [str(f.code) for f in failures], "message": [(ERROR_PREFIX + f.message)[:500] for f in failures],
         "attempts": [f.attempts for f in failures], "recorded_at": now},
        schema={"run_id": pl.String, "session": pl.Date, "symbol": pl.String, "code": pl.String,
                "message": pl.String, "attempts": pl.Int32, "recorded_at": pl.Datetime("us")},
    ).unique(subset=["symbol", "session"], keep="first")
    wh.replace_rows("ops.fetch_errors", errors, "run_id = ? AND session BETWEEN ? AND ? AND message LIKE ?",
                    [run_id, min(days), max(days), ERROR_PREFIX + "%"])
