"""Wikipedia constituent tables: the two real S&P 500 pages, and FTSE 100 / DAX / S&P fixtures."""

from pathlib import Path

import pytest

from stock_assets.lib.errors import CodedError, ErrorCode
from stock_assets.lib.listings import aex, cac40, dax40, ftse100, ftse250, mdax, sp500
from stock_assets_tests.conftest import shared_data

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.mark.parametrize("name, has_id, dated", [
    ("List_of_S&P_500_companies_rev1250356709_2024-10-09.html", True, 500),
    ("List_of_S&P_500_companies_rev821321383_2018-01-19.html", False, 300),
])
def test_real_sp500_pages(name, has_id, dated):
    html = shared_data("wikipedia_html", name).read_text(encoding="utf-8")
    assert ('id="constituents"' in html) is has_id
    frame = sp500.parse(html).frame("sp500")
    assert 500 <= frame.height <= 510
    assert frame["yahoo_symbol"].is_unique().all()
    assert {"BRK-B", "BF-B", "AAPL", "MMM"} <= set(frame["yahoo_symbol"])
    assert frame["sector"].null_count() == 0 and frame["sub_industry"].null_count() == 0
    assert frame["cik"].str.contains(r"^\d{10}$").all()
    assert frame["date_added"].drop_nulls().len() >= dated
    assert set(frame["exchange"].drop_nulls()) <= {"XNYS", "XNAS", "BATS"}
    brk = frame.filter(frame["yahoo_symbol"] == "BRK-B").row(0, named=True)
    assert brk["symbol"] == "BRK.B" and brk["exchange"] == "XNYS" and brk["cik"] == "0001067983"


@pytest.mark.parametrize("fixture, count", [("sp500_modern.html", 5), ("sp500_legacy.html", 3)])
def test_sp500_fixtures_both_layouts(fixture, count):
    frame = sp500.parse((FIXTURES / fixture).read_text()).frame("sp500")
    assert frame.height == count
    row = frame.filter(frame["symbol"] == "AAPL").row(0, named=True)
    assert (row["exchange"], row["sector"], row["cik"], row["date_added"]) == (
        "XNAS", "Information Technology", "0000320193", "1982-11-30")
    assert "BRK-B" in frame["yahoo_symbol"].to_list()


def test_ftse100_fixture_maps_to_london_suffix():
    parsed = ftse100.parse((FIXTURES / "ftse100.html").read_text())
    frame = parsed.frame("ftse100")
    assert frame["yahoo_symbol"].to_list() == ["III.L", "BP.L", "BT-A.L", "RR.L", "SHEL.L", "VOD.L"]
    assert set(frame["exchange"]) == {"XLON"}
    assert frame.filter(frame["yahoo_symbol"] == "VOD.L")["sector"].item() == "Telecommunications Service Providers"
    assert [(r.raw, bool(r.reason)) for r in parsed.rejected] == [("../x", True)]


def test_dax40_fixture_maps_to_xetra_suffix():
    parsed = dax40.parse((FIXTURES / "dax40.html").read_text())
    frame = parsed.frame("dax40")
    assert frame["yahoo_symbol"].to_list() == ["ADS.DE", "1COV.DE", "P911.DE", "SAP.DE", "SIE.DE"]
    assert set(frame["exchange"]) == {"XETR"}
    assert [r.raw for r in parsed.rejected] == ["'; DROP TABLE x;--"]


@pytest.mark.parametrize("html, fragment", [
    ("<html><body><p>Wikipedia is down</p></body></html>", "no HTML table"),
    ("<html><body><table id='constituents'><tr><th>Name</th><th>Weight</th></tr>"
     "<tr><td>x</td><td>1</td></tr></table></body></html>", "no table with the columns"),
    ("Symbol|Security Name\nAAPL|Apple\n", "no HTML table"),
])
@pytest.mark.parametrize("parser", [sp500, ftse100, dax40, ftse250, mdax, cac40, aex])
def test_missing_or_changed_table_is_refused(parser, html, fragment):
    with pytest.raises(CodedError) as err:
        parser.parse(html)
    assert err.value.code == ErrorCode.SCRAPE_LAYOUT
    assert fragment in str(err.value)


@pytest.mark.parametrize("parser, fixture, expected", [
    (ftse250, "ftse250.html", {"FOUR.L", "AML.L", "BWY.L", "HMSO.L", "HBR.L"}),
    (mdax, "mdax.html", {"NDA.DE", "DHER.DE", "HFG.DE", "PUM.DE"}),
    (cac40, "cac40.html", {"AC.PA", "AI.PA", "MC.PA", "TTE.PA", "MT.AS"}),
    (aex, "aex.html", {"ADYEN.AS", "ASML.AS", "SHELL.AS", "UNA.AS", "INGA.AS"}),
])
def test_new_index_pages_map_to_their_venue(parser, fixture, expected):
    frame = parser.parse((FIXTURES / fixture).read_text()).frame(fixture)
    assert set(frame["yahoo_symbol"]) == expected
    home = frame.filter(~frame["yahoo_symbol"].str.ends_with(".AS") | (parser is aex))
    assert set(home["exchange"]) == {parser.EXCHANGE} and set(home["calendar"]) == {parser.EXCHANGE}


def test_index_member_listed_on_another_venue_keeps_that_venue():
    """ArcelorMittal is in the CAC 40 but the page writes MT.AS: it is an Amsterdam line, not MT-AS.PA."""
    frame = cac40.parse((FIXTURES / "cac40.html").read_text()).frame("cac40")
    mt = frame.filter(frame["symbol"] == "MT.AS").to_dicts()[0]
    assert (mt["yahoo_symbol"], mt["exchange"], mt["calendar"], mt["currency"]) == ("MT.AS", "XAMS", "XAMS", "EUR")


def test_unsupported_market_suffix_is_rejected_not_read_as_a_share_class():
    html = (FIXTURES / "aex.html").read_text().replace("<td>INGA</td>", "<td>ABI.BR</td>")
    parsed = aex.parse(html)
    assert "ABI-BR.AS" not in parsed.frame("aex")["yahoo_symbol"].to_list()
    assert [(r.raw, "Euronext Brussels" in r.reason) for r in parsed.rejected] == [("ABI.BR", True)]


def test_index_page_in_its_home_language_parses_the_same():
    english = set(cac40.parse((FIXTURES / "cac40.html").read_text()).frame("c")["yahoo_symbol"])
    parsed = cac40.parse((FIXTURES / "cac40_fr.html").read_text())
    french = parsed.frame("c")
    assert {"AC.PA", "AI.PA", "MC.PA", "TTE.PA"} <= english & set(french["yahoo_symbol"])
    assert french.filter(french["yahoo_symbol"] == "AI.PA")["isin"].item() == "FR0000120073"
    assert french.filter(french["yahoo_symbol"] == "XX.PA")["isin"].item() is None  # "pas un ISIN" is not kept


def test_index_page_in_an_unknown_language_is_refused_naming_the_columns():
    with pytest.raises(CodedError, match="no table with the columns symbol") as err:
        dax40.parse((FIXTURES / "dax_ja.html").read_text())
    assert err.value.code == ErrorCode.SCRAPE_LAYOUT


def _page(*tables: str) -> str:
    return f"<html><body>{''.join(tables)}</body></html>"


def _table(rows, table_id=None) -> str:
    head = "<tr><th>Symbol</th><th>Security</th><th>GICS Sector</th></tr>"
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table{f' id={table_id!r}' if table_id else ''}>{head}{body}</table>"


def _nyse(symbol: str) -> str:
    return f"<a href='https://www.nyse.com/quote/XNYS:{symbol}'>{symbol}</a>"


def test_the_constituents_table_wins_over_an_earlier_table_with_the_same_columns():
    """The page's 'recent changes' table has the same headers and comes first: the table with
    id="constituents" is the list."""
    changes = _table([(_nyse("OLD"), "Removed Co", "Energy")])
    constituents = _table([(_nyse("AAPL"), "Apple", "Information Technology")], table_id="constituents")
    assert [r["yahoo_symbol"] for r in sp500.parse(_page(changes, constituents)).rows] == ["AAPL"]


def test_short_rows_and_repeated_headers_are_rejected_with_what_they_held():
    rows = [(_nyse("AAPL"), "Apple", "Information Technology"), ("Symbol", "Security", "GICS Sector"),
            (_nyse("MSFT"), "Microsoft")] + [(_nyse(s), f"{s} Inc", "Energy") for s in ("XOM", "CVX", "COP")]
    rows += [(_nyse(s), f"{s} Inc", "Energy") for s in ("EOG", "SLB", "OXY", "PSX", "MPC", "VLO", "HAL", "KMI",
                                                         "WMB", "OKE", "HES", "DVN", "FANG", "CTRA", "APA", "EQT")]
    parsed = sp500.parse(_page(_table(rows, table_id="constituents")))
    assert len(parsed.rows) == 20 and "SYMBOL" not in [r["yahoo_symbol"] for r in parsed.rows]
    assert [(r.raw, r.reason) for r in parsed.rejected] == [
        ("Symbol", "a repeated header row (two downloads concatenated?), not a symbol"),
        ("MSFT", "row has 2 cells, expected 3")]
