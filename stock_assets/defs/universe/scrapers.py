"""The registry of live listing sources: one line per source.

Adding an exchange is one parser module in `lib/listings/` (text in, `ParsedListing` out)
and one `Scraper(...)` line below; `STOCK_ASSETS_UNIVERSE` picks a set of these names and
the `extra_indices` option adds more (docs/universe.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from stock_assets.lib.listings import dax40, ftse100, nasdaqtrader, sp500
from stock_assets.lib.listings.common import ParsedListing
from stock_assets.settings import DEFAULT_NASDAQ_LISTED_URL, DEFAULT_OTHER_LISTED_URL, DEFAULT_SP500_URL

DEFAULT_FTSE100_URL = "https://en.wikipedia.org/wiki/FTSE_100_Index"
DEFAULT_DAX40_URL = "https://en.wikipedia.org/wiki/DAX"


@dataclass(frozen=True)
class Scraper:
    """A listing source: where it lives, how its text is parsed, how many symbols are plausible."""

    name: str
    description: str
    default_url: str
    parse: Callable[[str, str], ParsedListing]  # (text, what) -> ParsedListing
    expected_count: tuple[int, int]  # plausible accepted rows (min, max): the count check's bounds


SCRAPERS: dict[str, Scraper] = {s.name: s for s in (
    Scraper("nasdaq_listed", "NASDAQ Trader nasdaqlisted.txt (NASDAQ)", DEFAULT_NASDAQ_LISTED_URL,
            nasdaqtrader.parse, (2_000, 7_000)),
    Scraper("other_listed", "NASDAQ Trader otherlisted.txt (NYSE, NYSE American, NYSE Arca, Cboe BZX, IEX)",
            DEFAULT_OTHER_LISTED_URL, nasdaqtrader.parse, (3_000, 9_000)),
    Scraper("sp500", "Wikipedia: List of S&P 500 companies", DEFAULT_SP500_URL, sp500.parse, (480, 520)),
    Scraper("ftse100", "Wikipedia: FTSE 100 Index constituents (London, .L)", DEFAULT_FTSE100_URL,
            ftse100.parse, (95, 105)),
    Scraper("dax40", "Wikipedia: DAX constituents (Xetra, .DE)", DEFAULT_DAX40_URL, dax40.parse, (30, 45)),
)}

# STOCK_ASSETS_UNIVERSE -> the registry sources scraped for it.
UNIVERSES: dict[str, tuple[str, ...]] = {
    "sp500": ("sp500",),
    "nasdaq": ("nasdaq_listed",),
    "us": ("nasdaq_listed", "other_listed"),
}
INTERNATIONAL_INDICES = ("ftse100", "dax40")


def unknown(names) -> list[str]:
    """The names that are not registry sources."""
    return [n for n in names if n not in SCRAPERS]
