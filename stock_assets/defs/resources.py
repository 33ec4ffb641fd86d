"""Resources chosen from the settings: the synthetic or the live sources, and storage.

`STOCK_ASSETS_SOURCE=synthetic` swaps every external system for an offline one; nothing
else in the code location changes.
"""

from __future__ import annotations

import dagster as dg

from stock_assets.defs.automation.alert_senders import alert_sender
from stock_assets.defs.prices.quotes import QuoteSource, SyntheticQuoteSource
from stock_assets.defs.prices.sources import PriceSource
from stock_assets.defs.prices.stream_prices import StreamMonitor
from stock_assets.defs.prices.synthetic import SyntheticPriceSource
from stock_assets.defs.prices.watchlist import IntradayWatchlist
from stock_assets.defs.universe.sources import SyntheticUniverseSource, UniverseSource
from stock_assets.settings import Settings
from stock_assets.storage.io_managers import LakeIOManager, WarehouseIOManager
from stock_assets.storage.resource import WarehouseResource


def price_source(settings: Settings) -> PriceSource:
    if settings.source == "synthetic":
        return SyntheticPriceSource(ticker_count=settings.synthetic_tickers)
    from stock_assets.defs.prices.yahoo import YahooPriceSource

    if settings.proxies:  # an EnvVar: the UI shows the variable's name, never the (credential-bearing) URLs
        return YahooPriceSource(proxies=dg.EnvVar("STOCK_ASSETS_PROXIES"),
                                proxy_fallback_direct=settings.proxy_fallback_direct)
    return YahooPriceSource()


def universe_source(settings: Settings) -> UniverseSource:
    if settings.universe == "synthetic":
        return SyntheticUniverseSource(ticker_count=settings.synthetic_tickers,
                                       markets=list(settings.synthetic_markets))
    from stock_assets.defs.universe.live import live_universe_source

    return live_universe_source(settings)


def quote_source(settings: Settings) -> QuoteSource:
    """Quote snapshots (the `quote_snapshots` asset): synthetic offline, Yahoo's batch endpoint live."""
    if settings.source == "synthetic":
        return SyntheticQuoteSource(ticker_count=settings.synthetic_tickers)
    from stock_assets.defs.prices.yahoo.quotes import YahooQuoteSource

    if settings.proxies:  # the same pool as the price source (ADR 0026); an EnvVar, never the URLs
        return YahooQuoteSource(proxies=dg.EnvVar("STOCK_ASSETS_PROXIES"),
                                proxy_fallback_direct=settings.proxy_fallback_direct)
    return YahooQuoteSource()


def build_resources(settings: Settings) -> dict:
    data_dir = str(settings.data_dir)
    return {
        "source": price_source(settings),
        "universe_source": universe_source(settings),
        "warehouse": WarehouseResource(
            database=str(settings.warehouse_path), lake_dir=str(settings.lake_dir)
        ),
        "lake_io_manager": LakeIOManager(data_dir=data_dir),
        "warehouse_io_manager": WarehouseIOManager(data_dir=data_dir),
        "quotes": quote_source(settings),
        "alerts": alert_sender(settings),  # alert sensors: Telegram/webhook, or log only
        "intraday_watchlist": IntradayWatchlist(spec=settings.intraday_symbols, futures=",".join(settings.futures)),
        "stream_monitor": StreamMonitor(data_dir=data_dir, service=settings.stream_service),  # ADR 0027
    }


def resources() -> dict:
    return build_resources(Settings.from_env())
