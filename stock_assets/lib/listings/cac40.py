"""Wikipedia's "CAC 40" constituents: Euronext Paris tickers in Yahoo form (`<TICKER>.PA`, XPAR).

The table is found by its columns (lib/listings/wikipedia.py), in English or in the home
language of the index, so a mirror of the local-language page parses too.
"""

from __future__ import annotations

from stock_assets.lib.listings.wikipedia import index_parser

SUFFIX = ".PA"
EXCHANGE = "XPAR"
parse = index_parser(SUFFIX, EXCHANGE, "CAC 40 constituents page")
