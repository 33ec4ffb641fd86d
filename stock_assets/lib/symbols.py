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
    source: str = ""  # the listing source that refused it, when known


def clean(raw: str) -> str:
    """Whitespace stripped, upper case; anything but ASCII refused first.

    Why before `upper()`: Unicode case mapping folds lookalikes into real tickers (`ſpy` ->
    `SPY`, `ıbm` -> `IBM`), so a hostile or garbled listing could pose as a real symbol.
    """
    raw = raw or ""
    if not raw.isascii():
        raise InvalidSymbol(raw, "non-ASCII characters (a lookalike of a ticker is refused, never folded)")
    return raw.strip().upper()


def validate(symbol: str) -> str:
    """Return `symbol` if it is a safe Yahoo symbol, else raise InvalidSymbol."""
    if not symbol:
        raise InvalidSymbol(symbol, "empty")
    if ".." in symbol or "/" in symbol or "\\" in symbol:
        raise InvalidSymbol(symbol, "contains a path separator or '..'")
    if not YAHOO_SYMBOL.fullmatch(symbol):  # `$` with `.match` lets a trailing newline through
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
        raise InvalidSymbol(raw, "empty")  # no mutate: without it validate("") raises the same (raw, "empty")
    match = _SHARE_CLASS_DOT.match(symbol)
    if match:
        symbol = f"{match.group(1)}-{match.group(2)}"
    try:
        validate(symbol)
        if suffix:
            if not re.fullmatch(r"\.[A-Z]{1,3}", suffix):
                raise InvalidSymbol(raw, f"bad exchange suffix {suffix!r}")
            symbol = validate(symbol + suffix)
    except InvalidSymbol as err:
        raise InvalidSymbol(raw, err.reason) from None  # report what the source wrote
    return symbol


# NASDAQ Trader's "NASDAQ Symbol" notation marks issues that are not common stock or ETFs
# (see nasdaqtrader.com "Symbology"): the universe does not track them, so they are
# rejected with the kind named instead of being guessed into a Yahoo form.
NASDAQ_NOTATION_KINDS = {
    "-": "preferred share",
    "+": "warrant",
    "=": "unit",
    "^": "right",
    "#": "when-issued",
    "*": "called for redemption",
    "%": "when-distributed",
}
# The ACT/CQS spelling of the same kinds, used when the NASDAQ Symbol column is absent.
_ACT_KIND_SUFFIXES = ((re.compile(r"\$"), "preferred share"), (re.compile(r"\.W[S]?$"), "warrant"),
                      (re.compile(r"\.U$"), "unit"), (re.compile(r"\.R$"), "right"),
                      (re.compile(r"\.V$"), "when-issued"))


def from_nasdaq_trader(act_symbol: str, nasdaq_symbol: str | None = None) -> str:
    """The Yahoo symbol of a NASDAQ Trader listing (`BRK.B` -> `BRK-B`).

    Preferreds (`ABR$D` / `ABR-D`), warrants (`ACHR.W` / `ACHR+`), units, rights,
    when-issued and called issues raise InvalidSymbol naming the kind: they are not common
    stock or ETFs, and their Yahoo spelling is not reliable enough to guess.
    """
    act = clean(act_symbol)
    nasdaq = clean(nasdaq_symbol or "")
    for mark, kind in NASDAQ_NOTATION_KINDS.items():
        if mark in nasdaq:
            raise InvalidSymbol(act_symbol, f"{kind} ({nasdaq}): not tracked, the universe holds common stock and ETFs")
    for pattern, kind in _ACT_KIND_SUFFIXES:
        if pattern.search(act) and not nasdaq:
            raise InvalidSymbol(act_symbol, f"{kind} ({act}): not tracked, the universe holds common stock and ETFs")
    if "$" in act:
        raise InvalidSymbol(act_symbol, f"preferred share ({act}): not tracked, the universe holds common stock and ETFs")
    return to_yahoo_symbol(act)


def foreign_symbol(raw: str, suffix: str) -> str:
    """A foreign listing's Yahoo symbol: `BT.A` + `.L` -> `BT-A.L`, `RR.` -> `RR.L`, `SAP.DE` -> `SAP.DE`.

    Index pages write London tickers with a trailing dot (`BP.`) and sometimes already
    carry the exchange suffix; both are cleaned before the suffix is added once.
    """
    symbol = clean(raw)
    if suffix and symbol.endswith(suffix.upper()):
        symbol = symbol[: -len(suffix)]
    symbol = symbol.rstrip(".")
    return to_yahoo_symbol(symbol, suffix)


def partition_symbols(raw_symbols: list[str], suffix: str = "") -> tuple[list[str], list[Rejected]]:
    """Split raw symbols into accepted Yahoo symbols (deduplicated, in order) and rejects.

    A raw symbol whose Yahoo form is already taken (`BRK-B` after `BRK.B`) is rejected as a
    duplicate naming the first spelling, so the merge is recorded, never silent.
    """
    accepted: list[str] = []
    seen: dict[str, str] = {}
    rejected: list[Rejected] = []
    for raw in raw_symbols:
        try:
            symbol = to_yahoo_symbol(raw, suffix)
        except InvalidSymbol as err:
            rejected.append(Rejected(raw=str(raw), reason=err.reason))
            continue
        if symbol in seen:
            rejected.append(Rejected(raw=str(raw), reason=duplicate_reason(symbol, seen[symbol])))
            continue
        seen[symbol] = clean(raw)
        accepted.append(symbol)
    return accepted, rejected


def duplicate_reason(yahoo_symbol: str, first_raw: str) -> str:
    """Why a second listing row of one Yahoo symbol is refused."""
    return f"duplicate: {yahoo_symbol} is already listed (from {first_raw})"
