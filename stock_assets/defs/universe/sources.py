"""Where the ticker universe comes from: one interface, live scrapers and a synthetic one.

A `UniverseSource` returns a `Listing`: the rows it accepted (already in Yahoo form) and the
raw symbols it rejected with the reason, so the asset can record both and never drop a
symbol in silence.
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from dataclasses import dataclass, field

import dagster as dg
import polars as pl

from stock_assets.lib import synthetic
from stock_assets.lib.lifecycle import LISTING_COLUMNS
from stock_assets.lib.symbols import Rejected


@dataclass
class Listing:
    """One scrape: accepted rows (LISTING_COLUMNS) and rejected raw symbols."""

    rows: pl.DataFrame
    rejected: list[Rejected] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)

    def __post_init__(self):
        self.rows = self.rows.select(list(LISTING_COLUMNS)).cast(LISTING_COLUMNS)


class UniverseSource(dg.ConfigurableResource, ABC):
    """The exchanges' listings. Assets depend on this interface, never on a scraper."""

    @abstractmethod
    def scrape(self, as_of: dt.date) -> Listing:
        """Every symbol listed on `as_of` (live sources ignore it: they see today)."""


class SyntheticUniverseSource(UniverseSource):
    """The synthetic exchange: the same tickers the synthetic price source trades."""

    ticker_count: int = 500
    seed: int = 7

    def scrape(self, as_of: dt.date) -> Listing:
        listed = synthetic.listing(self.ticker_count, as_of, self.seed)
        rows = pl.DataFrame(
            {
                "symbol": [t.symbol for t in listed],
                "yahoo_symbol": [t.symbol for t in listed],
                "name": [t.name for t in listed],
                "exchange": [t.exchange for t in listed],
                "sector": [t.sector for t in listed],
                "sub_industry": [None for _ in listed],
                "is_etf": [t.is_etf for t in listed],
                "date_added": [t.listed_on.isoformat() for t in listed],
                "cik": [None for _ in listed],
                "source": "synthetic",
            },
            schema=LISTING_COLUMNS,
        )
        return Listing(rows=rows, sources=["synthetic"])
