"""Edge forms of Yahoo symbols in the market table: where the suffix starts, and a future stays a future."""

import pytest

from stock_assets.lib.markets import Instrument, UnknownMarket, instrument_for


def test_a_one_letter_root_keeps_its_suffix_and_a_bare_suffix_is_no_symbol():
    assert instrument_for("M.L") == Instrument("XLON", "XLON", "GBp", "equity")
    with pytest.raises(UnknownMarket, match="no exchange suffix"):
        instrument_for(".L")  # a dot in first place starts no suffix: there is no root before it


def test_a_future_stated_as_another_asset_class_is_refused():
    assert instrument_for("ES=F", asset_class="future").asset_class == "future"
    with pytest.raises(UnknownMarket, match="a =F symbol is a future, not 'equity'"):
        instrument_for("ES=F", asset_class="equity")
