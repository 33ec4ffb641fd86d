"""Each guard fails the materialisation with its error code and keeps the last good universe exactly.

One good scrape, then one bad scrape per guard (an HTML page, a missing table, a changed
layout, a shrink, HTTP 500, a timeout), each proved to leave `universe.tickers` and the
snapshots as they were.
"""

from pathlib import Path

import dagster as dg
import pytest

from stock_assets.defs.universe.assets import ticker_universe
from stock_assets_tests.conftest import shared_data
from stock_assets_tests.universe import exchange_files as xf
from stock_assets_tests.universe import listing_files as lf
from stock_assets_tests.universe.conftest import live_source

FIXTURES = Path(__file__).parent / "fixtures"
HTML_ERROR = ("<!DOCTYPE html>\n<html><head><title>Page Not Available</title></head>"
              "<body><h1>Sorry</h1><table><tr><td>menu</td></tr></table></body></html>")


def run(resources, instance, source, as_of="2024-02-01", **config):
    return dg.materialize(
        [ticker_universe], resources={**resources, "universe_source": source}, instance=instance,
        run_config={"ops": {"ticker_universe": {"config": {"as_of": as_of, **config}}}}, raise_on_error=False,
    )


def state(warehouse):
    return (warehouse.query("SELECT * FROM universe.tickers ORDER BY yahoo_symbol"),
            warehouse.count("universe.listing_snapshots"), warehouse.count("universe.rejected_symbols"))


def assert_refused(result, code: str, warehouse, before) -> None:
    assert not result.success
    failure = result.failure_data_for_node("ticker_universe")
    assert failure.user_failure_data.metadata["error_code"].value == code
    assert f"[{code}]" in failure.user_failure_data.description
    assert "left exactly as it was" in failure.user_failure_data.description
    after = state(warehouse)
    assert after[0].equals(before[0]) and after[1:] == before[1:]


@pytest.fixture
def good(tmp_path, offline_resources, instance, warehouse):
    """A universe from one good NASDAQ Trader scrape of 20 symbols."""
    url = lf.write(tmp_path / "good.txt", lf.nasdaq_listed(lf.symbols(20)))
    assert run(offline_resources, instance, live_source({"nasdaq_listed": url}), as_of="2024-01-02").success
    before = state(warehouse)
    assert before[0].height == 20
    return before


def test_nasdaq_guards_keep_the_last_good_universe(good, tmp_path, offline_resources, instance, warehouse,
                                                  http_server):
    def file_source(name, text):
        return live_source({"nasdaq_listed": lf.write(tmp_path / name, text)})

    cases = [
        ("SCRAPE_LAYOUT", file_source("html.txt", HTML_ERROR), {}),
        ("SCRAPE_LAYOUT", file_source("header.txt", lf.nasdaq_listed(lf.symbols(20)).replace(
            "Market Category", "Tier")), {}),
        ("SCRAPE_LAYOUT", file_source("cut.txt", lf.nasdaq_listed(lf.symbols(20), footer=False)), {}),
        ("SCRAPE_SHRUNK", file_source("shrunk.txt", lf.nasdaq_listed(lf.symbols(15))), {}),
        ("SCRAPE_HTTP", live_source({"nasdaq_listed": (tmp_path / "absent.txt").as_uri()}), {}),
    ]
    http_server.routes["/down"] = (500, "oops", 0)
    http_server.routes["/html"] = (200, HTML_ERROR, 0)
    http_server.routes["/slow"] = (200, lf.nasdaq_listed(lf.symbols(20)), 1.0)
    cases += [
        ("SCRAPE_HTTP", live_source({"nasdaq_listed": http_server.url + "/down"}), {}),
        ("SCRAPE_LAYOUT", live_source({"nasdaq_listed": http_server.url + "/html"}), {}),
        ("SCRAPE_HTTP", live_source({"nasdaq_listed": http_server.url + "/slow"}, timeout_seconds=0.2), {}),
    ]
    for code, source, config in cases:
        assert_refused(run(offline_resources, instance, source, **config), code, warehouse, good)
    assert http_server.hits["/down"] == 4  # three retries, then the failure

    # A real shrink is accepted once a person raises the allowed share.
    shrunk = file_source("shrunk.txt", lf.nasdaq_listed(lf.symbols(15)))
    assert run(offline_resources, instance, shrunk, max_shrink_share=0.5).success
    assert warehouse.count("universe.tickers", "status = 'delisted'") == 5


def test_real_html_error_page_keeps_the_universe(good, offline_resources, instance, warehouse):
    page = shared_data("nasdaqtrader", "NEGATIVE_html_error_page_saved_as_nasdaqlisted.txt")
    result = run(offline_resources, instance, live_source({"nasdaq_listed": page.as_uri()}))
    assert_refused(result, "SCRAPE_LAYOUT", warehouse, good)


def test_wikipedia_missing_table_keeps_the_universe(tmp_path, offline_resources, instance, warehouse):
    good_url = (FIXTURES / "sp500_modern.html").as_uri()
    assert run(offline_resources, instance, live_source({"sp500": good_url}), as_of="2024-01-02").success
    before = state(warehouse)
    no_table = lf.write(tmp_path / "sp500.html", "<html><body><p>This page has moved.</p></body></html>")
    assert_refused(run(offline_resources, instance, live_source({"sp500": no_table})), "SCRAPE_LAYOUT",
                   warehouse, before)
    changed = (FIXTURES / "sp500_modern.html").read_text().replace("GICS Sector", "Sector (GICS)")
    changed_url = lf.write(tmp_path / "changed.html", changed)
    assert_refused(run(offline_resources, instance, live_source({"sp500": changed_url})), "SCRAPE_LAYOUT",
                   warehouse, before)


@pytest.mark.parametrize("name", ["cac40", "euronext", "xetra"])  # the index pages share one parser
def test_new_market_sources_have_the_same_guards(name, good, tmp_path, offline_resources, instance, warehouse,
                                                 http_server):
    """Each new source, served by a local server: an error page, HTTP 500, then a shrink after a good scrape."""
    good_text = {"euronext": xf.euronext(), "xetra": xf.xetra()}.get(name) or (FIXTURES / f"{name}.html").read_text()
    http_server.routes["/page"] = (200, HTML_ERROR, 0.0)
    http_server.routes["/down"] = (500, "oops", 0.0)
    both = ["nasdaq_listed", name]
    nasdaq = lf.write(tmp_path / "good.txt", lf.nasdaq_listed(lf.symbols(20)))
    for path, code in (("/page", "SCRAPE_LAYOUT"), ("/down", "SCRAPE_HTTP")):
        source = live_source({"nasdaq_listed": nasdaq, name: f"{http_server.url}{path}"}, sources=both)
        assert_refused(run(offline_resources, instance, source), code, warehouse, good)
    http_server.routes["/good"] = (200, good_text, 0.0)
    source = live_source({"nasdaq_listed": nasdaq, name: f"{http_server.url}/good"}, sources=both)
    assert run(offline_resources, instance, source).success
    kept = state(warehouse)
    # the same source with one row left: more than 10 % fewer than its last good scrape
    shrunk = {"euronext": lambda: xf.euronext(xf.EURONEXT_ROWS[:1]), "xetra": lambda: xf.xetra(xf.XETRA_ROWS[:1])}
    if name in shrunk:
        text = shrunk[name]()
    else:
        lines = good_text.split("\n")
        body_rows = [i for i, line in enumerate(lines) if line.startswith("<tr><td>")]
        text = "\n".join(line for i, line in enumerate(lines) if i not in body_rows[1:])
    http_server.routes["/shrunk"] = (200, text, 0.0)
    source = live_source({"nasdaq_listed": nasdaq, name: f"{http_server.url}/shrunk"}, sources=both)
    assert_refused(run(offline_resources, instance, source, as_of="2024-03-01"), "SCRAPE_SHRUNK", warehouse, kept)
