"""The intraday watchlist (`STOCK_ASSETS_INTRADAY_SYMBOLS`) as a resource: which symbols, which calendars.

`futures` is the configured futures list (`STOCK_ASSETS_FUTURES`); a universe or listing
source name (`sp500`, `dax40`, `synthetic`) is that source's active symbols in
`universe.tickers`; anything else is a comma list of Yahoo symbols. A symbol's calendar is
the one the universe stored for it, else the instrument model's (lib/markets.py), else XNYS
for a bare US symbol.
"""

from __future__ import annotations

import dagster as dg
from pydantic import Field

from stock_assets.lib.intraday.sessions import calendar_for
from stock_assets.settings import CONFIGURED_SOURCES, DEFAULT_FUTURES, DEFAULT_LISTING_URLS, UNIVERSES
from stock_assets.storage.warehouse import Warehouse


class WatchlistEmpty(RuntimeError):
    """The watchlist names a universe with no active symbol stored."""


class IntradayWatchlist(dg.ConfigurableResource):
    """Which symbols `intraday_bars` fetches."""

    spec: str = Field(default="futures", description="`futures`, a universe/source name, or a comma list of symbols.")
    futures: str = Field(default=DEFAULT_FUTURES, description="The futures list `futures` stands for.")

    def symbols(self, wh: Warehouse) -> list[str]:
        name = self.spec.strip().lower()
        if name == "futures":
            return [s.strip().upper() for s in self.futures.split(",") if s.strip()]
        if name in (*UNIVERSES, *DEFAULT_LISTING_URLS, *CONFIGURED_SOURCES):
            where = "" if name in UNIVERSES else " AND list_contains(string_split(coalesce(sources, ''), ','), ?)"
            rows = wh.query("SELECT yahoo_symbol FROM universe.tickers WHERE status = 'active'" + where +
                            " ORDER BY yahoo_symbol", [] if name in UNIVERSES else [name])
            if rows.height == 0:
                raise WatchlistEmpty(f"watchlist {name!r}: no active symbol in universe.tickers; "
                                     "materialise ticker_universe first (universe_job)")
            return rows["yahoo_symbol"].to_list()
        return [s.strip().upper() for s in self.spec.split(",") if s.strip()]

    def calendars(self, wh: Warehouse, symbols: list[str]) -> dict[str, str]:
        known = {}
        if symbols:
            rows = wh.query("SELECT yahoo_symbol, calendar FROM universe.tickers "
                            "WHERE calendar IS NOT NULL AND list_contains(?, yahoo_symbol)", [symbols])
            known = dict(rows.iter_rows())
        return {s: calendar_for(s, known) for s in symbols}
