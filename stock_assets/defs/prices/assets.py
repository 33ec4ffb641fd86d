"""`daily_ohlcv` and `corporate_actions`: one fetch per run, two stored assets.

Why one multi-asset: the same Yahoo answer carries bars and splits/dividends; fetching twice
would double the load on a rate-limited API. It is subsettable, so either asset can be
materialised alone from the UI.
"""


import datetime as dt
import json
import time

import dagster as dg
import polars as pl
from pydantic import Field

from stock_assets.defs.partitions import trading_days, window_days
from stock_assets.defs.prices import nightly_fetch, records
from stock_assets.defs.prices.sources import FetchResult, PriceSource
from stock_assets.defs.prices.step_retry import retried_when_transient
from stock_assets.storage import dead_letter
from stock_assets.storage.resource import WarehouseResource
from stock_assets.lib import calendar, markdown, market_sessions, self_heal
from stock_assets.lib.schema import CORPORATE_ACTIONS, DAILY_OHLCV

OWNERS = ["team:data-platform"]


class DailyPricesConfig(dg.Config):
    """Per-run choices a person makes in the launchpad; the defaults are the nightly run."""

    full_refetch: bool = Field(default=False, description=(
        "Fetch every symbol for every session of the window again, replacing stored rows "
        "(default: fetch only what each symbol lacks)."))
    release_dead_letters: list[str] = Field(default=[], description=(
        "Symbols to take out of ops.dead_letter before fetching (re-enable by hand)."))
    release_all_dead_letters: bool = Field(default=False, description="Re-enable every dead-lettered symbol.")
    allow_stale_universe: bool = Field(default=False, description=(
        "Let a nightly run fetch although the ticker universe is older than 35 days (the monthly "
        "scrape failed); without it such a run fails with an alert. ADR 0014."))


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def refuse_stale_universe(context: dg.AssetExecutionContext, wh, sessions: list[dt.date],
                          config: DailyPricesConfig) -> None:
    """A nightly run with a universe older than 35 days stops, clearly, unless a person allowed it.

    Only runs the nightly schedule launched (its trigger tag, kept by a re-execution): a backfill
    of old history is not about today's listings. The failure is a failed run, which the
    run_failure_alerts sensor reports with this message.
    """
    if context.run.tags.get(self_heal.TRIGGER_TAG) != self_heal.NIGHTLY_TRIGGER or not sessions:
        return
    refreshed = records.universe_refreshed_at(wh)
    reason = self_heal.stale_universe(refreshed, max(sessions))
    if reason is None:
        return
    if config.allow_stale_universe:
        context.log.warning(f"allowed by run config (allow_stale_universe): {reason}")
        return
    raise dg.Failure(description=reason, metadata={
        "universe_refreshed_at": str(refreshed), "session": max(sessions).isoformat(),
        "max_universe_age_days": self_heal.MAX_UNIVERSE_AGE_DAYS,
        "override": self_heal.OVERRIDE_CONFIG})


def refuse_unclosed(days: list[dt.date], now: dt.datetime,
                    calendars: tuple[str, ...] = (calendar.EXCHANGE,)) -> market_sessions.SessionPlan:
    """A day on which no market in use has closed yet has no final bar: refuse it, clearly.

    Returns the plan: each calendar's closed sessions among `days`, and the markets still
    trading on a day another market has closed (pending: a later run fetches them).
    """
    try:
        return market_sessions.plan(days, calendars, now.replace(tzinfo=dt.UTC))
    except market_sessions.SessionNotClosed as err:
        raise dg.Failure(description=f"{err} Run this partition after the market's close (16:30 ET for NYSE).",
                         metadata={"partition": err.day.isoformat()}) from None


@dg.multi_asset(
    outs={
        "daily_ohlcv": dg.AssetOut(
            io_manager_key="lake_io_manager",
            description=(
                "Daily OHLCV bars, one row per (date, symbol), stored **as traded that day** in "
                "the Parquet lake (`lake/daily_ohlcv/date=YYYY-MM-DD/data.parquet`) and queryable "
                "as the DuckDB view `prices.daily_ohlcv`. Holidays are empty partitions."
            ),
            kinds={"polars", "parquet", "duckdb"},
            owners=OWNERS,
            tags={"domain": "prices", "layer": "lake"},
            metadata={"dagster/table_name": "prices.daily_ohlcv"},
            is_required=False,
            # QA (docs/quality.md#freshness): a new session is expected after each NYSE close
            # (16:00 ET); stale if not materialised between 16:00 and 20:00 ET on a weekday.
            freshness_policy=dg.FreshnessPolicy.cron(
                deadline_cron="0 20 * * 1-5", lower_bound_delta=dt.timedelta(hours=4),
                timezone="America/New_York"),
        ),
        "corporate_actions": dg.AssetOut(
            io_manager_key="warehouse_io_manager",
            description=(
                "Splits and dividends by ex-date (`prices.corporate_actions`), from the same fetch "
                "as the bars; the adjusted view derives from them."
            ),
            kinds={"polars", "duckdb"},
            owners=OWNERS,
            tags={"domain": "prices", "layer": "warehouse"},
            metadata={"dagster/table_name": "prices.corporate_actions"},
            is_required=False,
        ),
    },
    partitions_def=trading_days,
    backfill_policy=dg.BackfillPolicy.single_run(),
    deps=[dg.AssetKey("ticker_universe")],
    group_name="prices",
    can_subset=True,
)
def daily_prices(context: dg.AssetExecutionContext, config: DailyPricesConfig, source: PriceSource,
                 warehouse: WarehouseResource):
    """Fetch what each symbol of the universe lacks for the run's sessions; store bars and actions.

    Transient failures (warehouse lock, network) are retried on FETCH_RETRY_POLICY's schedule;
    everything else, a Terminate included, ends the step at once (step_retry.py).
    """
    with retried_when_transient(context):
        yield from _fetch_and_store(context, config, source, warehouse)


def _fetch_and_store(context: dg.AssetExecutionContext, config: DailyPricesConfig, source: PriceSource,
                     warehouse: WarehouseResource):
    days = window_days(context)
    now = _utcnow()
    wh = warehouse.open()
    universe, calendars = _universe_calendars(wh, days)
    plan = refuse_unclosed(days, now, tuple(sorted(set(calendars.values()))))
    sessions = plan.all_sessions
    own = {s: plan.for_symbol(c) for s, c in calendars.items()}
    for name, pending in sorted(plan.pending.items()):
        context.log.info(f"{name}: {', '.join(map(str, pending))} still trading; left for a run after its close")
    lake = warehouse.lake
    started = time.monotonic()
    run_id = context.run.run_id
    refuse_stale_universe(context, wh, sessions, config)
    _release_dead_letters(context, wh, config)
    upgraded = records.upgrade_old_files(lake, wh)
    if upgraded:
        context.log.info(f"lake upgrade: {len(upgraded)} daily_ohlcv file(s) from before the currency column "
                         "now hold it (ADR 0020)")
    stored = records.stored_rows(lake, days)
    refetched: list[str] = []
    unmarketed = records.unknown_markets(wh, [s for s in universe if s not in calendars], max(days))
    if unmarketed:
        context.log.warning(f"{len(unmarketed)} symbol(s) of unknown market, not asked, recorded as YFMARKET: "
                            + "; ".join(f"{f.symbol} ({f.message})" for f in unmarketed[:10]))
    if sessions:
        symbols = [s for s in universe if own.get(s)]
        context.log.info(f"fetching {len(symbols)} symbols x {len(sessions)} sessions from {source.provider} "
                         f"(markets: {', '.join(n for n, d in sorted(plan.sessions.items()) if d)})")
        previous = records.previous_closes(lake, min(sessions))
        try:
            result, refetched = nightly_fetch.fetch_lacking(
                source, symbols, sessions, stored, previous, context.log.info, config.full_refetch, own)
        except (dg.DagsterExecutionInterruptedError, KeyboardInterrupt) as err:
            _record_cancelled(context, wh, err, symbols, sessions, source.provider, started, now)
            raise
    else:
        symbols = []
        result = FetchResult.empty()
        context.log.info(f"{days[0]}..{days[-1]}: every market in use closed (holiday or weekend); storing zero rows")
    bars, refused = records.quarantine(result.bars, max(sessions) if sessions else None)
    bars, wrong_unit = records.unit_quarantine(bars, previous if sessions else {},
                                               result.actions.filter(pl.col("kind") == "split"),
                                               max(sessions) if sessions else None)
    failures = result.failures + refused + wrong_unit
    skipped = records.skipped_as_dead(wh, min(sessions), max(sessions)) if sessions else []
    report = records.record_fetch(wh, result, failures, run_id, source.provider, sessions,
                                  len(symbols), time.monotonic() - started, now, skipped + unmarketed)
    if skipped:
        context.log.info(f"dead letter: {len(skipped)} symbol(s) skipped, recorded as YFDEAD: "
                         f"{', '.join(f.symbol for f in skipped[:20])}")
    records.record_actions_seen(wh, result.actions, run_id, now)
    newly_dead = dead_letter.update(wh, {f.symbol: (str(f.code), f.message) for f in failures}, now) if sessions else []
    if newly_dead:
        context.log.warning(f"dead letter: {len(newly_dead)} symbol(s) failed {dead_letter.NIGHTS_TO_DEAD_LETTER} "
                            f"nights in a row and are skipped from now on: {', '.join(newly_dead[:20])}")
    context.log.info(f"fetch report: {json.dumps(report, default=str)}")
    fresh = bars.with_columns(ingested_at=pl.lit(now), run_id=pl.lit(run_id)).select(list(DAILY_OHLCV))
    kept = stored.join(fresh.select("date", "symbol"), on=["date", "symbol"], how="anti") if stored.height else stored
    stamped = pl.concat([kept.select(list(DAILY_OHLCV)), fresh], how="vertical_relaxed").sort("date", "symbol")
    if "daily_ohlcv" in context.op_execution_context.selected_output_names:
        meta = _bars_metadata(stamped, days, sessions, symbols, failures)
        meta.update(_market_metadata(stamped, calendars, plan))
        meta["markets_unknown"] = dg.MetadataValue.json({f.symbol: f.message for f in unmarketed})
        meta.update(_report_metadata(report, refetched, newly_dead, fresh.height))
        meta["dead_letter_skipped"] = dg.MetadataValue.int(wh.count("ops.dead_letter"))
        yield dg.Output(stamped, output_name="daily_ohlcv", metadata=meta)
        # Resumed once the lake IO manager has written the days: point the warehouse's lake
        # views at them here, inside the step's retry (a lock held too long is retried).
        wh.ensure_schema()
    if "corporate_actions" in context.op_execution_context.selected_output_names:
        actions = _window_actions(wh, result, days, now, run_id)
        yield dg.Output(actions, output_name="corporate_actions", metadata=_actions_metadata(actions))


def _window_actions(wh, result: FetchResult, days, now, run_id) -> pl.DataFrame:
    """Fetched actions dated in the window, plus stored ones not fetched again (never lost)."""
    if not days:
        return pl.DataFrame(schema=CORPORATE_ACTIONS)
    fetched = (result.actions.filter(pl.col("ex_date").is_between(min(days), max(days)))
               .with_columns(ingested_at=pl.lit(now), run_id=pl.lit(run_id)).select(list(CORPORATE_ACTIONS)))
    stored = records.stored_actions(wh, days).select(list(CORPORATE_ACTIONS)).cast(CORPORATE_ACTIONS)
    both = pl.concat([fetched.cast(CORPORATE_ACTIONS), stored], how="vertical_relaxed")
    return both.unique(subset=["symbol", "ex_date", "kind"], keep="first", maintain_order=True).sort("ex_date", "symbol")


def _release_dead_letters(context, wh, config: DailyPricesConfig) -> None:
    if config.release_all_dead_letters:
        count = dead_letter.release_all(wh)
        context.log.info(f"dead letter: re-enabled all {count} symbol(s) (run config)")
    elif config.release_dead_letters:
        count = dead_letter.release(wh, config.release_dead_letters, reason="re-enabled by a person")
        context.log.info(f"dead letter: re-enabled {count} of {len(config.release_dead_letters)} symbol(s) (run config)")


def _record_cancelled(context, wh, err, symbols, sessions, provider, started, now) -> None:
    """Stopped mid-fetch: nothing is yielded (so nothing lands); the unfetched are recorded."""
    unfetched = list(getattr(err, "unfetched_symbols", symbols))
    failures = nightly_fetch.cancelled_failures(unfetched, max(sessions))
    records.record_fetch(wh, FetchResult.empty(), failures, context.run.run_id, provider, sessions,
                         len(symbols), time.monotonic() - started, now)
    context.log.warning(f"run stopped mid-fetch: nothing stored; {len(unfetched)} symbol(s) recorded as YFCANCELLED")


def _universe_calendars(wh, days: list[dt.date]) -> tuple[list[str], dict[str, str]]:
    """The symbols to fetch and each one's calendar; none when no market in CALENDARS traded.

    A window no market trades in (a weekend-only or all-holiday range) needs no universe.
    """
    if not any(calendar.is_session(d, n) for d in days for n in calendar.CALENDARS):
        return [], {}
    try:
        symbols = records.symbols_for(wh, min(days))
    except records.UniverseMissing as err:
        if not any(calendar.is_session(d) for d in days):
            return [], {}
        raise dg.Failure(description=str(err)) from err
    return symbols, records.symbol_calendars(wh, symbols)


def _market_metadata(bars: pl.DataFrame, calendars: dict[str, str], plan) -> dict:
    """Rows, symbols and sessions per market (calendar): the run's view beyond the US."""
    if not calendars:
        return {}
    cal = pl.DataFrame({"symbol": list(calendars), "calendar": list(calendars.values())})
    per = (bars.join(cal, on="symbol", how="left").group_by("calendar")
           .agg(rows=pl.len(), symbols=pl.col("symbol").n_unique(), currency=pl.col("currency").drop_nulls().unique().sort().str.join(",")))
    table = {r["calendar"]: {"rows": r["rows"], "symbols": r["symbols"], "currency": r["currency"],
                             "sessions": [str(d) for d in plan.sessions.get(r["calendar"], [])]}
             for r in per.iter_rows(named=True)}
    return {"markets": dg.MetadataValue.json(table),
            "markets_pending": dg.MetadataValue.json({k: [str(d) for d in v] for k, v in plan.pending.items()})}


def _bars_metadata(bars: pl.DataFrame, days, sessions, symbols, failures) -> dict:
    closed = [d.isoformat() for d in days if d not in set(sessions)]
    by_code: dict[str, int] = {}
    for f in failures:
        by_code[str(f.code)] = by_code.get(str(f.code), 0) + 1
    meta = {
        "dagster/row_count": dg.MetadataValue.int(bars.height),
        "rows": dg.MetadataValue.int(bars.height),
        "symbols": dg.MetadataValue.int(bars["symbol"].n_unique() if bars.height else 0),
        "symbols_requested": dg.MetadataValue.int(len(symbols)),
        "symbols_missing": dg.MetadataValue.int(len({f.symbol for f in failures})),
        "sessions": dg.MetadataValue.int(len(sessions)),
        "first_date": dg.MetadataValue.text(str(bars["date"].min()) if bars.height else "-"),
        "last_date": dg.MetadataValue.text(str(bars["date"].max()) if bars.height else "-"),
        "market_closed": dg.MetadataValue.json(closed),
        "failures_by_code": dg.MetadataValue.json(by_code),
        "preview": dg.MetadataValue.md(markdown.table(bars.drop("ingested_at", "run_id").head(10))),
        "dagster/column_schema": dg.TableSchema(
            columns=[dg.TableColumn(name, str(dtype)) for name, dtype in DAILY_OHLCV.items()]
        ),
    }
    if failures:
        meta["failures"] = dg.MetadataValue.md(markdown.table(
            pl.DataFrame({"symbol": [f.symbol for f in failures], "code": [str(f.code) for f in failures],
                          "message": [f.message for f in failures]})))
    return meta


def _actions_metadata(actions: pl.DataFrame) -> dict:
    return {
        "dagster/row_count": dg.MetadataValue.int(actions.height),
        "splits": dg.MetadataValue.int(actions.filter(pl.col("kind") == "split").height),
        "dividends": dg.MetadataValue.int(actions.filter(pl.col("kind") == "dividend").height),
        "preview": dg.MetadataValue.md(markdown.table(actions.drop("ingested_at", "run_id"))),
    }


def _report_metadata(report: dict, refetched: list[str], newly_dead: list[str], new_rows: int) -> dict:
    return {
        "fetch_report": dg.MetadataValue.json(report),
        "new_rows": dg.MetadataValue.int(new_rows),
        "already_stored_symbols": dg.MetadataValue.int(int(report.get("already_stored", 0))),
        "latency_p50_ms": dg.MetadataValue.float(float(report["latency_p50_ms"] or 0.0)),
        "latency_p95_ms": dg.MetadataValue.float(float(report["latency_p95_ms"] or 0.0)),
        "refetch_share": dg.MetadataValue.float(float(report["refetch_share"])),
        "completeness": dg.MetadataValue.float(float(report["completeness"])),
        "refetched_symbols": dg.MetadataValue.json(refetched),
        "dead_lettered_tonight": dg.MetadataValue.json(newly_dead),
    }
