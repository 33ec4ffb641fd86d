"""NASDAQ Trader's symbol directory: `nasdaqlisted.txt` and `otherlisted.txt` (pipe-delimited).

Handles every variant seen in the wild: the 8-column and the legacy 6-column
`nasdaqlisted` header, LF and CRLF, the `File Creation Time` footer (its pipe count varies),
`Test Issue=Y` rows (excluded and counted), ETFs (kept, flagged) and the exchange codes of
`otherlisted`. An HTML page saved under the .txt name, a missing footer (a truncated
download) or an unknown header raise CodedError(SCRAPE_LAYOUT).
"""

from __future__ import annotations

import datetime as dt

from stock_assets.lib.errors import CodedError, ErrorCode
from stock_assets.lib.listings.common import (
    ParsedListing,
    header_row_reason,
    refuse_html,
    refuse_malformed,
    row,
)
from stock_assets.lib.symbols import InvalidSymbol, Rejected, from_nasdaq_trader

FOOTER = "File Creation Time"
# otherlisted.txt "Exchange" codes (nasdaqtrader.com symbol directory definitions) -> MIC.
EXCHANGES = {
    "N": "XNYS",  # NYSE
    "A": "XASE",  # NYSE American
    "P": "ARCX",  # NYSE Arca
    "Z": "BATS",  # Cboe BZX
    "V": "IEXG",  # IEX
    "M": "XCHI",  # NYSE Texas, formerly NYSE Chicago; seen in 2025 files (its test issue is "NYSE Texas")
}
NASDAQ_LISTED_REQUIRED = ("Symbol", "Security Name", "Market Category", "Test Issue")
OTHER_LISTED_REQUIRED = ("ACT Symbol", "Security Name", "Exchange", "Test Issue")


def parse(text: str, what: str = "NASDAQ Trader listing") -> ParsedListing:
    """Either file, recognised by its header."""
    refuse_html(text, what)
    lines = [line.rstrip("\r") for line in text.lstrip("\ufeff").splitlines() if line.strip()]
    if not lines:
        raise CodedError(ErrorCode.SCRAPE_LAYOUT, f"{what} is empty")
    header = [h.strip() for h in lines[0].split("|")]
    if all(c in header for c in NASDAQ_LISTED_REQUIRED):
        kind = "nasdaqlisted"
    elif all(c in header for c in OTHER_LISTED_REQUIRED):
        kind = "otherlisted"
    else:
        raise CodedError(
            ErrorCode.SCRAPE_LAYOUT,
            f"{what}: unexpected header {lines[0][:200]!r}; expected the nasdaqlisted columns "
            f"{'|'.join(NASDAQ_LISTED_REQUIRED)} or the otherlisted columns {'|'.join(OTHER_LISTED_REQUIRED)}",
        )
    if not lines[-1].startswith(FOOTER):
        raise CodedError(
            ErrorCode.SCRAPE_LAYOUT,
            f"{what}: no '{FOOTER}' footer at the end: the download is truncated or the layout changed",
        )
    created = _footer_time(lines[-1])
    body = lines[1:-1]
    parsed = ParsedListing(rows=[], note=f"file created {created.isoformat() if created else 'unknown'}")
    malformed = 0
    for line in body:
        fields = [f.strip() for f in line.split("|")]
        if line.startswith(FOOTER):
            parsed.rejected.append(Rejected(raw=fields[0][:40], reason=(
                "a footer inside the file (two downloads concatenated?), not a symbol")))
            continue
        repeated = header_row_reason(fields, header)
        if repeated:
            parsed.rejected.append(Rejected(raw=fields[0][:40], reason=repeated))
            continue
        if len(fields) != len(header):
            malformed += 1
            parsed.rejected.append(Rejected(raw=fields[0][:40], reason=(
                f"row has {len(fields)} fields, the header has {len(header)}")))
            continue
        record = dict(zip(header, fields, strict=True))
        if record["Test Issue"].upper() == "Y":
            parsed.excluded += 1
            continue
        _accept(record, kind, parsed)
    refuse_malformed(malformed, len(body), what)
    return parsed


def _accept(record: dict, kind: str, parsed: ParsedListing) -> None:
    if kind == "nasdaqlisted":
        raw, nasdaq_symbol, exchange = record["Symbol"], None, "XNAS"
    else:
        raw, nasdaq_symbol = record["ACT Symbol"], record.get("NASDAQ Symbol")
        code = record["Exchange"].upper()
        exchange = EXCHANGES.get(code)
        if exchange is None:
            parsed.rejected.append(Rejected(raw=raw, reason=f"unknown exchange code {code!r}"))
            return
    try:
        yahoo = from_nasdaq_trader(raw, nasdaq_symbol)
        listed = row(
            symbol=raw.strip().upper(), yahoo_symbol=yahoo, name=record["Security Name"], exchange=exchange,
            is_etf=record.get("ETF", "").upper() == "Y",
        )
    except InvalidSymbol as err:
        parsed.rejected.append(Rejected(raw=raw, reason=err.reason))
        return
    parsed.add(listed)


def _footer_time(line: str) -> dt.datetime | None:
    """`File Creation Time: 0721202521:31|||` -> 2025-07-21 21:31 (None when unreadable)."""
    stamp = line.split("|", 1)[0].removeprefix(FOOTER).strip(" :")
    try:
        return dt.datetime.strptime(stamp, "%m%d%Y%H:%M")
    except ValueError:
        return None
