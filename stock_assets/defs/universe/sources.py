"""Where the ticker universe comes from: one interface, live scrapers and a synthetic one.

A `UniverseSource` returns a `Listing`: the rows it accepted (already in Yahoo form) and the
raw symbols it rejected with the reason, so the asset can record both and never drop a
symbol in silence.
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field

import dagster as dg
import polars as pl

from stock_assets.lib import synthetic, synthetic_markets
from stock_assets.lib.lifecycle import LISTING_COLUMNS
from stock_assets.lib.listings.common import row
from stock_assets.lib.symbols import Rejected


@dataclass
class Listing:
    """One scrape: accepted rows (LISTING_COLUMNS) and rejected raw symbols."""

    rows: pl.DataFrame
    rejected: list[Rejected] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    excluded: dict[str, int] = field(default_factory=dict)  # per source: rows left out on purpose (test issues)
    notes: dict[str, str] = field(default_factory=dict)  # per source: e.g. the file's creation time

    def __post_init__(self):
        self.rows = self.rows.select(list(LISTING_COLUMNS)).cast(LISTING_COLUMNS)


class UniverseSource(dg.ConfigurableResource, ABC):
    """The exchanges' listings. Assets depend on this interface, never on a scraper."""

    @abstractmethod
    def scrape(self, as_of: dt.date, extra_sources: Sequence[str] = ()) -> Listing:
        """Every symbol listed on `as_of` (live sources ignore it: they see today).

        `extra_sources` names more registry sources for this scrape (e.g. `ftse100`);
        sources that have none (the synthetic one) ignore them.
        """

    def expected_count(self, sources: Sequence[str]) -> tuple[int, int]:
        """Plausible (min, max) of active symbols for a scrape of `sources`: the count check's bounds."""
        return (1, 100_000)


class SyntheticUniverseSource(UniverseSource):
    """The synthetic exchange: the same tickers the synthetic price source trades."""

    ticker_count: int = 500
    seed: int = 7
    markets: list[str] = list(synthetic_markets.DEFAULT_MARKETS)  # lib/synthetic_markets.py MARKETS

    def scrape(self, as_of: dt.date, extra_sources: Sequence[str] = ()) -> Listing:
        listed = synthetic.listing(self.ticker_count, as_of, self.seed, tuple(self.markets))
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
                "calendar": [t.calendar for t in listed],
                "currency": [t.currency for t in listed],
                "asset_class": [t.asset_class for t in listed],
                "isin": [None for _ in listed],
            },
            schema=LISTING_COLUMNS,
        )
        return Listing(rows=rows, sources=["synthetic"])

    def expected_count(self, sources: Sequence[str]) -> tuple[int, int]:
        # Synthetic tickers list and delist over time; at least half are listed on any day.
        more = len(synthetic_markets.specs(tuple(self.markets)))
        us = self.ticker_count if "us" in self.markets else 0
        return (max(1, us // 2 + more), us + more)
