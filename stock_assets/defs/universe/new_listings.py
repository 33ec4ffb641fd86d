"""New listings get their history: a sensor on `ticker_universe` and one bounded merge run.

When a scrape adds symbols (new or relisted), `new_listings_sensor` launches ONE run of
`new_listing_history_job` for all of them. The run fetches `lookback_days` of history
through the `source: PriceSource` resource and merges it into the `daily_ohlcv` lake
partitions that already exist, replacing only those symbols' rows that it has a new bar for
(`ParquetLake.merge_symbols`): other symbols' rows are untouched, a stored bar the answer lacks
is kept (a partial answer never erases history), and a second run leaves the same rows.

Why only existing partitions: a day the nightly run has not written yet will be written whole
by it (with the new symbols, since they are now in the universe); creating a partition here
would make it look complete when it holds only the new symbols.
"""

import datetime as dt
import time

import dagster as dg
import polars as pl
from pydantic import Field, field_validator

from stock_assets.defs.prices import records
from stock_assets.defs.prices.sources import PriceSource
from stock_assets.lib import calendar, config_checks
from stock_assets.lib.schema import CORPORATE_ACTIONS, DAILY_OHLCV
from stock_assets.lib.symbols import InvalidSymbol, validate
from stock_assets.storage.resource import WarehouseResource

TABLE = "daily_ohlcv"
DEFAULT_LOOKBACK_DAYS = 365


class NewListingHistoryConfig(dg.Config):
    """Which symbols to backfill, and how far back."""

    symbols: list[str] = Field(description="Yahoo symbols whose history is merged into the lake.")
    lookback_days: int = Field(default=DEFAULT_LOOKBACK_DAYS, ge=1, description="Calendar days of history to merge.")
    as_of: str | None = Field(default=None, description=(
        "Last day of the window (YYYY-MM-DD); default: the latest closed NYSE session."))

    _as_of = field_validator("as_of")(config_checks.iso_date)


def merge_days(existing: list[dt.date], end: dt.date, lookback_days: int) -> list[dt.date]:
    """Sessions in (end - lookback_days, end] whose lake partition already exists."""
    start = end - dt.timedelta(days=lookback_days)
    return sorted(d for d in existing if start < d <= end and calendar.is_session(d))


@dg.op(
    description=(
        "Fetch the history of newly listed symbols and merge it into the existing daily_ohlcv "
        "partitions (symbol-subset write); emits a materialization per touched partition."
    ),
    tags={"domain": "universe"},
    out={},  # the op's product is the merged partitions, reported as AssetMaterializations
)
def merge_new_listing_history(
    context: dg.OpExecutionContext, config: NewListingHistoryConfig,
    source: PriceSource, warehouse: WarehouseResource,
):
    symbols = _valid(context, config.symbols)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    end = dt.date.fromisoformat(config.as_of) if config.as_of else calendar.latest_closed_session(
        dt.datetime.now(dt.UTC))
    lake, wh = warehouse.lake, warehouse.open()
    days = merge_days(lake.partition_days(TABLE), end, config.lookback_days)
    if not symbols or not days:
        context.log.info(f"nothing to merge: {len(symbols)} symbols, {len(days)} existing partitions "
                         f"in the {config.lookback_days} days to {end}")
        return
    context.log.info(f"fetching {len(symbols)} new symbols x {len(days)} sessions ({days[0]}..{days[-1]})")
    started = time.monotonic()
    result = source.fetch_range(symbols, days, log=context.log.info)
    bars, refused = records.quarantine(result.bars, days[-1])
    failures = result.failures + refused
    records.record_fetch(wh, result, failures, context.run.run_id, source.provider, days,
                         len(symbols), time.monotonic() - started, now)
    failed = {f.symbol for f in failures}
    fetched = [s for s in symbols if s not in failed]  # a failed fetch never erases stored rows
    stamp = {"ingested_at": pl.lit(now), "run_id": pl.lit(context.run.run_id)}
    bars = bars.with_columns(**stamp).select(list(DAILY_OHLCV))
    by_day = {k[0]: part for k, part in bars.partition_by("date", as_dict=True).items()} if bars.height else {}
    for i, day in enumerate(days, 1):
        rows = lake.merge_symbols(TABLE, day, by_day.get(day, bars.clear()), DAILY_OHLCV, fetched)
        if i % 50 == 0:
            context.log.info(f"merged {i}/{len(days)} partitions")
        yield dg.AssetMaterialization(
            asset_key=TABLE, partition=day.isoformat(),
            description="New listings' history merged into this partition (other symbols untouched).",
            metadata={"merged_symbols": len(fetched), "merged_rows": rows, "source_run": "new_listing_history_job"},
        )
    _replace_actions(wh, result.actions.with_columns(**stamp), fetched, days)
    wh.refresh_views()
    context.log.info(f"merged {bars.height} rows of {len(fetched)} symbols into {len(days)} partitions; "
                     f"{len(failed)} symbols failed: {sorted(failed)[:20]}")


def _valid(context, raw: list[str]) -> list[str]:
    out = []
    for symbol in dict.fromkeys(raw):
        try:
            out.append(validate(symbol))
        except InvalidSymbol as err:
            context.log.warning(f"skipping {symbol!r}: {err.reason}")
    return out


def _replace_actions(wh, actions: pl.DataFrame, symbols: list[str], days: list[dt.date]) -> None:
    """Corporate actions of the merged symbols in the window: delete-then-insert (idempotent)."""
    if not symbols:
        return
    actions = actions.filter(pl.col("symbol").is_in(symbols)).select(list(CORPORATE_ACTIONS))
    wh.replace_rows("prices.corporate_actions", actions,
                    "symbol IN (SELECT unnest(?)) AND ex_date BETWEEN ? AND ?", [symbols, days[0], days[-1]])


@dg.job(
    name="new_listing_history_job",
    description="Merge the price history of newly listed symbols into existing daily_ohlcv partitions (one run).",
    tags={"domain": "universe"},
)
def new_listing_history_job():
    merge_new_listing_history()


@dg.asset_sensor(
    asset_key=dg.AssetKey("ticker_universe"),
    job=new_listing_history_job,
    name="new_listings_sensor",
    description=(
        "After a universe scrape that added symbols, launch one run that merges their history. Missed ticks: "
        "the next tick reads the newest ticker_universe materialisation since its cursor, so one scrape during "
        "a daemon outage is handled late, not lost; of several, only the newest scrape's symbols are merged "
        "(run new_listing_history_job for the others)."
    ),
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
)
def new_listings_sensor(context: dg.SensorEvaluationContext, asset_event: dg.EventLogEntry):
    materialization = asset_event.asset_materialization
    metadata = materialization.metadata if materialization else {}
    first = metadata.get("first_scrape")
    if first is not None and first.value:
        return dg.SkipReason("first scrape of the universe: history comes from the regular price backfill")
    listed = metadata.get("new_symbols_list")
    symbols = list(listed.value) if listed is not None else []
    if not symbols:
        return dg.SkipReason(f"the scrape in run {asset_event.run_id} added no symbols")
    return dg.RunRequest(
        run_key=f"new-listings-{asset_event.run_id}",
        run_config={"ops": {"merge_new_listing_history": {"config": {"symbols": symbols}}}},
        tags={"universe/scrape_run": asset_event.run_id, "universe/new_symbols": str(len(symbols))},
    )


