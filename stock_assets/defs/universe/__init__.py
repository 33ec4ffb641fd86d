"""The ticker universe: listing sources, the `ticker_universe` asset and its checks."""

import dagster as dg

from stock_assets.defs.universe.assets import ticker_universe

defs = dg.Definitions(assets=[ticker_universe])
