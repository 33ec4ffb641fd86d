"""The first asset checks on `daily_ohlcv`: what is stored in the lake is whole and sane.

Why they read the lake rather than the frame in memory: they check what people will query,
so they also catch a partition damaged after it was written, and they can be re-run alone
from the UI. ERROR checks are blocking: a failure stops downstream assets in the same run.
"""


import dagster as dg

from stock_assets.defs.partitions import parse_partition_key, trading_days
from stock_assets.defs.prices import records
from stock_assets.defs.quality.results import check_result
from stock_assets.storage.resource import WarehouseResource
from stock_assets.lib import calendar, validation
from stock_assets.lib.schema import DAILY_OHLCV


class CompletenessConfig(dg.Config):
    min_share: float = validation.DEFAULT_MIN_COMPLETENESS


FOUNDATION_CHECKS = [
    dg.AssetCheckSpec("schema", asset="daily_ohlcv", blocking=True, partitions_def=trading_days,
                      description="Columns and types are exactly those of docs/data_model.md."),
    dg.AssetCheckSpec("duplicates", asset="daily_ohlcv", blocking=True, partitions_def=trading_days,
                      description="One row per (date, symbol)."),
    dg.AssetCheckSpec("ohlc_consistency", asset="daily_ohlcv", blocking=True, partitions_def=trading_days,
                      description="low <= open, close <= high; all prices > 0; volume >= 0."),
    dg.AssetCheckSpec("completeness", asset="daily_ohlcv", blocking=True, partitions_def=trading_days,
                      description="Each session has a row for at least 97 % of the symbols the universe says were listed."),
]


@dg.multi_asset_check(specs=FOUNDATION_CHECKS, can_subset=True, name="daily_ohlcv_foundation_checks")
def daily_ohlcv_foundation_checks(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource):
    days = [parse_partition_key(k) for k in context.partition_keys]
    lake = warehouse.lake
    frame = lake.read_range("daily_ohlcv", min(days), max(days), DAILY_OHLCV) if days else None
    closed = [d.isoformat() for d in days if not calendar.is_session(d)]
    extra = {"market_closed": dg.MetadataValue.json(closed)} if closed else {}
    selected = {key.name for key in context.selected_asset_check_keys}
    if "schema" in selected:
        yield check_result("schema", validation.schema(frame), extra=extra)
    if "duplicates" in selected:
        yield check_result("duplicates", validation.duplicates(frame), extra=extra)
    if "ohlc_consistency" in selected:
        yield check_result("ohlc_consistency", validation.ohlc_consistency(frame), extra=extra)
    if "completeness" in selected:
        sessions = [d for d in days if calendar.is_session(d)]
        symbols = set(records.symbols_for(warehouse.open(), min(sessions))) if sessions else set()
        expected = {d: symbols for d in sessions}
        yield check_result("completeness", validation.completeness(frame, expected), extra=extra)

