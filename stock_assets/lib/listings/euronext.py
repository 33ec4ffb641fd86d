"""Euronext's own equities download (live.euronext.com, "Download" of the equities list).

Reads both exports Euronext serves: the French-locale one (BOM, CRLF, `;` unquoted, preamble
rows padded with `;;;`, `01-juin-23`, decimal commas, no final newline) and the English one
(BOM, LF, text double-quoted, single-cell preamble rows, `06 Dec 2023`, decimal dots). Only
identity columns are read (Name, ISIN, Symbol, Market, Currency): the prices in the file are
a day old and are not the universe's business, so their locale does not matter.

A row's venue is the first market named (`Euronext Paris, Brussels` is a Paris listing with a
second line in Brussels); Paris (`.PA`) and Amsterdam (`.AS`) are kept, any other venue is
rejected with the reason (lib/markets.py has no calendar for it yet), never guessed.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

from stock_assets.lib.errors import CodedError, ErrorCode
from stock_assets.lib.listings.common import ParsedListing, isin_or_none, refuse_html, refuse_malformed, row
from stock_assets.lib.symbols import InvalidSymbol, Rejected, to_yahoo_symbol

REQUIRED = ("Name", "ISIN", "Symbol", "Market", "Currency")
VENUES = {"Euronext Paris": (".PA", "XPAR"), "Euronext Amsterdam": (".AS", "XAMS")}
PREAMBLE_ROWS_MAX = 5  # "European Equities", the date, "All datapoints provided as of ..."
_MONTHS = {  # English and French month abbreviations of the preamble's date
    "jan": 1, "janv": 1, "feb": 2, "févr": 2, "fevr": 2, "mar": 3, "mars": 3, "apr": 4, "avr": 4,
    "may": 5, "mai": 5, "jun": 6, "juin": 6, "jul": 7, "juil": 7, "aug": 8, "août": 8, "aout": 8,
    "sep": 9, "sept": 9, "oct": 10, "nov": 11, "dec": 12, "déc": 12,
}


def read_rows(text: str, what: str = "Euronext equities list") -> tuple[list[dict[str, str]], str, int]:
    """(records keyed by header, the file's as-of date text, malformed row count)."""
    refuse_html(text, what)
    lines = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";", quotechar='"'))
    lines = [[c.strip() for c in line] for line in lines if any(c.strip() for c in line)]
    if not lines:
        raise CodedError(ErrorCode.SCRAPE_LAYOUT, f"{what} is empty")
    header = lines[0]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise CodedError(ErrorCode.SCRAPE_LAYOUT, (
            f"{what}: header {';'.join(header)[:200]!r} lacks {', '.join(missing)}; expected Euronext's "
            f"equities download ({';'.join(REQUIRED)}, ...)"))
    body, as_of = lines[1:], ""
    preamble = 0
    while body and preamble < PREAMBLE_ROWS_MAX and sum(1 for c in body[0] if c) == 1:
        as_of = as_of or _date_text(body[0][0])
        body, preamble = body[1:], preamble + 1
    records, malformed = [], 0
    for line in body:
        if len(line) != len(header):
            malformed += 1
            continue
        records.append(dict(zip(header, line, strict=True)))
    refuse_malformed(malformed, len(body), what)
    return records, as_of, malformed


def parse(text: str, what: str = "Euronext equities list") -> ParsedListing:
    records, as_of, malformed = read_rows(text, what)
    parsed = ParsedListing(rows=[], note=f"list as of {as_of or 'unknown'}; {malformed} malformed rows")
    venues_seen: dict[str, int] = {}
    for record in records:
        market = record["Market"]
        home = market.split(",")[0].strip()
        venues_seen[home] = venues_seen.get(home, 0) + 1
        raw = record["Symbol"]
        if home not in VENUES:
            parsed.rejected.append(Rejected(raw=raw, reason=(
                f"venue {home!r} ({market}) is not a supported market; supported: {', '.join(VENUES)}")))
            continue
        suffix, mic = VENUES[home]
        try:
            parsed.add(row(
                symbol=raw.upper(), yahoo_symbol=to_yahoo_symbol(raw, suffix), name=record["Name"],
                exchange=mic, currency=record["Currency"] or None, isin=isin_or_none(record["ISIN"]),
            ))
        except InvalidSymbol as err:
            parsed.rejected.append(Rejected(raw=raw, reason=err.reason))
    if not parsed.rows:
        seen = ", ".join(f"{v} ({n})" for v, n in sorted(venues_seen.items())) or "none"
        raise CodedError(ErrorCode.SCRAPE_LAYOUT, (
            f"{what}: no row on a supported venue ({', '.join(VENUES)}); venues in the file: {seen}"))
    return parsed


def _date_text(cell: str) -> str:
    """`01-juin-23` / `06 Dec 2023` -> `2023-06-01` / `2023-12-06`; '' when the cell is no date."""
    parts = cell.replace("-", " ").replace(".", " ").split()
    if len(parts) != 3 or not parts[0].isdigit() or not parts[2].isdigit():
        return ""
    month = _MONTHS.get(parts[1].lower())
    year = int(parts[2]) + (2000 if len(parts[2]) == 2 else 0)
    try:
        return dt.date(year, month, int(parts[0])).isoformat() if month else ""
    except ValueError:
        return ""
