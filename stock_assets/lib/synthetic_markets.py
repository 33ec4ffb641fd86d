"""The synthetic market beyond the US: a few London, Xetra and Paris listings and CME futures.

Why fixed and few: the offline demo and the tests must show every market (its own sessions,
holidays, quote currency) without changing the US tickers' numbers; a handful per market is
enough to see London closed on a UK bank holiday while it trades on US Thanksgiving. Which
markets a synthetic universe lists is `STOCK_ASSETS_SYNTHETIC_MARKETS` (default `us`).
"""

from __future__ import annotations

from typing import NamedTuple

MARKETS = ("us", "london", "xetra", "paris", "futures")
DEFAULT_MARKETS = ("us",)


class Spec(NamedTuple):
    symbol: str
    name: str
    exchange: str  # MIC
    calendar: str  # exchange_calendars name
    currency: str  # as quoted: GBp is pence
    asset_class: str
    sector: str | None
    base_price: float  # in the quote currency
    base_volume: float


SPECS: dict[str, tuple[Spec, ...]] = {
    "london": (
        Spec("BRLA.L", "Brelane Holdings plc", "XLON", "XLON", "GBp", "equity", "Financials", 412.0, 3.1e6),
        Spec("KESH.L", "Kesh Energy plc", "XLON", "XLON", "GBp", "equity", "Energy", 1865.0, 1.2e6),
        Spec("MOTR.L", "Motrix Group plc", "XLON", "XLON", "GBp", "equity", "Industrials", 96.5, 8.4e6),
        Spec("TENW.L", "Tenwick Retail plc", "XLON", "XLON", "GBp", "equity", "Consumer Staples", 2710.0, 6.5e5),
    ),
    "xetra": (
        Spec("HALB.DE", "Halberg AG", "XETR", "XETR", "EUR", "equity", "Industrials", 88.2, 1.4e6),
        Spec("ZEWK.DE", "Zewka Chemie AG", "XETR", "XETR", "EUR", "equity", "Materials", 41.7, 2.2e6),
        Spec("FORN.DE", "Fornau Software SE", "XETR", "XETR", "EUR", "equity", "Information Technology",
             163.0, 9.0e5),
    ),
    "paris": (
        Spec("LUMA.PA", "Lumaris SA", "XPAR", "XPAR", "EUR", "equity", "Consumer Discretionary", 612.0, 4.1e5),
        Spec("VERC.PA", "Vercors Energie SA", "XPAR", "XPAR", "EUR", "equity", "Utilities", 23.9, 5.3e6),
        Spec("CIRE.PA", "Cirelle Banque SA", "XPAR", "XPAR", "EUR", "equity", "Financials", 57.4, 2.9e6),
    ),
    "futures": (
        Spec("ES=F", "E-mini S&P 500 (continuous)", "XCME", "CMES", "USD", "future", None, 5300.0, 1.5e6),
        Spec("MNQ=F", "Micro E-mini Nasdaq-100 (continuous)", "XCME", "CMES", "USD", "future", None,
             18500.0, 7.0e5),
        Spec("YM=F", "E-mini Dow (continuous)", "XCBT", "CMES", "USD", "future", None, 39000.0, 1.1e5),
        Spec("GC=F", "Gold (continuous)", "XCEC", "CMES", "USD", "future", None, 2350.0, 1.8e5),
    ),
}


class UnknownMarket(ValueError):
    """A synthetic market name outside MARKETS."""


def parse_markets(raw: str) -> tuple[str, ...]:
    """`us,london` -> ('us', 'london'); `all` -> every market; refuses unknown names clearly."""
    names = tuple(dict.fromkeys(p.strip().lower() for p in raw.split(",") if p.strip()))
    if names == ("all",):
        return MARKETS
    unknown = [n for n in names if n not in MARKETS]
    if unknown or not names:
        raise UnknownMarket(f"synthetic markets {raw!r}: expected a comma list of {', '.join(MARKETS)} (or 'all')")
    return names


def specs(markets: tuple[str, ...] = MARKETS) -> tuple[Spec, ...]:
    """The non-US listings of `markets`, in MARKETS order."""
    return tuple(s for m in MARKETS if m in markets for s in SPECS.get(m, ()))
