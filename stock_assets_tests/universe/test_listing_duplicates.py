"""Duplicate rows, repeated header rows and implausible growth: none can freeze the universe.

The defect: a listing with every row twice (or two downloads concatenated, whose second header
row became a ticker named `SYMBOL`) was accepted with doubled counts, and the next correct
listing was then refused as shrunk, for ever. Parsers now reject duplicates and header rows
with a recorded reason, the guard counts distinct symbols, and growth is guarded too.
"""

import pytest

from stock_assets.defs.universe.assets import ticker_universe  # noqa: F401 - the asset under test
from stock_assets.lib.listings import nasdaqtrader, sp500
from stock_assets_tests.universe import listing_files as lf
from stock_assets_tests.universe.conftest import live_source
from stock_assets_tests.universe.test_guards import assert_refused, run, state

SYMS = lf.symbols(20)


def doubled_rows() -> str:
    text = lf.nasdaq_listed(SYMS)
    lines = text.splitlines()
    body = [line for line in lines[1:-1] for _ in range(2)]
    return "\n".join([lines[0], *body, lines[-1]]) + "\n"


def concatenated() -> str:
    return lf.nasdaq_listed(SYMS) + lf.nasdaq_listed(SYMS)


def test_every_row_twice_gives_each_symbol_once_and_records_the_duplicates():
    parsed = nasdaqtrader.parse(doubled_rows())
    assert [r["yahoo_symbol"] for r in parsed.rows] == SYMS
    duplicates = [r for r in parsed.rejected if r.reason.startswith("duplicate")]
    assert [r.raw for r in duplicates] == SYMS


def test_two_downloads_concatenated_yield_no_symbol_named_after_a_header():
    parsed = nasdaqtrader.parse(concatenated())
    yahoo = [r["yahoo_symbol"] for r in parsed.rows]
    assert yahoo == SYMS and "SYMBOL" not in yahoo
    reasons = " ".join(r.reason for r in parsed.rejected)
    assert "header row" in reasons and "footer" in reasons


def constituents(*body: str) -> str:
    head = "<tr><th>Symbol</th><th>Security</th><th>GICS Sector</th></tr>"
    return f"<html><body><table id='constituents'>{head}{''.join(body)}</table></body></html>"


def tr(*cells: str) -> str:
    return "<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"


def listed(symbol: str) -> str:
    """A symbol cell as the page writes it: linked to its exchange (the venue comes from the link)."""
    return f"<a href='https://www.nyse.com/quote/XNYS:{symbol}'>{symbol}</a>"


def test_two_spellings_of_one_yahoo_symbol_keep_the_first_and_record_the_second():
    parsed = sp500.parse(constituents(tr(listed("BRK.B"), "Berkshire B", "Financials"), tr(listed("BRK-B"), "Berkshire", "Financials")))
    assert [r["yahoo_symbol"] for r in parsed.rows] == ["BRK-B"]
    assert [(r.raw, r.reason) for r in parsed.rejected] == [
        ("BRK-B", "duplicate: BRK-B is already listed (from BRK.B)")]


def test_a_repeated_header_row_in_a_wikipedia_table_is_not_a_symbol():
    rows = [tr(listed(s), f"{s} Inc", "Tech") for s in ("AAPL", "MSFT")]
    parsed = sp500.parse(constituents(*rows, tr("Symbol", "Security", "GICS Sector"), *rows))
    assert [r["yahoo_symbol"] for r in parsed.rows] == ["AAPL", "MSFT"]
    assert any("header row" in r.reason for r in parsed.rejected)


@pytest.fixture
def good(tmp_path, offline_resources, instance, warehouse):
    url = lf.write(tmp_path / "good.txt", lf.nasdaq_listed(SYMS))
    assert run(offline_resources, instance, live_source({"nasdaq_listed": url}), as_of="2024-01-02").success
    return url


@pytest.mark.parametrize("bad", [doubled_rows, concatenated])
def test_a_doubled_listing_does_not_freeze_the_universe(bad, good, tmp_path, offline_resources, instance,
                                                        warehouse):
    url = lf.write(tmp_path / "bad.txt", bad())
    assert run(offline_resources, instance, live_source({"nasdaq_listed": url}), as_of="2024-01-03").success
    assert warehouse.count("universe.tickers") == 20
    assert warehouse.count("universe.tickers", "symbol = 'SYMBOL'") == 0
    assert warehouse.count("universe.listing_snapshots", "CAST(scraped_at AS DATE) = '2024-01-03'") == 20
    assert warehouse.count("universe.rejected_symbols", "reason LIKE 'duplicate%'") >= 20
    # The next correct listing is not "shrunk".
    assert run(offline_resources, instance, live_source({"nasdaq_listed": good}), as_of="2024-01-04").success


def test_a_snapshot_doubled_before_the_fix_does_not_refuse_the_next_listing(good, offline_resources, instance,
                                                                            warehouse):
    with warehouse.transaction() as conn:  # what a doubled listing left behind before the fix
        conn.execute("INSERT INTO universe.listing_snapshots SELECT * FROM universe.listing_snapshots")
    assert run(offline_resources, instance, live_source({"nasdaq_listed": good}), as_of="2024-01-04").success


def test_implausible_growth_is_refused_and_a_real_one_accepted_when_allowed(good, tmp_path, offline_resources,
                                                                           instance, warehouse):
    before = state(warehouse)
    grown = live_source({"nasdaq_listed": lf.write(tmp_path / "grown.txt", lf.nasdaq_listed(lf.symbols(40)))})
    result = run(offline_resources, instance, grown)
    assert_refused(result, "SCRAPE_GREW", warehouse, before)
    assert "20 more" in result.failure_data_for_node("ticker_universe").user_failure_data.description
    assert run(offline_resources, instance, grown, max_growth_share=1.5).success
    assert warehouse.count("universe.tickers") == 40
