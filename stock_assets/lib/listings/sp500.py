"""Wikipedia's "List of S&P 500 companies": symbol, name, GICS sector and sub-industry, date added, CIK.

Reads today's `id="constituents"` table and the pre-2019 layout without the id ("Ticker
symbol", "GICS Sub Industry", "Date first added"). The exchange (a MIC) comes from the
symbol's link (nyse.com, nasdaq.com, cboe.com); a row without one is rejected with the
reason, since its venue would be a guess (lib/markets.py).
"""

from __future__ import annotations

from bs4 import Tag

from stock_assets.lib.listings.common import ParsedListing
from stock_assets.lib.listings.wikipedia import TableSpec, as_row, parse_table
from stock_assets.lib.symbols import to_yahoo_symbol

SPEC = TableSpec(
    fields={
        "symbol": ("symbol", "ticker symbol", "ticker"),
        "name": ("security", "company"),
        "sector": ("gics sector",),
        "sub_industry": ("gics sub-industry", "gics sub industry"),
        "date_added": ("date added", "date first added"),
        "cik": ("cik",),
    },
    required=("symbol", "name", "sector"),
)
_EXCHANGE_BY_HOST = (("nyse.com", "XNYS"), ("nasdaq.com", "XNAS"), ("cboe.com", "BATS"))


def parse(html: str, what: str = "S&P 500 constituents page") -> ParsedListing:
    return parse_table(html, SPEC, what, _to_row)


def _to_row(texts: dict[str, str], cells: dict[str, Tag]) -> dict:
    return as_row(texts, to_yahoo_symbol(texts["symbol"]), _exchange(cells["symbol"]))


def _exchange(cell: Tag) -> str | None:
    link = cell.find("a")
    href = (link.get("href") or "") if link else ""
    for host, exchange in _EXCHANGE_BY_HOST:
        if host in href:
            return exchange
    return None
