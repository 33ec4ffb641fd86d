"""The QA layer: asset checks on `daily_ohlcv` and `ticker_universe`, and the qa tables."""

import dagster as dg

from stock_assets.defs.quality.price_checks import daily_ohlcv_foundation_checks

defs = dg.Definitions(asset_checks=[daily_ohlcv_foundation_checks])
