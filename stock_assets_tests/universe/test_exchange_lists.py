"""Euronext's and Deutsche Börse's full lists: the real saved downloads, and files the tests write
with each quirk (locale, BOM, CRLF, preamble, quoting, a moved column layout)."""

import collections

import pytest

from stock_assets.lib.errors import CodedError, ErrorCode
from stock_assets.lib.listings import euronext, futures, xetra
from stock_assets_tests.conftest import shared_data
from stock_assets_tests.universe import exchange_files as xf


def _text(path) -> str:
    return path.read_bytes().decode("utf-8")  # bytes as saved: BOM and CRLF kept


# -- Euronext ---------------------------------------------------------------------------------

def test_real_french_locale_euronext_download():
    parsed = euronext.parse(_text(shared_data("exchange_lists", "Euronext_Equities_2023-06-01.csv")))
    frame = parsed.frame("euronext")
    assert frame.height == 557 and len(parsed.rejected) == 120  # 677 rows: Paris/Amsterdam kept, Brussels refused
    assert collections.Counter(frame["exchange"]) == {"XPAR": 400, "XAMS": 157}
    assert parsed.note.startswith("list as of 2023-06-01")
    row = frame.filter(frame["yahoo_symbol"] == "AALB.AS").to_dicts()[0]
    assert (row["name"], row["isin"], row["calendar"], row["currency"]) == ("AALBERTS NV", "NL0000852564", "XAMS", "EUR")
    # multi-venue rows take their first (home) venue; the second venue is not a second row
    assert frame.filter(frame["symbol"] == "MT")["yahoo_symbol"].to_list() == ["MT.AS"]
    assert frame.filter(frame["symbol"] == "TTE")["yahoo_symbol"].to_list() == ["TTE.PA"]
    # the quote currency is the file's, not the venue's habit
    assert frame.filter(frame["symbol"] == "PSH")["currency"].item() == "USD"
    assert all(r.reason.startswith("venue 'Euronext Brussels'") for r in parsed.rejected)
    assert frame["yahoo_symbol"].n_unique() == frame.height and frame["isin"].null_count() == 0


def test_real_english_locale_euronext_download_reads_but_has_no_supported_venue():
    text = _text(shared_data("exchange_lists", "Euronext_Equities_2023-12-06.csv"))
    records, as_of, malformed = euronext.read_rows(text)
    assert (len(records), as_of, malformed) == (267, "2023-12-06", 0)
    assert records[0]["Name"] == "4AIM SICAF" and records[0]["Market"] == "Euronext Growth Milan"  # quotes removed
    with pytest.raises(CodedError, match=r"no row on a supported venue .* Euronext Growth Milan \(267\)") as err:
        euronext.parse(text)
    assert err.value.code == ErrorCode.SCRAPE_LAYOUT


@pytest.mark.parametrize("french", [True, False])
def test_both_euronext_layouts_written_by_the_tests(french):
    parsed = euronext.parse(xf.euronext(french=french))
    got = {r["yahoo_symbol"]: (r["exchange"], r["currency"], r["isin"]) for r in parsed.frame("euronext").to_dicts()}
    assert got == {
        "AI.PA": ("XPAR", "EUR", "FR0000120073"), "ASML.AS": ("XAMS", "EUR", "NL0010273215"),
        "SHELL.AS": ("XAMS", "EUR", "GB00BP6MXD84"), "TTE.PA": ("XPAR", "EUR", "FR0000120271"),
        "MT.AS": ("XAMS", "EUR", "LU1598757687"), "PSH.AS": ("XAMS", "USD", "GG00BPFJTF46"),
    }
    assert sorted(r.raw for r in parsed.rejected) == ["ABI", "SOLB"]
    assert parsed.note.startswith("list as of 2023-06-01" if french else "list as of 2023-12-06")


@pytest.mark.parametrize("text, fragment", [
    ("<!DOCTYPE html><html><head><title>Euronext - Maintenance</title></head></html>", "HTML page"),
    ("\ufeffSymbol;Name;Price\r\nAI;AIR LIQUIDE;1\r\n", "lacks ISIN, Market, Currency"),
    ("", "is empty"),
])
def test_euronext_refuses_what_is_not_the_download(text, fragment):
    with pytest.raises(CodedError, match=fragment) as err:
        euronext.parse(text)
    assert err.value.code == ErrorCode.SCRAPE_LAYOUT


def test_euronext_truncated_rows_beyond_the_share_are_a_layout_change():
    text = xf.euronext()
    lines = text.split("\r\n")
    broken = "\r\n".join(lines[:4] + [line.rsplit(";", 5)[0] for line in lines[4:]])
    with pytest.raises(CodedError, match="do not fit the expected layout"):
        euronext.parse(broken)


# -- Xetra ------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, kept, equity, etf, excluded", [
    ("xetra_t7-xetr-allTradableInstruments_2019-04-18.csv", 2207, 771, 1436, 370),
    ("xetra_t7-xetr-allTradableInstruments_2019-11-08.csv", 2321, 804, 1517, 344),
])
def test_real_xetra_lists_with_their_two_column_layouts(name, kept, equity, etf, excluded):
    parsed = xetra.parse(_text(shared_data("exchange_lists", name)))
    frame = parsed.frame("xetra")
    assert frame.height == kept and parsed.excluded == excluded and not parsed.rejected
    assert collections.Counter(frame["asset_class"]) == {"equity": equity, "etf": etf}
    assert set(frame["exchange"]) == {"XETR"} and set(frame["currency"]) == {"EUR"}
    assert frame["isin"].null_count() == 0 and frame["yahoo_symbol"].n_unique() == kept
    facc = frame.filter(frame["yahoo_symbol"] == "1FC.DE").to_dicts()[0]
    assert facc["name"] == "FACC AG INH.AKT." and facc["isin"].startswith("AT")
    assert parsed.note.startswith("market XETR, last update")


@pytest.mark.parametrize("extra_columns, capitalised", [(0, False), (2, False), (0, True)])
def test_xetra_columns_are_found_by_name(extra_columns, capitalised):
    parsed = xetra.parse(xf.xetra(extra_columns=extra_columns, capitalised=capitalised))
    got = {r["yahoo_symbol"]: (r["asset_class"], r["isin"]) for r in parsed.frame("xetra").to_dicts()}
    assert got == {"SAP.DE": ("equity", "DE0007164600"), "SIE.DE": ("equity", "DE0007236101"),
                   "EXS1.DE": ("etf", "DE0005933931"), "APC.DE": ("equity", "US0378331005")}
    assert parsed.excluded == 3  # the ETC, the pending deletion, the inactive one
    assert [(r.raw, r.reason) for r in parsed.rejected] == [("", "no Mnemonic for ISIN 'DE0000000001'")]


def test_xetra_refuses_a_file_without_its_header():
    with pytest.raises(CodedError, match="no header with instrument status") as err:
        xetra.parse("Market:;XETR\nDate Last Update:;08.11.2019\nName;Ticker\nSAP;SAP\n")
    assert err.value.code == ErrorCode.SCRAPE_LAYOUT


MONTHS = [("jan", 1), ("janv", 1), ("feb", 2), ("févr", 2), ("fevr", 2), ("mar", 3), ("mars", 3), ("apr", 4),
          ("avr", 4), ("may", 5), ("mai", 5), ("jun", 6), ("juin", 6), ("jul", 7), ("juil", 7), ("aug", 8),
          ("août", 8), ("aout", 8), ("sep", 9), ("sept", 9), ("oct", 10), ("nov", 11), ("dec", 12), ("déc", 12)]


def _euronext_dated(date_cell: str, extra_preamble: int = 0) -> str:
    text = xf.euronext()
    lines = text.split("\r\n")
    width = len(xf.EURONEXT_HEADER)
    extra = ["Note " + str(i) + ";" * (width - 1) for i in range(extra_preamble)]
    return "\r\n".join([lines[0], "European Equities" + ";" * (width - 1), date_cell + ";" * (width - 1),
                        *extra, *lines[4:]])


@pytest.mark.parametrize("word, month", MONTHS)
def test_euronext_as_of_date_in_either_language(word, month):
    _records, as_of, _ = euronext.read_rows(_euronext_dated(f"07-{word}-24"))
    assert as_of == f"2024-{month:02d}-07"
    _records, as_of, _ = euronext.read_rows(_euronext_dated(f"07 {word.capitalize()} 2024"))
    assert as_of == f"2024-{month:02d}-07"


def test_euronext_without_a_date_says_so_and_a_sixth_preamble_row_is_read_as_a_row():
    records, as_of, malformed = euronext.read_rows(_euronext_dated("Last week", extra_preamble=3))
    assert (as_of, malformed, len(records)) == ("", 0, 8)  # 5 preamble rows: header lines, not data
    assert euronext.parse(_euronext_dated("Last week")).note == "list as of unknown; 0 malformed rows"
    records, _, malformed = euronext.read_rows(_euronext_dated("06 Dec 2023", extra_preamble=4))
    assert (malformed, len(records), records[0]["Name"]) == (0, 9, "Note 3")  # at most 5 preamble rows: the sixth is a row


def test_xetra_with_no_active_stock_or_etf_is_a_layout_problem():
    only_etcs = [("active", "GOLD ETC", "DE000A1E0HR8", "4GLD", "ETC"), ("inactive", "GONE AG", "DE0007654321", "GONE", "CS")]
    with pytest.raises(CodedError, match="no active common stock or ETF rows") as err:
        xetra.parse(xf.xetra(only_etcs))
    assert err.value.code == ErrorCode.SCRAPE_LAYOUT


def test_configured_futures_become_rows_once_each_and_the_rest_is_rejected_with_a_reason():
    parsed = futures.parse("ES=F, gc=f\nES=F,SPY")
    frame = parsed.frame("futures")
    assert frame.select("symbol", "yahoo_symbol", "name", "asset_class").rows() == [
        ("ES=F", "ES=F", "E-mini S&P 500", "future"), ("GC=F", "GC=F", "Gold", "future")]
    assert [(r.raw, r.reason) for r in parsed.rejected] == [
        ("SPY", "not a continuous future (expected ROOT=F, e.g. ES=F)")]
    assert parsed.note == "2 contracts configured"
    with pytest.raises(CodedError, match="no usable contract") as err:
        futures.parse("SPY, QQQ")
    assert err.value.code == ErrorCode.SCRAPE_LAYOUT
