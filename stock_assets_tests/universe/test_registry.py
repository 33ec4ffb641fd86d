"""The registry and the live resource: universes map to sources, every source parses its own kind."""

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from stock_assets.defs.universe.live import LiveUniverseSource, live_universe_source
from stock_assets.defs.universe.scrapers import SCRAPERS, UNIVERSES
from stock_assets.settings import Settings, SettingsError
from stock_assets_tests.universe import exchange_files as xf
from stock_assets_tests.universe import listing_files as lf

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.mark.parametrize("universe, sources", [
    ("sp500", ["sp500"]), ("nasdaq", ["nasdaq_listed"]), ("us", ["nasdaq_listed", "other_listed"]),
])
def test_universe_setting_picks_sources_and_urls(universe, sources):
    settings = Settings.from_env({"STOCK_ASSETS_UNIVERSE": universe, "STOCK_ASSETS_SP500_URL": "file:///m/sp.html",
                                  "STOCK_ASSETS_NASDAQ_LISTED_URL": "file:///m/n.txt",
                                  "STOCK_ASSETS_OTHER_LISTED_URL": "file:///m/o.txt"})
    source = live_universe_source(settings)
    assert source.names() == sources
    assert {s: source.url(s) for s in sources} == {
        s: {"sp500": "file:///m/sp.html", "nasdaq_listed": "file:///m/n.txt", "other_listed": "file:///m/o.txt"}[s]
        for s in sources}
    assert source.url("ftse100") == SCRAPERS["ftse100"].default_url


def test_defaults_are_the_public_urls():
    source = live_universe_source(Settings.from_env({}))
    assert source.names() == ["sp500"]
    assert source.url("sp500").startswith("https://en.wikipedia.org/")


def test_unknown_source_is_refused():
    with pytest.raises(ValueError, match="unknown listing sources"):
        LiveUniverseSource(sources=["sp500"]).names(["nyse_by_carrier_pigeon"])


def test_every_registry_source_scrapes_a_file_url(tmp_path):
    urls = {
        "nasdaq_listed": lf.write(tmp_path / "n.txt", lf.nasdaq_listed(["AAPL", "QQQ"], etfs=("QQQ",))),
        "other_listed": lf.write(tmp_path / "o.txt", lf.other_listed([("BRK.B", "N", "N", "BRK.B")])),
        "sp500": (FIXTURES / "sp500_modern.html").as_uri(),
        "ftse100": (FIXTURES / "ftse100.html").as_uri(),
        "ftse250": (FIXTURES / "ftse250.html").as_uri(),
        "dax40": (FIXTURES / "dax40.html").as_uri(),
        "mdax": (FIXTURES / "mdax.html").as_uri(),
        "cac40": (FIXTURES / "cac40.html").as_uri(),
        "aex": (FIXTURES / "aex.html").as_uri(),
        "euronext": lf.write(tmp_path / "euronext.csv", xf.euronext()),
        "xetra": lf.write(tmp_path / "xetra.csv", xf.xetra()),
    }
    names = [*urls, "futures"]
    assert set(names) == set(SCRAPERS)  # a new registry line needs a line here too
    listing = LiveUniverseSource(sources=names, urls=urls, futures=["ES=F", "GC=F", "XX=F"]).scrape(dt.date(2024, 1, 2))
    assert listing.sources == names
    counts = dict(listing.rows.group_by("source").len().iter_rows())
    assert counts == {"nasdaq_listed": 2, "other_listed": 1, "sp500": 5, "ftse100": 6, "ftse250": 5, "dax40": 5,
                      "mdax": 4, "cac40": 5, "aex": 5, "euronext": 6, "xetra": 4, "futures": 2}
    assert {r.source for r in listing.rejected} == {"ftse100", "ftse250", "dax40", "euronext", "xetra", "futures"}
    assert listing.excluded["nasdaq_listed"] == 1 and listing.excluded["xetra"] == 3
    # every accepted row carries its market, whichever source it came from
    assert listing.rows.filter(pl.col("calendar").is_null() | pl.col("currency").is_null()
                               | pl.col("asset_class").is_null()).height == 0


def test_universe_is_a_comma_list_of_registry_names(tmp_path):
    settings = Settings.from_env({"STOCK_ASSETS_UNIVERSE": "sp500, FTSE100,dax40,cac40,aex,futures,sp500",
                                  "STOCK_ASSETS_CAC40_URL": "file:///m/cac.html", "STOCK_ASSETS_FUTURES": "es=f, CL=F"})
    assert settings.universe_names == ("sp500", "ftse100", "dax40", "cac40", "aex", "futures")
    source = live_universe_source(settings)
    assert source.names() == ["sp500", "ftse100", "dax40", "cac40", "aex", "futures"]
    assert source.url("cac40") == "file:///m/cac.html" and source.url("aex") == SCRAPERS["aex"].default_url
    assert source.futures == ["ES=F", "CL=F"]
    assert live_universe_source(Settings.from_env({"STOCK_ASSETS_UNIVERSE": "us,xetra"})).names() == [
        "nasdaq_listed", "other_listed", "xetra"]


@pytest.mark.parametrize("name", ["ftse250", "mdax", "cac40", "aex", "euronext", "xetra", "ftse100", "dax40"])
def test_every_listing_url_is_overridable(name):
    env = {"STOCK_ASSETS_UNIVERSE": name, f"STOCK_ASSETS_{name.upper()}_URL": f"file:///mirror/{name}"}
    assert live_universe_source(Settings.from_env(env)).url(name) == f"file:///mirror/{name}"


@pytest.mark.parametrize("value, message", [
    ("sp500,nyse_by_pigeon", "not a known universe"),
    ("synthetic,futures", "synthetic stands alone"),
    (" , ", "not a known universe"),
])
def test_bad_universe_lists_are_refused(value, message):
    with pytest.raises(SettingsError, match=message):
        Settings.from_env({"STOCK_ASSETS_UNIVERSE": value})


def test_futures_scrape_needs_no_network_and_records_bad_contracts():
    odd = ["EURUSD=X", "AAPL", "ES==F", "=F", "../ES=F", "ES=F;DROP", "XX=F"]
    listing = LiveUniverseSource(sources=["futures"], futures=["ES=F", "zn=f", *odd, "ES=F"]).scrape(
        dt.date(2024, 1, 2))
    rows = {r["yahoo_symbol"]: (r["exchange"], r["calendar"], r["asset_class"]) for r in listing.rows.to_dicts()}
    assert rows == {"ES=F": ("XCME", "CMES", "future"), "ZN=F": ("XCBT", "CMES", "future")}
    assert sorted(r.raw for r in listing.rejected) == sorted(odd) and all(r.reason for r in listing.rejected)


def test_universes_only_name_registry_sources():
    assert all(s in SCRAPERS for sources in UNIVERSES.values() for s in sources)
