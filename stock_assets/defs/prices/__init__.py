"""Daily prices: price sources, `daily_ohlcv` and `corporate_actions`."""

import dagster as dg

from stock_assets.defs.prices.assets import daily_prices
from stock_assets.defs.prices.intraday_bars import intraday_bars
from stock_assets.defs.prices.intraday_checks import intraday_bars_checks
from stock_assets.defs.prices.quote_snapshots import quote_snapshots
from stock_assets.defs.prices.stream_prices import observe_stream_prices

defs = dg.Definitions(assets=[daily_prices, quote_snapshots, intraday_bars, observe_stream_prices],
                      asset_checks=[intraday_bars_checks])
