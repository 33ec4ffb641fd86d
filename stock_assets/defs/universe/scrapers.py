"""The registry of live listing sources: one line per source.

Adding an exchange is one parser module in `lib/listings/` (text in, `ParsedListing` out),
one `Scraper(...)` line below and its default URL in `settings.DEFAULT_LISTING_URLS` (which
gives it `STOCK_ASSETS_<NAME>_URL`); `STOCK_ASSETS_UNIVERSE` picks a comma list of these
names (or a universe of UNIVERSES) and the `extra_indices` option adds more (docs/universe.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from stock_assets.lib.listings import (
    aex, cac40, dax40, euronext, ftse100, ftse250, futures, mdax, nasdaqtrader, sp500, xetra,
)
from stock_assets.lib.listings.common import ParsedListing
from stock_assets.settings import DEFAULT_LISTING_URLS as URLS


@dataclass(frozen=True)
class Scraper:
    """A listing source: where it lives, how its text is parsed, how many symbols are plausible."""

    name: str
    description: str
    default_url: str
    parse: Callable[[str, str], ParsedListing]  # (text, what) -> ParsedListing
    expected_count: tuple[int, int]  # plausible accepted rows (min, max): the count check's bounds
    configured: bool = False  # its text is a setting (the futures list), not a download


SCRAPERS: dict[str, Scraper] = {s.name: s for s in (
    Scraper("nasdaq_listed", "NASDAQ Trader nasdaqlisted.txt (NASDAQ)", URLS["nasdaq_listed"],
            nasdaqtrader.parse, (2_000, 7_000)),
    Scraper("other_listed", "NASDAQ Trader otherlisted.txt (NYSE, NYSE American, NYSE Arca, Cboe BZX, IEX)",
            URLS["other_listed"], nasdaqtrader.parse, (3_000, 9_000)),
    Scraper("sp500", "Wikipedia: List of S&P 500 companies", URLS["sp500"], sp500.parse, (480, 520)),
    Scraper("ftse100", "Wikipedia: FTSE 100 Index constituents (London, .L)", URLS["ftse100"],
            ftse100.parse, (95, 105)),
    Scraper("ftse250", "Wikipedia: FTSE 250 Index constituents (London, .L)", URLS["ftse250"],
            ftse250.parse, (240, 260)),
    Scraper("dax40", "Wikipedia: DAX constituents (Xetra, .DE)", URLS["dax40"], dax40.parse, (30, 45)),
    Scraper("mdax", "Wikipedia: MDAX constituents (Xetra, .DE)", URLS["mdax"], mdax.parse, (45, 55)),
    Scraper("cac40", "Wikipedia: CAC 40 constituents (Euronext Paris, .PA)", URLS["cac40"], cac40.parse, (38, 42)),
    Scraper("aex", "Wikipedia: AEX index constituents (Euronext Amsterdam, .AS)", URLS["aex"], aex.parse, (20, 30)),
    Scraper("euronext", "Euronext equities download (Paris .PA and Amsterdam .AS kept)", URLS["euronext"],
            euronext.parse, (400, 2_000)),
    Scraper("xetra", "Deutsche Börse t7-xetr-allTradableInstruments.csv (common stock and ETFs, .DE)",
            URLS["xetra"], xetra.parse, (1_500, 8_000)),
    Scraper("futures", "STOCK_ASSETS_FUTURES: continuous CME Group contracts (ES=F, ...)", "setting:STOCK_ASSETS_FUTURES",
            futures.parse, (1, 60), configured=True),
)}

# STOCK_ASSETS_UNIVERSE -> the registry sources scraped for it.
UNIVERSES: dict[str, tuple[str, ...]] = {
    "sp500": ("sp500",),
    "nasdaq": ("nasdaq_listed",),
    "us": ("nasdaq_listed", "other_listed"),
}
INTERNATIONAL_INDICES = ("ftse100", "ftse250", "dax40", "mdax", "cac40", "aex")


def sources_for(names) -> list[str]:
    """The registry sources of `STOCK_ASSETS_UNIVERSE`'s names: universes expanded, each source once."""
    out: list[str] = []
    for name in names:
        out += UNIVERSES.get(name, (name,))
    return list(dict.fromkeys(out))


def unknown(names) -> list[str]:
    """The names that are not registry sources."""
    return [n for n in names if n not in SCRAPERS]
