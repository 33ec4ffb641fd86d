"""The ticker universe: listing sources, the `ticker_universe` asset, its checks and automation."""

import dagster as dg

from stock_assets.defs.universe.assets import ticker_universe
from stock_assets.defs.universe.checks import universe_checks
from stock_assets.defs.universe.new_listings import new_listing_history_job, new_listings_sensor
from stock_assets.defs.universe.schedule import monthly_universe_refresh

defs = dg.Definitions(
    assets=[ticker_universe],
    asset_checks=universe_checks,
    jobs=[new_listing_history_job],
    sensors=[new_listings_sensor],
    schedules=[monthly_universe_refresh],
)
