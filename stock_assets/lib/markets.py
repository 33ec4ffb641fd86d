"""Which market a Yahoo symbol trades on: its venue (MIC), calendar, quote currency, asset class.

Why one pure table: the universe stores these four values per symbol, and the price side
judges sessions, currency units and completeness by them. Both must read the same answer
from the same place, and an answer nobody wrote down must never be guessed: an unknown
suffix, an unknown venue or an unknown futures root raises `UnknownMarket` (an
`InvalidSymbol`, so listing parsers record the row as rejected with the reason).

Where each value comes from (docs/adr/0018-instrument-model.md):
- the Yahoo suffix (`.L`, `.DE`, `.PA`, `.AS`) names the venue outright;
- a bare (US) symbol's venue comes from the source (`exchange_hint`: a MIC, or a name the
  listing writes such as NASDAQ Trader's `NYSE Arca`); without one it is refused;
- a continuous future (`ES=F`) is looked up by its root in `FUTURES`;
- an index (`^GSPC`) is looked up in `INDICES`.

The price side asks `market_of` / `calendar_of` / `currency_of`: the universe's columns
(`universe.tickers.calendar`, `currency`) win when the caller has them; otherwise the symbol's
form decides, with the same tables. A bare symbol is a US listing by Yahoo's naming (every US
venue shares the XNYS calendar and USD, so only its MIC stays unknown); a few markets the
universe does not list yet (`QUOTED_ONLY`: Oslo, Copenhagen, Milan, Johannesburg) are known
by calendar and currency so that their answers are dated and priced right; any other suffix
raises `UnknownMarket`: never judged by the NYSE calendar by default.
"""

from __future__ import annotations

from dataclasses import dataclass

from stock_assets.lib.symbols import InvalidSymbol

EQUITY, ETF, FUND, INDEX, FUTURE = "equity", "etf", "fund", "index", "future"
ASSET_CLASSES = (EQUITY, ETF, FUND, INDEX, FUTURE)


@dataclass(frozen=True)
class Instrument:
    """Where a symbol trades and how it is quoted: the universe's instrument columns."""

    exchange: str | None  # ISO 10383 MIC, e.g. XNAS, XLON, XCME; None: a bare US symbol read by form
    calendar: str  # exchange_calendars name, e.g. XNYS, XLON, CMES
    currency: str  # as Yahoo quotes it, e.g. USD, GBp (pence), EUR
    asset_class: str  # one of ASSET_CLASSES


@dataclass(frozen=True)
class Venue:
    """One trading venue: its MIC, the calendar its sessions follow, its usual quote currency."""

    mic: str
    calendar: str
    currency: str
    name: str


VENUES: dict[str, Venue] = {v.mic: v for v in (
    Venue("XNAS", "XNYS", "USD", "Nasdaq"),
    Venue("XNYS", "XNYS", "USD", "New York Stock Exchange"),
    Venue("ARCX", "XNYS", "USD", "NYSE Arca"),
    Venue("XASE", "XNYS", "USD", "NYSE American"),
    Venue("BATS", "XNYS", "USD", "Cboe BZX"),
    Venue("IEXG", "XNYS", "USD", "IEX"),  # NASDAQ Trader exchange code V
    Venue("XCHI", "XNYS", "USD", "NYSE Texas (formerly NYSE Chicago)"),  # NASDAQ Trader code M
    Venue("XLON", "XLON", "GBp", "London Stock Exchange"),
    Venue("XETR", "XETR", "EUR", "Xetra"),
    Venue("XPAR", "XPAR", "EUR", "Euronext Paris"),
    Venue("XAMS", "XAMS", "EUR", "Euronext Amsterdam"),
    Venue("XCME", "CMES", "USD", "CME"),
    Venue("XCBT", "CMES", "USD", "CBOT"),
    Venue("XNYM", "CMES", "USD", "NYMEX"),
    Venue("XCEC", "CMES", "USD", "COMEX"),
)}
US_MICS = ("XNAS", "XNYS", "ARCX", "XASE", "BATS", "IEXG", "XCHI")

# Yahoo's exchange suffixes for the venues above. Yahoo quotes London in pence (GBp).
SUFFIXES: dict[str, str] = {".L": "XLON", ".DE": "XETR", ".PA": "XPAR", ".AS": "XAMS"}

# Yahoo suffixes of markets the project has no calendar for yet: named so that `ABI.BR` is
# refused as "Brussels, not supported" instead of being read as a share class (`ABI-BR`).
UNSUPPORTED_SUFFIXES: dict[str, str] = {
    ".BR": "Euronext Brussels", ".MI": "Borsa Italiana", ".LS": "Euronext Lisbon", ".IR": "Euronext Dublin",
    ".OL": "Oslo Børs", ".SW": "SIX Swiss", ".F": "Frankfurt floor", ".DU": "Düsseldorf", ".MC": "Madrid",
    ".VI": "Vienna", ".ST": "Stockholm", ".CO": "Copenhagen", ".HE": "Helsinki", ".TO": "Toronto",
    ".AX": "ASX", ".T": "Tokyo", ".HK": "Hong Kong", ".JO": "Johannesburg",
}

# Markets the universe does not list yet (their suffixes are in UNSUPPORTED_SUFFIXES), known to
# the price side by calendar and quote currency: a recorded Yahoo answer of theirs is dated on
# its own sessions and priced in its own unit (ZAc: South African cents, a minor unit).
QUOTED_ONLY: dict[str, Venue] = {
    ".OL": Venue("XOSL", "XOSL", "NOK", "Oslo Børs"),
    ".CO": Venue("XCSE", "XCSE", "DKK", "Nasdaq Copenhagen"),
    ".MI": Venue("XMIL", "XMIL", "EUR", "Borsa Italiana"),
    ".JO": Venue("XJSE", "XJSE", "ZAc", "Johannesburg Stock Exchange"),
}

# Names listings write for a venue (lower case) -> MIC. MICs themselves are accepted too.
VENUE_NAMES: dict[str, str] = {
    "nasdaq": "XNAS", "nyse": "XNYS", "nyse arca": "ARCX", "nyse american": "XASE",
    "nyse mkt": "XASE", "amex": "XASE", "cboe bzx": "BATS", "bats": "BATS", "iex": "IEXG",
    "nyse texas": "XCHI", "nyse chicago": "XCHI", "lse": "XLON", "london": "XLON",
    "xetra": "XETR", "euronext paris": "XPAR", "euronext amsterdam": "XAMS",
}

# Continuous futures in Yahoo form (`ES=F`): root -> the exchange that lists the contract.
FUTURES: dict[str, str] = {
    "ES": "XCME", "NQ": "XCME", "RTY": "XCME", "MES": "XCME", "MNQ": "XCME", "M2K": "XCME",
    "6E": "XCME", "6J": "XCME", "6B": "XCME", "LE": "XCME", "HE": "XCME",
    "YM": "XCBT", "MYM": "XCBT", "ZN": "XCBT", "ZB": "XCBT", "ZF": "XCBT", "ZT": "XCBT",
    "ZC": "XCBT", "ZS": "XCBT", "ZW": "XCBT",
    "CL": "XNYM", "NG": "XNYM", "RB": "XNYM", "HO": "XNYM", "PL": "XNYM", "PA": "XNYM", "MCL": "XNYM",
    "GC": "XCEC", "SI": "XCEC", "HG": "XCEC", "MGC": "XCEC",
}

# Indices: symbol -> (the venue whose sessions the index follows, the currency Yahoo quotes).
INDICES: dict[str, tuple[str, str]] = {
    "^GSPC": ("XNYS", "USD"), "^DJI": ("XNYS", "USD"), "^IXIC": ("XNAS", "USD"),
    "^NDX": ("XNAS", "USD"), "^RUT": ("XNYS", "USD"), "^VIX": ("XNYS", "USD"),
    "^FTSE": ("XLON", "GBP"), "^FTMC": ("XLON", "GBP"), "^GDAXI": ("XETR", "EUR"),
    "^MDAXI": ("XETR", "EUR"), "^FCHI": ("XPAR", "EUR"), "^AEX": ("XAMS", "EUR"),
}

# Quote currencies a source may state for a row, in Yahoo's spelling (GBp: pence, a minor unit).
CURRENCIES = ("USD", "EUR", "GBP", "GBp", "CHF", "DKK", "SEK", "NOK", "CAD", "JPY")


class UnknownMarket(InvalidSymbol):
    """A symbol whose market cannot be told from what is known: refused, never guessed."""


def venue_for(hint: str) -> Venue:
    """The venue a listing names (`XNYS`, `NYSE Arca`, `Euronext Paris`); UnknownMarket otherwise."""
    key = " ".join((hint or "").split())
    mic = key.upper() if key.upper() in VENUES else VENUE_NAMES.get(key.lower())
    if mic is None:
        raise UnknownMarket(hint, f"unknown exchange {hint!r}; known: {', '.join(VENUES)}")
    return VENUES[mic]


def suffix_of(yahoo_symbol: str) -> str:
    """The Yahoo exchange suffix (`.L` of `BT-A.L`), `=F` for a future, `^` for an index, '' for none."""
    symbol = yahoo_symbol.strip().upper()
    if symbol.startswith("^"):
        return "^"
    if "=" in symbol:
        return symbol[symbol.index("="):]
    dot = symbol.rfind(".")
    return symbol[dot:] if dot > 0 else ""


def instrument_for(
    yahoo_symbol: str,
    exchange_hint: str | None = None,
    *,
    asset_class: str | None = None,
    currency: str | None = None,
) -> Instrument:
    """The instrument columns of `yahoo_symbol` (already in Yahoo form, e.g. `VOD.L`, `ES=F`).

    `exchange_hint` is the venue the source states (a MIC or a name in VENUE_NAMES): required
    for a bare US symbol, checked against the suffix otherwise (`VOD.L` said to trade on XETR
    is refused). `asset_class` defaults to `equity` (to `future` / `index` by the symbol's
    form); `currency` overrides the venue's usual quote currency when the source states it
    (a USD line on Euronext). Raises UnknownMarket, naming what is unknown, for anything else.
    """
    symbol = yahoo_symbol.strip().upper()
    suffix = suffix_of(symbol)
    if suffix == "=F":
        return _future(yahoo_symbol, symbol, exchange_hint, asset_class, currency)
    if suffix == "^":
        return _index(yahoo_symbol, symbol, asset_class, currency)
    if "=" in suffix:
        raise UnknownMarket(yahoo_symbol, f"{suffix!r} symbols (currencies, other contracts) are not supported; "
                                          "futures are written ROOT=F")
    if suffix:
        if suffix in UNSUPPORTED_SUFFIXES:
            raise UnknownMarket(yahoo_symbol, f"{suffix!r} is {UNSUPPORTED_SUFFIXES[suffix]}, a market not "
                                              f"supported yet; supported suffixes: {', '.join(SUFFIXES)}")
        if suffix not in SUFFIXES:
            raise UnknownMarket(yahoo_symbol, f"unknown exchange suffix {suffix!r}; known: {', '.join(SUFFIXES)}")
        venue = VENUES[SUFFIXES[suffix]]
        if exchange_hint and venue_for(exchange_hint).mic != venue.mic:
            raise UnknownMarket(yahoo_symbol, f"the source says {exchange_hint!r} but {suffix!r} is {venue.mic}")
    else:
        if not exchange_hint:
            raise UnknownMarket(yahoo_symbol, "no exchange suffix and the source names no exchange: "
                                              "the venue is unknown")
        venue = venue_for(exchange_hint)
        if venue.mic not in US_MICS:
            raise UnknownMarket(yahoo_symbol, f"{venue.mic} symbols need the Yahoo suffix "
                                              f"{_suffix_for(venue.mic)!r}")
    return Instrument(venue.mic, venue.calendar, _currency(yahoo_symbol, currency, venue),
                      _asset_class(yahoo_symbol, asset_class, EQUITY))


def _future(raw, symbol, exchange_hint, asset_class, currency) -> Instrument:
    root = symbol[: -len("=F")]
    mic = FUTURES.get(root)
    if mic is None:
        raise UnknownMarket(raw, f"unknown futures root {root!r}; known: {', '.join(sorted(FUTURES))}")
    if exchange_hint and venue_for(exchange_hint).mic != mic:
        raise UnknownMarket(raw, f"the source says {exchange_hint!r} but {root} trades on {mic}")
    if asset_class not in (None, FUTURE):
        raise UnknownMarket(raw, f"a =F symbol is a future, not {asset_class!r}")
    venue = VENUES[mic]
    return Instrument(mic, venue.calendar, _currency(raw, currency, venue), FUTURE)


def _index(raw, symbol, asset_class, currency) -> Instrument:
    if symbol not in INDICES:
        raise UnknownMarket(raw, f"unknown index {symbol!r}; known: {', '.join(INDICES)}")
    mic, quoted = INDICES[symbol]
    if asset_class not in (None, INDEX):
        raise UnknownMarket(raw, f"a ^ symbol is an index, not {asset_class!r}")
    return Instrument(mic, VENUES[mic].calendar, currency or quoted, INDEX)


def _currency(raw: str, stated: str | None, venue: Venue) -> str:
    if not stated:
        return venue.currency
    stated = stated.strip()
    if stated not in CURRENCIES:
        raise UnknownMarket(raw, f"unknown quote currency {stated!r}; known: {', '.join(CURRENCIES)}")
    return stated


def _asset_class(raw: str, stated: str | None, default: str) -> str:
    value = (stated or default).strip().lower()
    if value not in (EQUITY, ETF, FUND):
        raise UnknownMarket(raw, f"asset class {value!r} does not fit a listed security "
                                 f"(equity, etf or fund)")
    return value


def _suffix_for(mic: str) -> str:
    return next((s for s, m in SUFFIXES.items() if m == mic), "?")


# -- the price side: what a stored or fetched symbol is judged by -------------------------

US_CALENDAR, US_CURRENCY = "XNYS", "USD"


def market_of(yahoo_symbol: str) -> Instrument:
    """The market of `yahoo_symbol` read from its form alone: calendar and quote currency.

    `VOD.L` -> XLON in GBp; `ES=F` -> its exchange on CMES; `^FTSE` -> XLON; `AZT.OL` -> XOSL in
    NOK (QUOTED_ONLY); a bare `AAPL` -> a US listing (XNYS, USD; exchange None: which US venue,
    the form does not say). Raises UnknownMarket for an unknown or unsupported-and-unpriced
    suffix, an unknown futures root or index, a `=X` symbol: never a silent XNYS.
    """
    symbol = yahoo_symbol.strip().upper()
    suffix = suffix_of(symbol)
    if suffix == "=F":
        return _future(yahoo_symbol, symbol, None, None, None)
    if suffix == "^":
        return _index(yahoo_symbol, symbol, None, None)
    if "=" in suffix:
        raise UnknownMarket(yahoo_symbol, f"{suffix!r} symbols (currencies, other contracts) are not supported; "
                                          "futures are written ROOT=F")
    if not suffix:
        return Instrument(None, US_CALENDAR, US_CURRENCY, EQUITY)
    venue = VENUES.get(SUFFIXES.get(suffix, "")) or QUOTED_ONLY.get(suffix)
    if venue is None:
        known = ", ".join([*SUFFIXES, *QUOTED_ONLY])
        what = (f"{UNSUPPORTED_SUFFIXES[suffix]}, a market without a calendar here yet"
                if suffix in UNSUPPORTED_SUFFIXES else "an unknown exchange suffix")
        raise UnknownMarket(yahoo_symbol, f"{suffix!r} is {what}; its sessions and currency cannot be told "
                                          f"(known: {known})")
    return Instrument(venue.mic, venue.calendar, venue.currency, EQUITY)


def calendar_of(yahoo_symbol: str, known: str | None = None) -> str:
    """The symbol's trading calendar: `known` (the universe's column) when given, else its form."""
    return known or market_of(yahoo_symbol).calendar


def currency_of(yahoo_symbol: str, known: str | None = None) -> str:
    """The symbol's quote currency: `known` (the universe's or Yahoo's answer) when given, else its form."""
    return known or market_of(yahoo_symbol).currency
