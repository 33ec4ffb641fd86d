"""Wikipedia's "FTSE 100 Index" constituents: London tickers in Yahoo form (`BT.A` -> `BT-A.L`, `RR.` -> `RR.L`; XLON).

The table is found by its columns (lib/listings/wikipedia.py), in English or in the home
language of the index, so a mirror of the local-language page parses too.
"""

from __future__ import annotations

from stock_assets.lib.listings.wikipedia import index_parser

SUFFIX = ".L"
EXCHANGE = "XLON"
parse = index_parser(SUFFIX, EXCHANGE, "FTSE 100 constituents page")
