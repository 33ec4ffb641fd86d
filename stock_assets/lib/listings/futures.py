"""The configured continuous futures (`STOCK_ASSETS_FUTURES`): `ES=F,NQ=F,...` in Yahoo form.

Why a listing like the others: a contract list goes through the same registry, lifecycle and
guards as an exchange's list (a contract removed from the setting is delisted, not lost). Its
"text" is the comma list itself; each contract's venue comes from its root (lib/markets.py),
and a symbol that is not `ROOT=F` with a known root is rejected with the reason.
"""

from __future__ import annotations

from stock_assets.lib.errors import CodedError, ErrorCode
from stock_assets.lib.listings.common import ParsedListing, row
from stock_assets.lib.symbols import InvalidSymbol, Rejected, clean, validate

DEFAULT_FUTURES = ("ES=F", "NQ=F", "YM=F", "RTY=F", "MES=F", "MNQ=F", "MYM=F", "CL=F", "GC=F", "SI=F",
                   "ZN=F", "ZB=F")
NAMES = {
    "ES": "E-mini S&P 500", "NQ": "E-mini Nasdaq-100", "YM": "E-mini Dow ($5)", "RTY": "E-mini Russell 2000",
    "MES": "Micro E-mini S&P 500", "MNQ": "Micro E-mini Nasdaq-100", "MYM": "Micro E-mini Dow",
    "CL": "Crude Oil (WTI)", "GC": "Gold", "SI": "Silver", "ZN": "10-Year T-Note", "ZB": "U.S. Treasury Bond",
}


def parse(text: str, what: str = "configured futures") -> ParsedListing:
    """`text` is the comma-separated list of continuous contracts."""
    parsed = ParsedListing(rows=[])
    raws = [r for r in (part.strip() for part in text.replace("\n", ",").split(",")) if r]
    for raw in dict.fromkeys(raws):
        symbol = clean(raw)
        try:
            validate(symbol)
            if not symbol.endswith("=F"):
                raise InvalidSymbol(raw, "not a continuous future (expected ROOT=F, e.g. ES=F)")
            parsed.add(row(symbol=symbol, yahoo_symbol=symbol, name=NAMES.get(symbol[:-2]),
                                   exchange=None, asset_class="future"))
        except InvalidSymbol as err:
            parsed.rejected.append(Rejected(raw=raw, reason=err.reason))
    parsed.note = f"{len(parsed.rows)} contracts configured"
    if not parsed.rows:
        raise CodedError(ErrorCode.SCRAPE_LAYOUT, f"{what}: no usable contract in {text[:200]!r}")
    return parsed
