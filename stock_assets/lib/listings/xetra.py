"""Deutsche Börse's Xetra instrument list: `t7-xetr-allTradableInstruments.csv`.

The file opens with preamble lines (`Market:;XETR`, `Date Last Update:;DD.MM.YYYY`), then a
`;` header whose column count changes between releases (122 columns in April 2019, 124 in
November), and later releases write `Instrument` where 2019 wrote `instrument`: columns are
found by name, case-insensitively, never by position. Common stock (`CS`) and ETFs are
kept (`Mnemonic` + `.DE`, the ISIN with them); ETCs, ETNs and `OTHER` are left out and
counted, as are instruments whose status is not `active` (`inactive`, `pending deletion`).
"""

from __future__ import annotations

import csv
import io

from stock_assets.lib import markets
from stock_assets.lib.errors import CodedError, ErrorCode
from stock_assets.lib.listings.common import ParsedListing, isin_or_none, refuse_html, refuse_malformed, row
from stock_assets.lib.symbols import InvalidSymbol, Rejected, to_yahoo_symbol

SUFFIX, EXCHANGE = ".DE", "XETR"
REQUIRED = ("instrument status", "instrument", "isin", "mnemonic", "instrument type")  # lower case
KEPT_TYPES = {"CS": markets.EQUITY, "ETF": markets.ETF}
PREAMBLE_LINES_MAX = 5


def parse(text: str, what: str = "Xetra instrument list") -> ParsedListing:
    refuse_html(text, what)
    lines = [line for line in csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";") if any(line)]
    start = next((i for i, line in enumerate(lines[:PREAMBLE_LINES_MAX + 1])
                  if all(c in [h.strip().lower() for h in line] for c in REQUIRED)), None)
    if start is None:
        raise CodedError(ErrorCode.SCRAPE_LAYOUT, (
            f"{what}: no header with {', '.join(REQUIRED)} in the first {PREAMBLE_LINES_MAX + 1} lines; "
            "expected Deutsche Börse's t7-xetr-allTradableInstruments.csv"))
    preamble = {line[0].rstrip(":").strip(): (line[1] if len(line) > 1 else "") for line in lines[:start]}
    header, body = [h.strip().lower() for h in lines[start]], lines[start + 1:]
    parsed = ParsedListing(rows=[], note=(
        f"market {preamble.get('Market', '?')}, last update {preamble.get('Date Last Update', 'unknown')}"))
    malformed = 0
    for line in body:
        if len(line) != len(header):
            malformed += 1
            parsed.rejected.append(Rejected(raw=line[0][:40] if line else "", reason=(
                f"row has {len(line)} fields, the header has {len(header)}")))
            continue
        record = dict(zip(header, line, strict=True))
        asset_class = KEPT_TYPES.get(record["instrument type"].strip().upper())
        if asset_class is None or record["instrument status"].strip().lower() != "active":
            parsed.excluded += 1
            continue
        raw = record["mnemonic"].strip()
        try:
            if not raw:
                raise InvalidSymbol(raw, f"no Mnemonic for ISIN {record['isin']!r}")
            parsed.add(row(
                symbol=raw.upper(), yahoo_symbol=to_yahoo_symbol(raw, SUFFIX), name=record["instrument"].strip(),
                exchange=EXCHANGE, asset_class=asset_class, isin=isin_or_none(record["isin"]),
            ))
        except InvalidSymbol as err:
            parsed.rejected.append(Rejected(raw=raw, reason=err.reason))
    refuse_malformed(malformed, len(body), what)
    if not parsed.rows:
        raise CodedError(ErrorCode.SCRAPE_LAYOUT, f"{what}: no active common stock or ETF rows")
    return parsed
