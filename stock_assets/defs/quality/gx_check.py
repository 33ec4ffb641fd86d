"""The Great Expectations suite as a blocking asset check on `daily_ohlcv`.

GX is imported inside the check (lib/qa/gx.py) so that loading the code location and every
other step stay fast; the context is ephemeral, so nothing is written to the repository.
"""

import dagster as dg

from stock_assets.defs.partitions import parse_partition_key, trading_days
from stock_assets.defs.quality import recorder
from stock_assets.defs.quality.price_checks import ASSET, _utcnow
from stock_assets.defs.quality.results import check_result
from stock_assets.lib.qa import gx as qa_gx
from stock_assets.lib.qa.catalog import CHECKS
from stock_assets.lib.schema import DAILY_OHLCV
from stock_assets.storage.resource import WarehouseResource

NAME = "great_expectations"
READ_DAYS = 20  # partition days read from the lake at a time
# Rows validated at once: GX pays ~0.2 s per validation whatever its size, so a 10-year range
# of 500 symbols goes in ~6 validations instead of 130, and memory stays bounded (~50 MB of pandas).
CHUNK_ROWS = 250_000


@dg.asset_check(
    asset=ASSET, name=NAME, blocking=True, partitions_def=trading_days,
    description=f"[ERROR] {CHECKS[NAME].rule} Expectations: columns, required fields, prices > 0, "
                "volume >= 0, low <= close <= high, unique (date, symbol), symbol format.",
    metadata={"qa_severity": "ERROR", "suite": qa_gx.SUITE_NAME, "docs": "docs/quality.md#great_expectations"},
)
def great_expectations_check(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource) -> dg.AssetCheckResult:
    days = sorted(parse_partition_key(k) for k in context.partition_keys)
    lake = warehouse.lake
    reads = ((part[-1], lake.read_range("daily_ohlcv", part[0], part[-1], DAILY_OHLCV))
             for part in (days[i:i + READ_DAYS] for i in range(0, len(days), READ_DAYS)))
    outcome = qa_gx.run_suite_chunks(qa_gx.rechunk(reads, CHUNK_ROWS))
    context.log.info(outcome.description)
    recorder.record(warehouse.open(), [(NAME, "ERROR", outcome)], days, context.run.run_id, _utcnow())
    return check_result(NAME, outcome)
