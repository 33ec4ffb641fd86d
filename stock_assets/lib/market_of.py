"""Which market a Yahoo symbol trades on, from its form alone: a stand-in until `lib/markets.py`.

Why it exists: the prices side needs each symbol's calendar and quote currency before the
universe carries them for every source (universe rows written before the instrument columns
existed have them null). `universe.tickers.calendar`/`currency` win when present; this is the
fallback. Kept small and private so that `lib/markets.py` (the universe side) can replace it.
"""

from __future__ import annotations

from typing import NamedTuple


class Market(NamedTuple):
    exchange: str | None  # ISO 10383 MIC, None when the form does not say (a plain US symbol)
    calendar: str  # exchange_calendars name
    currency: str  # as Yahoo quotes it: GBp is pence
    asset_class: str


_SUFFIXES = {
    ".L": Market("XLON", "XLON", "GBp", "equity"),
    ".DE": Market("XETR", "XETR", "EUR", "equity"),
    ".PA": Market("XPAR", "XPAR", "EUR", "equity"),
    ".AS": Market("XAMS", "XAMS", "EUR", "equity"),
    ".OL": Market("XOSL", "XOSL", "NOK", "equity"),
    ".CO": Market("XCSE", "XCSE", "DKK", "equity"),
    ".MI": Market("XMIL", "XMIL", "EUR", "equity"),
    ".JO": Market("XJSE", "XJSE", "ZAc", "equity"),
}
_FUTURE_EXCHANGES = {
    "ES": "XCME", "NQ": "XCME", "RTY": "XCME", "MES": "XCME", "MNQ": "XCME", "M2K": "XCME",
    "YM": "XCBT", "MYM": "XCBT", "ZN": "XCBT", "ZB": "XCBT", "ZF": "XCBT", "ZT": "XCBT",
    "ZC": "XCBT", "ZS": "XCBT", "ZW": "XCBT",
    "CL": "XNYM", "NG": "XNYM", "RB": "XNYM", "HO": "XNYM", "MCL": "XNYM",
    "GC": "XCEC", "SI": "XCEC", "HG": "XCEC", "MGC": "XCEC",
}
US = Market(None, "XNYS", "USD", "equity")


def market_of(symbol: str) -> Market:
    """`VOD.L` -> London in GBp; `ES=F` -> CME Globex (CMES); anything else -> a US listing."""
    if symbol.endswith("=F"):
        return Market(_FUTURE_EXCHANGES.get(symbol[:-2], "XCME"), "CMES", "USD", "future")
    for suffix, market in _SUFFIXES.items():
        if symbol.endswith(suffix):
            return market
    if symbol.startswith("^"):
        return Market(None, "XNYS", "USD", "index")
    return US
