"""The stock_assets code location: everything Dagster loads, gathered from the domains."""

import dagster as dg

from stock_assets.defs import automation, dashboard, prices, quality, universe
from stock_assets.defs.executor import in_process_with_run_process
from stock_assets.defs.resources import resources

defs = dg.Definitions.merge(
    universe.defs, prices.defs, quality.defs, dashboard.defs, automation.defs,
    # In-process steps: one import of the code location per run instead of one per step
    # (~6 s each on 2 cores); steps here are sequential anyway (docs/performance.md, ADR 0003).
    # The executor also records each run's process and fails runs whose process died (ADR 0012).
    dg.Definitions(resources=resources(), executor=in_process_with_run_process),
)
