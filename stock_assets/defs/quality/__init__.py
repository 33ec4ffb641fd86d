"""The QA layer: asset checks on `daily_ohlcv`, the GX suite, and the qa tables (`qa_summary`)."""

import dagster as dg

from stock_assets.defs.quality.gx_check import great_expectations_check
from stock_assets.defs.quality.price_checks import daily_ohlcv_checks
from stock_assets.defs.quality.summary import qa_summary

# Compares each materialization's `dagster/column_schema` (emitted by daily_prices) with the
# previous one, so a column added, dropped or retyped is flagged even before the lake is read.
schema_change_checks = dg.build_column_schema_change_checks(assets=["daily_ohlcv"], severity=dg.AssetCheckSeverity.ERROR)

defs = dg.Definitions(
    assets=[qa_summary],
    asset_checks=[daily_ohlcv_checks, great_expectations_check, *schema_change_checks],
)
