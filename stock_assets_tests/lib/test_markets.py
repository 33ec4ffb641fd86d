"""The market table: every Yahoo form maps to one venue, calendar and currency, or is refused."""

import exchange_calendars as xcals
import pytest

from stock_assets.lib.markets import (
    FUTURES, INDICES, SUFFIXES, VENUES, Instrument, UnknownMarket, instrument_for, suffix_of, venue_for,
)
from stock_assets.lib.symbols import InvalidSymbol

DEFAULT_FUTURES = "ES=F,NQ=F,YM=F,RTY=F,MES=F,MNQ=F,MYM=F,CL=F,GC=F,SI=F,ZN=F,ZB=F".split(",")


@pytest.mark.parametrize("symbol, hint, expected", [
    ("AAPL", "XNAS", Instrument("XNAS", "XNYS", "USD", "equity")),
    ("BRK-B", "NYSE", Instrument("XNYS", "XNYS", "USD", "equity")),
    ("SPY", "NYSE Arca", Instrument("ARCX", "XNYS", "USD", "equity")),
    ("VOD.L", None, Instrument("XLON", "XLON", "GBp", "equity")),
    ("BT-A.L", "LSE", Instrument("XLON", "XLON", "GBp", "equity")),
    ("SAP.DE", None, Instrument("XETR", "XETR", "EUR", "equity")),
    ("AI.PA", "Euronext Paris", Instrument("XPAR", "XPAR", "EUR", "equity")),
    ("ASML.AS", None, Instrument("XAMS", "XAMS", "EUR", "equity")),
    ("ES=F", None, Instrument("XCME", "CMES", "USD", "future")),
    ("YM=F", None, Instrument("XCBT", "CMES", "USD", "future")),
    ("CL=F", None, Instrument("XNYM", "CMES", "USD", "future")),
    ("GC=F", "XCEC", Instrument("XCEC", "CMES", "USD", "future")),
    ("^FTSE", None, Instrument("XLON", "XLON", "GBP", "index")),
])
def test_instrument_for(symbol, hint, expected):
    assert instrument_for(symbol, hint) == expected


def test_source_states_asset_class_and_currency():
    assert instrument_for("QQQ", "XNAS", asset_class="etf").asset_class == "etf"
    assert instrument_for("UNIBL.AS", asset_class="equity", currency="USD").currency == "USD"


@pytest.mark.parametrize("symbol, hint, reason", [
    ("VOD.XX", None, "unknown exchange suffix '.XX'"),
    ("ABI.BR", None, "'.BR' is Euronext Brussels, a market not supported yet"),
    ("AAPL", None, "the venue is unknown"),
    ("AAPL", "Moon Exchange", "unknown exchange 'Moon Exchange'"),
    ("VOD", "XLON", "need the Yahoo suffix '.L'"),
    ("VOD.L", "XETR", "but '.L' is XLON"),
    ("XX=F", None, "unknown futures root 'XX'"),
    ("EURUSD=X", None, "'=X' symbols"),
    ("ES=F", "XNYM", "ES trades on XCME"),
    ("ES=F", None, None),  # control: the same symbol resolves without a contradicting hint
    ("^NOPE", None, "unknown index"),
    ("AAPL", "XNAS", None),
])
def test_unknown_or_contradictory_is_refused_never_guessed(symbol, hint, reason):
    if reason is None:
        instrument_for(symbol, hint)
        return
    with pytest.raises(UnknownMarket, match=reason.replace("(", r"\(").replace(")", r"\)")) as err:
        instrument_for(symbol, hint)
    assert isinstance(err.value, InvalidSymbol)  # parsers record it as a rejected row


def test_refuses_unknown_currency_and_odd_asset_class():
    with pytest.raises(UnknownMarket, match="unknown quote currency 'XYZ'"):
        instrument_for("AI.PA", currency="XYZ")
    with pytest.raises(UnknownMarket, match="does not fit"):
        instrument_for("AI.PA", asset_class="future")


def test_default_futures_all_resolve_on_cme_group_venues():
    got = {s: instrument_for(s) for s in DEFAULT_FUTURES}
    assert {i.calendar for i in got.values()} == {"CMES"}
    assert {i.exchange for i in got.values()} == {"XCME", "XCBT", "XNYM", "XCEC"}
    assert got["ZN=F"].exchange == "XCBT" and got["SI=F"].exchange == "XCEC"


def test_every_calendar_named_exists_in_exchange_calendars():
    names = set(xcals.get_calendar_names(include_aliases=True))
    assert {v.calendar for v in VENUES.values()} <= names
    assert all(mic in VENUES for mic in [*SUFFIXES.values(), *FUTURES.values(), *(m for m, _ in INDICES.values())])


def test_suffix_of_and_venue_names():
    assert [suffix_of(s) for s in ("BT-A.L", "ES=F", "^GSPC", "BRK-B", "EURUSD=X")] == [".L", "=F", "^", "", "=X"]
    assert venue_for(" nyse  american ").mic == "XASE" and venue_for("xetr").mic == "XETR"
