"""Constituent tables of Wikipedia index pages, found by their columns (beautifulsoup4).

Why by columns: the S&P 500 page has carried its list in `<table id="constituents">` since
about 2019 and in an anonymous `wikitable` before; FTSE 100 and DAX pages differ again.
A table is accepted when its header names every required field; no such table, or a page
that is not HTML at all, raises CodedError(SCRAPE_LAYOUT) naming what was looked for.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from bs4 import BeautifulSoup, Tag

from stock_assets.lib import markets
from stock_assets.lib.errors import CodedError, ErrorCode
from stock_assets.lib.listings.common import ParsedListing, header_row_reason, isin_or_none, refuse_malformed, row
from stock_assets.lib.symbols import InvalidSymbol, Rejected, foreign_symbol

_FOOTNOTE = re.compile(r"\[[^\]]*\]")


@dataclass(frozen=True)
class TableSpec:
    """The fields to read and the header texts (lower case, footnotes removed) that name them."""

    fields: dict[str, tuple[str, ...]]
    required: tuple[str, ...]
    table_id: str | None = "constituents"


def header_text(cell: Tag) -> str:
    return " ".join(_FOOTNOTE.sub("", cell.get_text(" ", strip=True)).lower().split())


def find_table(soup: BeautifulSoup, spec: TableSpec, what: str) -> tuple[Tag, dict[str, int], list[str]]:
    """The first table (the one with `spec.table_id` first) whose header has every required field."""
    tables = soup.find_all("table")
    if spec.table_id:
        tables.sort(key=lambda t: t.get("id") != spec.table_id)
    for table in tables:
        first = table.find("tr")
        if first is None:
            continue
        headers = [header_text(c) for c in first.find_all(["th", "td"])]
        columns = {}
        for name, aliases in spec.fields.items():
            for i, text in enumerate(headers):
                if text in aliases:
                    columns[name] = i
                    break
        if all(r in columns for r in spec.required):
            return table, columns, headers
    wanted = "; ".join(f"{r} ({' / '.join(spec.fields[r])})" for r in spec.required)
    raise CodedError(
        ErrorCode.SCRAPE_LAYOUT,
        f"{what}: no table with the columns {wanted} among {len(tables)} tables; the page layout "
        "changed or the page is not the constituents list",
    )


def parse_table(
    html: str, spec: TableSpec, what: str, to_row: Callable[[dict[str, str], dict[str, Tag]], dict],
) -> ParsedListing:
    """Every body row of the matching table through `to_row(texts, cells)`.

    `to_row` raises InvalidSymbol to reject a row; rejected rows are kept with the reason.
    """
    if "<table" not in html[:2_000_000].lower():
        raise CodedError(ErrorCode.SCRAPE_LAYOUT, f"{what}: the page has no HTML table at all")
    soup = BeautifulSoup(html, "lxml")
    table, columns, headers = find_table(soup, spec, what)
    parsed = ParsedListing(rows=[])
    body = [tr for tr in table.find_all("tr")[1:] if tr.find("td")]
    malformed = 0
    width = max(columns.values()) + 1
    for tr in body:
        cells = tr.find_all(["td", "th"])
        if len(cells) < width:
            malformed += 1
            first = cells[0].get_text(" ", strip=True)[:40] if cells else ""
            parsed.rejected.append(Rejected(raw=first, reason=f"row has {len(cells)} cells, expected {width}"))
            continue
        repeated = header_row_reason([header_text(c) for c in cells], headers)
        if repeated:
            parsed.rejected.append(Rejected(raw=cells[0].get_text(" ", strip=True)[:40], reason=repeated))
            continue
        picked = {name: cells[i] for name, i in columns.items()}
        texts = {name: _FOOTNOTE.sub("", c.get_text(" ", strip=True)).strip() for name, c in picked.items()}
        try:
            parsed.add(to_row(texts, picked))
        except InvalidSymbol as err:
            parsed.rejected.append(Rejected(raw=texts.get("symbol", "")[:40], reason=err.reason))
    refuse_malformed(malformed, len(body), what)
    if not parsed.rows:
        raise CodedError(ErrorCode.SCRAPE_LAYOUT, f"{what}: the constituents table has no usable rows")
    return parsed


def as_row(texts: dict[str, str], yahoo: str, exchange: str | None) -> dict:
    """A listing row from a constituents table row's texts."""
    return row(
        symbol=texts["symbol"].upper(), yahoo_symbol=yahoo, name=texts.get("name"), exchange=exchange,
        sector=texts.get("sector") or None, sub_industry=texts.get("sub_industry") or None,
        date_added=texts.get("date_added") or None, cik=texts.get("cik") or None,
        isin=isin_or_none(texts.get("isin")),
    )


# Header texts of an index page's constituents table, in English and in the index's home
# language (a mirror may point at de./fr./nl.wikipedia): lower case, footnotes removed.
INDEX_FIELDS = {
    "symbol": ("ticker", "ticker symbol", "symbol", "epic", "kürzel", "mnémonique", "code", "fonds"),
    "name": ("company", "name", "constituent", "unternehmen", "name des unternehmens", "société",
             "entreprise", "bedrijf"),
    "sector": ("ftse industry classification benchmark sector", "icb sector", "prime standard sector",
               "gics sector", "sector", "industry", "branche", "secteur", "secteur d'activité"),
    "isin": ("isin", "code isin", "isin-code"),
}


def index_parser(suffix: str, exchange: str, default_what: str) -> Callable[[str, str], ParsedListing]:
    """The parser of an index page whose tickers trade on one venue with one Yahoo suffix.

    Tickers are written bare (`AI`), with a trailing dot (`BP.`) or with the suffix already
    (`AI.PA`); each becomes `<TICKER><suffix>` (lib/symbols.foreign_symbol), and its market
    columns come from lib/markets.py, which also checks the suffix names `exchange`.
    """
    spec = TableSpec(fields=INDEX_FIELDS, required=("symbol", "name"))

    def to_row(texts: dict[str, str], cells: dict[str, Tag]) -> dict:
        written = markets.suffix_of(texts["symbol"].strip().rstrip("."))
        if written in markets.UNSUPPORTED_SUFFIXES:  # `ABI.BR`: a market we cannot take, not a share class
            raise markets.UnknownMarket(texts["symbol"], f"{written!r} is {markets.UNSUPPORTED_SUFFIXES[written]}, "
                                                         "a market not supported yet")
        if written in markets.SUFFIXES and written != suffix:  # `MT.AS` in the CAC 40: listed on another venue
            return as_row(texts, foreign_symbol(texts["symbol"], written), None)
        return as_row(texts, foreign_symbol(texts["symbol"], suffix), exchange)

    def parse(html: str, what: str = default_what) -> ParsedListing:
        return parse_table(html, spec, what, to_row)

    parse.__doc__ = f"{default_what}: tickers in Yahoo form (`<TICKER>{suffix}`, {exchange})."
    return parse
