"""The stock_assets code location: everything Dagster loads, gathered from the domains."""

import dagster as dg

from stock_assets.defs import automation, dashboard, prices, quality, universe
from stock_assets.defs.resources import resources

defs = dg.Definitions.merge(
    universe.defs, prices.defs, quality.defs, dashboard.defs, automation.defs,
    dg.Definitions(resources=resources()),
)
