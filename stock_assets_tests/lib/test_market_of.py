"""The price side's reading of a symbol's market (lib/markets.py: market_of, calendar_of,
currency_of; lib/market_sessions.py: calendars_of, unknown_markets).

Why: bars are dated, priced and judged by their market. The universe's columns win when
present; otherwise the symbol's form decides from the same table as the universe side, and
a form nobody wrote down is refused with the reason, never judged on the NYSE calendar.
"""

import pytest

from stock_assets.lib import market_sessions, markets
from stock_assets.lib.markets import UnknownMarket


@pytest.mark.parametrize("symbol, exchange, cal, currency, asset_class", [
    ("VOD.L", "XLON", "XLON", "GBp", "equity"),
    ("SAP.DE", "XETR", "XETR", "EUR", "equity"),
    ("MC.PA", "XPAR", "XPAR", "EUR", "equity"),
    ("ASML.AS", "XAMS", "XAMS", "EUR", "equity"),
    ("ES=F", "XCME", "CMES", "USD", "future"),
    ("GC=F", "XCEC", "CMES", "USD", "future"),
    ("^FTSE", "XLON", "XLON", "GBP", "index"),
    ("AZT.OL", "XOSL", "XOSL", "NOK", "equity"),
    ("ORSTED.CO", "XCSE", "XCSE", "DKK", "equity"),
    ("UNIR.MI", "XMIL", "XMIL", "EUR", "equity"),
    ("SSW.JO", "XJSE", "XJSE", "ZAc", "equity"),
    ("AAPL", None, "XNYS", "USD", "equity"),  # Yahoo's US form: every US venue is XNYS/USD
    ("BRK-B", None, "XNYS", "USD", "equity"),
])
def test_the_form_tells_calendar_and_currency(symbol, exchange, cal, currency, asset_class):
    assert markets.market_of(symbol) == markets.Instrument(exchange, cal, currency, asset_class)


@pytest.mark.parametrize("symbol, says", [
    ("FOO.XX", "unknown exchange suffix"),
    ("ABI.BR", "Euronext Brussels"),  # a market the project has no calendar for
    ("BRK.B", "unknown exchange suffix"),  # not Yahoo's spelling (BRK-B): never read as a US listing
    ("EURUSD=X", "not supported"),
    ("KC=F", "unknown futures root"),  # ICE coffee: not a CME Group root
    ("^N225", "unknown index"),
])
def test_an_unknown_form_is_refused_with_the_reason(symbol, says):
    with pytest.raises(UnknownMarket, match=says):
        markets.market_of(symbol)
    with pytest.raises(UnknownMarket):
        markets.calendar_of(symbol)


def test_the_universe_columns_win_over_the_form():
    assert markets.calendar_of("FOO.XX", "XLON") == "XLON"  # the universe knows it: no refusal
    assert markets.calendar_of("VOD.L", "XETR") == "XETR"
    assert markets.currency_of("OCDO.L", "USD") == "USD"  # a London line quoted in dollars
    assert markets.currency_of("OCDO.L") == "GBp"
    assert markets.calendar_of("ES=F", None) == "CMES"


def test_calendars_of_leaves_an_unknown_market_out_and_says_why():
    symbols = ["AAPL", "VOD.L", "FOO.XX", "ABI.BR", "ODD.ZZ"]
    known = {"ODD.ZZ": "XETR"}  # the universe names its calendar: that wins
    assert market_sessions.calendars_of(symbols, known) == {"AAPL": "XNYS", "VOD.L": "XLON", "ODD.ZZ": "XETR"}
    why = market_sessions.unknown_markets(symbols, known)
    assert set(why) == {"FOO.XX", "ABI.BR"}
    assert why["FOO.XX"].startswith("market unknown: '.XX' is an unknown exchange suffix")
    assert "Euronext Brussels" in why["ABI.BR"]


def test_the_universe_and_the_price_side_read_one_table():
    """Every suffix and futures root the universe accepts gives the price side the same market."""
    for suffix, mic in markets.SUFFIXES.items():
        listed = markets.instrument_for(f"X{suffix}")
        assert markets.market_of(f"X{suffix}") == listed
        assert listed.exchange == mic
    for root in markets.FUTURES:
        assert markets.market_of(f"{root}=F") == markets.instrument_for(f"{root}=F")
    for suffix in markets.QUOTED_ONLY:  # priced, but not listed by the universe yet
        with pytest.raises(UnknownMarket):
            markets.instrument_for(f"X{suffix}")
