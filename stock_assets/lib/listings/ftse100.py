"""Wikipedia's "FTSE 100 Index" constituents: London tickers in Yahoo form (`BT.A` -> `BT-A.L`)."""

from __future__ import annotations

from bs4 import Tag

from stock_assets.lib.listings.common import ParsedListing
from stock_assets.lib.listings.wikipedia import TableSpec, as_row, parse_table
from stock_assets.lib.symbols import foreign_symbol

SUFFIX = ".L"
EXCHANGE = "XLON"
SPEC = TableSpec(
    fields={
        "symbol": ("ticker", "epic", "symbol"),
        "name": ("company", "constituent"),
        "sector": ("ftse industry classification benchmark sector", "icb sector", "sector", "industry"),
    },
    required=("symbol", "name"),
)


def parse(html: str, what: str = "FTSE 100 constituents page") -> ParsedListing:
    return parse_table(html, SPEC, what, _to_row)


def _to_row(texts: dict[str, str], cells: dict[str, Tag]) -> dict:
    return as_row(texts, foreign_symbol(texts["symbol"], SUFFIX), EXCHANGE)
