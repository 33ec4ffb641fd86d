"""The jobs people, schedules, sensors and CI launch by name.

`universe_job` and `daily_prices_job` are part of the interface (DESIGN.md); the others
belong to the automation: the intraday bars (`intraday_job`), the quote snapshots (`quote_snapshots_job`), the weekly QA re-check (see
`maintenance.py` for the weekly maintenance op job).
"""

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
        # Unpartitioned dashboard assets run once, after the day's partitioned steps (dagster
        # 1.13 runs a mixed selection; they record no partition): ADR in docs/dashboard.md.
        | dg.AssetSelection.groups("dashboard")
    ),
    # In process, like the rest of the code location (one import per run, not per step). The
    # fetch step retries transient failures itself (defs/prices/step_retry.py): an op
    # RetryPolicy here would also retry a Terminate from the UI instead of stopping.
    description=(
        "One trading day (or a range, as one run): prices, corporate actions, their checks, the QA summary "
        "and the dashboard (KPIs and HTML page, as of the newest session). "
        "Run one day with --tags '{\"dagster/partition\": \"2024-06-03\"}'. "
        "A transient failure of the fetch step (warehouse lock, network) is retried twice, 2 and 6 minutes later."
    ),
)

intraday_job = dg.define_asset_job(
    "intraday_job",
    selection=dg.AssetSelection.assets("intraday_bars"),
    description=(
        "Intraday bars (1m fetched; 5m, 15m, 30m, 1h derived) of the watchlist for one trading day, or a "
        "range as one run, with their checks. Run one day with --tags '{\"dagster/partition\": \"2024-10-02\"}'."
    ),
)

quote_snapshots_job = dg.define_asset_job(
    "quote_snapshots_job",
    selection=dg.AssetSelection.assets("quote_snapshots"),
    description=(
        "One snapshot of the universe's quotes with fundamentals (quote_snapshots): launched by the "
        "market-hours sensor every 10 minutes and by the daily full refresh after the close."
    ),
)

qa_recheck_job = dg.define_asset_job(
    "qa_recheck_job",
    selection=dg.AssetSelection.checks_for_assets("daily_ohlcv"),
    description=(
        "Re-run the checks of daily_ohlcv over a partition range without refetching prices "
        "(the weekly maintenance schedule launches it over the past week)."
    ),
)
