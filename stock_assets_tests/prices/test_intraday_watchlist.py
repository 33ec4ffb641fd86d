"""`STOCK_ASSETS_INTRADAY_SYMBOLS` and the watchlist resource: futures, a universe name, or symbols."""

import pytest

from stock_assets.defs.prices.watchlist import IntradayWatchlist, WatchlistEmpty
from stock_assets.settings import Settings, SettingsError
from stock_assets_tests.conftest import materialize_universe


@pytest.mark.parametrize("raw, stored", [
    (None, "futures"), ("futures", "futures"), ("SP500", "sp500"), (" aapl , es=f,VOD.L,aapl", "AAPL,ES=F,VOD.L"),
])
def test_the_setting_is_checked_and_normalised(raw, stored):
    env = {} if raw is None else {"STOCK_ASSETS_INTRADAY_SYMBOLS": raw}
    assert Settings.from_env(env).intraday_symbols == stored


@pytest.mark.parametrize("raw", ["", " , ", "AAPL,../etc", "a b"])
def test_a_bad_watchlist_is_refused_with_the_variable_named(raw):
    with pytest.raises(SettingsError, match="STOCK_ASSETS_INTRADAY_SYMBOLS"):
        Settings.from_env({"STOCK_ASSETS_INTRADAY_SYMBOLS": raw})


def test_futures_a_universe_name_and_calendars(offline_resources, instance, warehouse):
    assert IntradayWatchlist(spec="futures", futures="ES=F,CL=F").symbols(warehouse) == ["ES=F", "CL=F"]
    with pytest.raises(WatchlistEmpty, match="ticker_universe"):
        IntradayWatchlist(spec="synthetic").symbols(warehouse)
    materialize_universe(offline_resources, instance)
    universe = IntradayWatchlist(spec="synthetic").symbols(warehouse)
    assert len(universe) > 40 and universe == sorted(universe)
    calendars = IntradayWatchlist(spec="x").calendars(warehouse, [universe[0], "ES=F", "VOD.L"])
    assert calendars == {universe[0]: "XNYS", "ES=F": "CMES", "VOD.L": "XLON"}
