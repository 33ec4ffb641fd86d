"""Ticker symbols: one normaliser, one strict character set.

Why strict: a symbol comes from scraped pages and third-party files; it must never become
a path, a piece of SQL or a log injection. Anything outside the set is rejected with a
reason that the caller records, never dropped in silence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Yahoo's alphabet: letters, digits, '-' (share classes, crypto pairs), '.' (exchange
# suffix), '^' (indices), '=' (currencies, futures). Max 20 characters.
YAHOO_SYMBOL = re.compile(r"^[A-Z0-9^][A-Z0-9.\-^=]{0,19}$")
_SHARE_CLASS_DOT = re.compile(r"^([A-Z0-9]+)\.([A-Z]{1,2})$")


class InvalidSymbol(ValueError):
    """A raw symbol that cannot be made into a safe Yahoo symbol; `reason` says why."""

    def __init__(self, raw: str, reason: str):
        super().__init__(f"invalid symbol {raw!r}: {reason}")
        self.raw = raw
        self.reason = reason


@dataclass(frozen=True)
class Rejected:
    """A symbol that was refused, kept so that the refusal can be recorded and shown."""

    raw: str
    reason: str


def clean(raw: str) -> str:
    """Whitespace stripped, upper case."""
    return (raw or "").strip().upper()


def validate(symbol: str) -> str:
    """Return `symbol` if it is a safe Yahoo symbol, else raise InvalidSymbol."""
    if not symbol:
        raise InvalidSymbol(symbol, "empty")
    if ".." in symbol or "/" in symbol or "\\" in symbol:
        raise InvalidSymbol(symbol, "contains a path separator or '..'")
    if not YAHOO_SYMBOL.match(symbol):
        raise InvalidSymbol(
            symbol, "characters outside A-Z 0-9 . - ^ = or longer than 20 characters"
        )
    return symbol


def to_yahoo_symbol(raw: str, suffix: str = "") -> str:
    """`BRK.B` -> `BRK-B`, `bf.b ` -> `BF-B`, (`VOD`, `.L`) -> `VOD.L`.

    Share classes written with a dot become a dash because Yahoo uses the dot for the
    exchange suffix. `suffix` is the Yahoo exchange suffix of a foreign listing.
    Raises InvalidSymbol for anything outside the strict character set.
    """
    symbol = clean(raw)
    if not symbol:
        raise InvalidSymbol(raw, "empty")
    match = _SHARE_CLASS_DOT.match(symbol)
    if match:
        symbol = f"{match.group(1)}-{match.group(2)}"
    validate(symbol)
    if suffix:
        if not re.fullmatch(r"\.[A-Z]{1,3}", suffix):
            raise InvalidSymbol(raw, f"bad exchange suffix {suffix!r}")
        symbol = validate(symbol + suffix)
    return symbol


def partition_symbols(raw_symbols: list[str], suffix: str = "") -> tuple[list[str], list[Rejected]]:
    """Split raw symbols into accepted Yahoo symbols (deduplicated, in order) and rejects."""
    accepted: list[str] = []
    seen: set[str] = set()
    rejected: list[Rejected] = []
    for raw in raw_symbols:
        try:
            symbol = to_yahoo_symbol(raw, suffix)
        except InvalidSymbol as err:
            rejected.append(Rejected(raw=str(raw), reason=err.reason))
            continue
        if symbol not in seen:
            seen.add(symbol)
            accepted.append(symbol)
    return accepted, rejected
