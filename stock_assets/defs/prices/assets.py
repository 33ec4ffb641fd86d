"""`daily_ohlcv` and `corporate_actions`: one fetch per run, two stored assets.

Why one multi-asset: the same Yahoo answer carries bars and splits/dividends; fetching twice
would double the load on a rate-limited API. It is subsettable, so either asset can be
materialised alone from the UI.
"""


import datetime as dt
import time

import dagster as dg
import polars as pl

from stock_assets.defs.partitions import trading_days, window_days
from stock_assets.defs.prices import records
from stock_assets.defs.prices.sources import FetchResult, PriceSource
from stock_assets.storage.resource import WarehouseResource
from stock_assets.lib import calendar, markdown
from stock_assets.lib.schema import CORPORATE_ACTIONS, DAILY_OHLCV

OWNERS = ["team:data-platform"]


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def refuse_unclosed(days: list[dt.date], now: dt.datetime) -> None:
    """A session still trading (or in the future) has no final bar: refuse it, clearly."""
    aware = now.replace(tzinfo=dt.UTC)
    for day in days:
        if not calendar.has_closed(day, aware):
            closes = calendar.session_close(day) if calendar.is_session(day) else None
            when = f" (it closes {closes:%Y-%m-%d %H:%M} UTC)" if closes else ""
            raise dg.Failure(
                description=f"session {day} has not closed yet{when}; daily bars exist only after the close. "
                "Run this partition after 16:30 ET.",
                metadata={"partition": day.isoformat()},
            )


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
    pool="duckdb_warehouse",
)
def daily_prices(context: dg.AssetExecutionContext, source: PriceSource, warehouse: WarehouseResource):
    """Fetch every symbol of the universe for the run's sessions; store bars and actions."""
    days = window_days(context)
    now = _utcnow()
    refuse_unclosed(days, now)
    sessions = [d for d in days if calendar.is_session(d)]
    wh = warehouse.open()
    started = time.monotonic()
    if sessions:
        symbols = _symbols(wh, min(sessions))
        context.log.info(f"fetching {len(symbols)} symbols x {len(sessions)} sessions from {source.provider}")
        result = source.fetch_range(symbols, sessions, log=context.log.info)
    else:
        symbols = []
        result = FetchResult.empty()
        context.log.info(f"{days[0]}..{days[-1]}: market closed (XNYS holiday or weekend); storing zero rows")
    bars, refused = records.quarantine(result.bars, max(sessions) if sessions else None)
    failures = result.failures + refused
    records.record_fetch(wh, result, failures, context.run.run_id, source.provider, sessions,
                         len(symbols), time.monotonic() - started, now)
    run_id = context.run.run_id
    stamped = bars.with_columns(ingested_at=pl.lit(now), run_id=pl.lit(run_id)).select(list(DAILY_OHLCV))
    if "daily_ohlcv" in context.selected_output_names:
        yield dg.Output(stamped, output_name="daily_ohlcv", metadata=_bars_metadata(stamped, days, sessions, symbols, failures))
    if "corporate_actions" in context.selected_output_names:
        actions = result.actions.with_columns(ingested_at=pl.lit(now), run_id=pl.lit(run_id)).select(list(CORPORATE_ACTIONS))
        yield dg.Output(actions, output_name="corporate_actions", metadata=_actions_metadata(actions))


def _symbols(wh, start: dt.date) -> list[str]:
    try:
        return records.symbols_for(wh, start)
    except records.UniverseMissing as err:
        raise dg.Failure(description=str(err)) from err


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
