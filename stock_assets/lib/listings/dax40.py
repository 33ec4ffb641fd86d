"""Wikipedia's "DAX" constituents: Xetra tickers in Yahoo form (`SAP` -> `SAP.DE`; XETR).

The table is found by its columns (lib/listings/wikipedia.py), in English or in the home
language of the index, so a mirror of the local-language page parses too.
"""

from __future__ import annotations

from stock_assets.lib.listings.wikipedia import index_parser

SUFFIX = ".DE"
EXCHANGE = "XETR"
parse = index_parser(SUFFIX, EXCHANGE, "DAX constituents page")
