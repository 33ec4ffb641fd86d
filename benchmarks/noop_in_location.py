"""The no-op job after importing the stock_assets code location: bench_one_day.py's second baseline.

Benchmark-only. It separates what importing our code location costs (polars, DuckDB, every
domain's definitions) from what running `daily_prices_job` costs, in the ratio's breakdown.
"""

import dagster as dg

import stock_assets.definitions  # noqa: F401  (the import is what is measured)
from noop_definitions import noop_job

defs = dg.Definitions(jobs=[noop_job])
