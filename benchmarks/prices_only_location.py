"""The stock_assets code location plus a job that only fetches and stores prices (no checks).

Benchmark-only, for bench_one_day.py's floor: what one day costs when the run does nothing but
the fetch and the lake write, i.e. the least a `daily_prices_job` could ever cost.
"""

import dagster as dg

import stock_assets.definitions as location

prices_only_job = dg.define_asset_job(
    "prices_only_job",
    selection=dg.AssetSelection.assets("daily_ohlcv").without_checks(),
    partitions_def=location.defs.resolve_assets_def("daily_ohlcv").partitions_def,
)

defs = dg.Definitions.merge(location.defs, dg.Definitions(jobs=[prices_only_job]))
