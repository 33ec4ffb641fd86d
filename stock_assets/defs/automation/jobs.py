"""The jobs people and CI launch by name (`universe_job`, `daily_prices_job`)."""

import dagster as dg

universe_job = dg.define_asset_job(
    "universe_job",
    selection=dg.AssetSelection.assets("ticker_universe"),
    description="Refresh the ticker universe from the listing sources (and its checks).",
)

daily_prices_job = dg.define_asset_job(
    "daily_prices_job",
    selection=(
        dg.AssetSelection.assets("daily_ohlcv", "corporate_actions")
        | dg.AssetSelection.groups("quality")
    ),
    description=(
        "One trading day (or a range, as one run): prices, corporate actions, their checks and the QA summary. "
        "Run one day with --tags '{\"dagster/partition\": \"2024-06-03\"}'."
    ),
)
