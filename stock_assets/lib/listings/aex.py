"""Wikipedia's "AEX index" constituents: Euronext Amsterdam tickers in Yahoo form (`<TICKER>.AS`, XAMS).

The table is found by its columns (lib/listings/wikipedia.py), in English or in the home
language of the index, so a mirror of the local-language page parses too.
"""

from __future__ import annotations

from stock_assets.lib.listings.wikipedia import index_parser

SUFFIX = ".AS"
EXCHANGE = "XAMS"
parse = index_parser(SUFFIX, EXCHANGE, "AEX constituents page")
