"""The registry and the live resource: universes map to sources, every source parses its own kind."""

import datetime as dt
from pathlib import Path

import pytest

from stock_assets.defs.universe.live import LiveUniverseSource, live_universe_source
from stock_assets.defs.universe.scrapers import SCRAPERS, UNIVERSES
from stock_assets.settings import Settings
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
        "dax40": (FIXTURES / "dax40.html").as_uri(),
    }
    assert set(urls) == set(SCRAPERS)  # a new registry line needs a line here too
    listing = LiveUniverseSource(sources=list(urls), urls=urls).scrape(dt.date(2024, 1, 2))
    assert listing.sources == list(urls)
    counts = dict(listing.rows.group_by("source").len().iter_rows())
    assert counts == {"nasdaq_listed": 2, "other_listed": 1, "sp500": 5, "ftse100": 6, "dax40": 5}
    assert {r.source for r in listing.rejected} == {"ftse100", "dax40"}
    assert listing.excluded["nasdaq_listed"] == 1 and listing.excluded["other_listed"] == 1


def test_universes_only_name_registry_sources():
    assert all(s in SCRAPERS for sources in UNIVERSES.values() for s in sources)
