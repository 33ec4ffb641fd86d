"""What every listing parser returns, and the checks they share.

Why a common shape: the registry treats every source alike, so a parser hands back the
accepted rows (already in Yahoo form, in `LISTING_COLUMNS`), the rejected raw symbols with
their reason, and how many rows it excluded on purpose (test issues): nothing vanishes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import polars as pl

from stock_assets.lib import markets
from stock_assets.lib.errors import CodedError, ErrorCode
from stock_assets.lib.lifecycle import LISTING_COLUMNS
from stock_assets.lib.symbols import Rejected, duplicate_reason

_HTML_START = re.compile(r"^\s*(<!doctype\s+html|<html|<\?xml|<head|<body)", re.IGNORECASE)
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_ISIN = re.compile(r"^[A-Z]{2}[A-Z0-9]{9}[0-9]$")
# A layout that loses this share of its rows to malformed lines has changed, not a few rows.
MAX_MALFORMED_SHARE = 0.05


@dataclass
class ParsedListing:
    """One source's accepted rows, rejected symbols and deliberately excluded row count."""

    rows: list[dict]
    rejected: list[Rejected] = field(default_factory=list)
    excluded: int = 0
    note: str = ""  # e.g. the file's own creation time
    _first_raw: dict[str, str] = field(default_factory=dict, repr=False)  # yahoo symbol -> first raw

    def add(self, accepted: dict) -> None:
        """Accept a row unless its Yahoo symbol is already in: then record it as a duplicate.

        Why here: a listing with every row twice, two downloads concatenated, or two
        spellings of one symbol (`BRK.B`, `BRK-B`) must count each symbol once (the shrink
        guard compares counts) and say what it dropped.
        """
        yahoo = accepted["yahoo_symbol"]
        if yahoo in self._first_raw:
            self.rejected.append(Rejected(raw=accepted["symbol"], reason=duplicate_reason(
                yahoo, self._first_raw[yahoo])))
            return
        self._first_raw[yahoo] = accepted["symbol"]
        self.rows.append(accepted)

    def frame(self, source: str) -> pl.DataFrame:
        """The accepted rows as a frame in LISTING_COLUMNS, tagged with `source`."""
        data = {c: [r.get(c) for r in self.rows] for c in LISTING_COLUMNS if c != "source"}
        data["is_etf"] = [bool(v) for v in data["is_etf"]]
        data["source"] = [source] * len(self.rows)
        return pl.DataFrame(data, schema=LISTING_COLUMNS)


def row(symbol: str, yahoo_symbol: str, name: str | None, exchange: str | None, *,
        asset_class: str | None = None, currency: str | None = None, **extra) -> dict:
    """A listing row with every column present, its instrument columns resolved by lib/markets.py.

    `exchange` is the venue the source states (a MIC or a name such as `NYSE Arca`), needed
    for a bare US symbol; `asset_class` and `currency` are what the source states, if anything.
    Raises UnknownMarket (an InvalidSymbol: the caller records the row as rejected) when the
    market cannot be told.
    """
    is_etf = bool(extra.pop("is_etf", False))
    instrument = markets.instrument_for(
        yahoo_symbol, exchange, asset_class=asset_class or (markets.ETF if is_etf else None), currency=currency)
    base = dict.fromkeys(LISTING_COLUMNS)
    base.update(symbol=symbol, yahoo_symbol=yahoo_symbol, name=name or None, exchange=instrument.exchange,
                calendar=instrument.calendar, currency=instrument.currency, asset_class=instrument.asset_class,
                is_etf=is_etf or instrument.asset_class == markets.ETF)
    base.update(extra)
    return base


def header_row_reason(cells: list[str], header: list[str]) -> str | None:
    """Why a body row is refused when it repeats the header (two downloads concatenated), else None.

    Without this the header's `Symbol` cell would become a ticker named `SYMBOL`.
    """
    if [c.strip().lower() for c in cells[:len(header)]] == [h.strip().lower() for h in header]:
        return "a repeated header row (two downloads concatenated?), not a symbol"
    return None


def refuse_html(text: str, what: str) -> None:
    """Raise SCRAPE_LAYOUT when a text listing turns out to be an HTML page (an error page)."""
    if _HTML_START.match(text[:2048]) or "<html" in text[:2048].lower():
        match = _TITLE.search(text[:20000])
        title = " ".join(match.group(1).split()) if match else "no title"
        raise CodedError(
            ErrorCode.SCRAPE_LAYOUT,
            f"{what} is an HTML page ({title!r}), not a listing: the source served an error page",
        )


def refuse_malformed(rejected_rows: int, total_rows: int, what: str) -> None:
    """Raise SCRAPE_LAYOUT when too many rows do not fit the layout."""
    if total_rows and rejected_rows / total_rows > MAX_MALFORMED_SHARE:
        raise CodedError(
            ErrorCode.SCRAPE_LAYOUT,
            f"{what}: {rejected_rows} of {total_rows} rows do not fit the expected layout "
            f"(more than {MAX_MALFORMED_SHARE:.0%}); the layout has changed",
        )


def isin_or_none(raw: str | None) -> str | None:
    """An ISIN as the source wrote it when it has the ISIN shape (CC + 9 + check digit), else None.

    Why not a rejection: the ISIN is descriptive; a malformed one must not cost the symbol.
    """
    value = (raw or "").strip().upper()
    return value if _ISIN.match(value) else None
