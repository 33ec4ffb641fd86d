"""Wikipedia's "DAX" constituents: Xetra tickers in Yahoo form (`SAP` -> `SAP.DE`)."""

from __future__ import annotations

from bs4 import Tag

from stock_assets.lib.listings.common import ParsedListing
from stock_assets.lib.listings.wikipedia import TableSpec, as_row, parse_table
from stock_assets.lib.symbols import foreign_symbol

SUFFIX = ".DE"
EXCHANGE = "XETR"
SPEC = TableSpec(
    fields={
        "symbol": ("ticker", "ticker symbol", "symbol"),
        "name": ("company", "name"),
        "sector": ("prime standard sector", "sector", "industry"),
    },
    required=("symbol", "name"),
)


def parse(html: str, what: str = "DAX constituents page") -> ParsedListing:
    return parse_table(html, SPEC, what, _to_row)


def _to_row(texts: dict[str, str], cells: dict[str, Tag]) -> dict:
    return as_row(texts, foreign_symbol(texts["symbol"], SUFFIX), EXCHANGE)
