"""NASDAQ Trader parsing: every real file in ../shared/data/nasdaqtrader plus files the tests write."""

import pytest

from stock_assets.lib.errors import CodedError, ErrorCode
from stock_assets.lib.listings import nasdaqtrader
from stock_assets_tests.conftest import shared_data
from stock_assets_tests.universe import listing_files as lf

REAL = [
    ("2014-10-10_ghe_legacy_format", "nasdaqlisted.txt", 2900),
    ("2014-10-10_ghe_legacy_format", "otherlisted.txt", 4500),
    ("2016-08-15_ghe", "nasdaqlisted.txt", 3000),
    ("2016-08-15_ghe", "otherlisted.txt", 4500),
    ("2025-07-21_hemza83", "nasdaqlisted.txt", 4900),
    ("2025-07-21_hemza83", "otherlisted.txt", 6000),
]


@pytest.mark.parametrize("folder, name, at_least", REAL)
def test_every_real_file_parses(folder, name, at_least):
    path = shared_data("nasdaqtrader", folder, name)
    raw = path.read_bytes().decode()
    parsed = nasdaqtrader.parse(raw)
    frame = parsed.frame("x")
    assert frame.height >= at_least
    assert parsed.excluded > 0  # test issues are there and left out
    assert not frame["name"].str.contains("(?i)test stock").any()
    assert frame["yahoo_symbol"].is_unique().all()
    assert parsed.note.startswith("file created 20")
    if name == "otherlisted.txt":
        assert set(frame["exchange"]) <= {"XNYS", "XASE", "ARCX", "BATS", "IEXG", "XCHI"}
        assert {"XNYS", "ARCX"} <= set(frame["exchange"])
        assert frame["is_etf"].sum() > 1000
        brk = frame.filter(frame["symbol"] == "BRK.B")
        assert brk["yahoo_symbol"].to_list() == ["BRK-B"]
        assert all("$" not in s for s in frame["yahoo_symbol"])  # preferreds are rejected, with a reason
        assert any(r.reason.startswith("preferred share") for r in parsed.rejected)
    else:
        assert set(frame["exchange"]) == {"XNAS"}


def test_real_legacy_and_crlf_variants_are_what_we_think():
    legacy = shared_data("nasdaqtrader", "2014-10-10_ghe_legacy_format", "nasdaqlisted.txt").read_bytes()
    short_footer = shared_data("nasdaqtrader", "2016-08-15_ghe", "nasdaqlisted.txt").read_bytes()
    assert b"\r\n" in legacy and legacy.splitlines()[0].count(b"|") == 5
    assert short_footer.splitlines()[0].count(b"|") == 7 and short_footer.splitlines()[-1].count(b"|") == 5
    assert nasdaqtrader.parse(short_footer.decode()).frame("x")["is_etf"].any()


def test_real_html_error_page_is_refused():
    path = shared_data("nasdaqtrader", "NEGATIVE_html_error_page_saved_as_nasdaqlisted.txt")
    with pytest.raises(CodedError) as err:
        nasdaqtrader.parse(path.read_text(encoding="utf-8", errors="replace"))
    assert err.value.code == ErrorCode.SCRAPE_LAYOUT
    assert "Page Not Available" in str(err.value)


@pytest.mark.parametrize("legacy", [False, True])
@pytest.mark.parametrize("crlf", [False, True])
@pytest.mark.parametrize("footer_pipes", [None, 3])
def test_written_variants(legacy, crlf, footer_pipes):
    text = lf.nasdaq_listed(["AAPL", "MSFT", "QQQ"], legacy=legacy, crlf=crlf, etfs=("QQQ",),
                            footer_pipes=footer_pipes)
    parsed = nasdaqtrader.parse(text)
    frame = parsed.frame("nasdaq_listed")
    assert frame["yahoo_symbol"].to_list() == ["AAPL", "MSFT", "QQQ"]
    assert parsed.excluded == 1
    assert frame["is_etf"].to_list() == [False, False, not legacy]
    assert set(frame["source"]) == {"nasdaq_listed"}


def test_other_listed_codes_and_notations():
    text = lf.other_listed([
        ("A", "N", "N", "A"), ("AMEX1", "A", "N", "AMEX1"), ("SPY", "P", "Y", "SPY"),
        ("BATS", "Z", "N", "BATS"), ("IEXX", "V", "N", "IEXX"), ("BRK.B", "N", "N", "BRK.B"),
        ("ABR$D", "N", "N", "ABR-D"), ("ACHR.W", "N", "N", "ACHR+"), ("AACT.U", "N", "N", "AACT="),
        ("CELG.R", "N", "N", "CELG^"), ("ODD", "Q", "N", "ODD"),
    ], crlf=True)
    parsed = nasdaqtrader.parse(text)
    frame = parsed.frame("other_listed")
    assert dict(zip(frame["yahoo_symbol"], frame["exchange"], strict=True)) == {
        "A": "XNYS", "AMEX1": "XASE", "SPY": "ARCX", "BATS": "BATS", "IEXX": "IEXG",
        "BRK-B": "XNYS",
    }
    assert frame.filter(frame["yahoo_symbol"] == "SPY")["is_etf"].item() is True
    reasons = {r.raw: r.reason for r in parsed.rejected}
    assert reasons["ABR$D"].startswith("preferred share")
    assert reasons["ACHR.W"].startswith("warrant")
    assert reasons["AACT.U"].startswith("unit")
    assert reasons["CELG.R"].startswith("right")
    assert reasons["ODD"] == "unknown exchange code 'Q'"


@pytest.mark.parametrize("text, fragment", [
    ("<!DOCTYPE html><html><head><title>Page Not Available</title></head><body>x</body></html>", "HTML page"),
    ("Ticker|Name|Venue\nAAPL|Apple|Q\nFile Creation Time: 0721202521:31||\n", "unexpected header"),
    (lf.nasdaq_listed(["AAPL", "MSFT"], footer=False), "footer"),
    ("", "empty"),
])
def test_layout_problems_are_refused(text, fragment):
    with pytest.raises(CodedError) as err:
        nasdaqtrader.parse(text)
    assert err.value.code == ErrorCode.SCRAPE_LAYOUT
    assert fragment in str(err.value)


def test_many_malformed_rows_mean_a_changed_layout():
    lines = lf.nasdaq_listed(lf.symbols(40)).splitlines()
    broken = "\n".join([lines[0]] + [line + "|extra" for line in lines[1:-1]] + [lines[-1]])
    with pytest.raises(CodedError, match="do not fit"):
        nasdaqtrader.parse(broken)
    # One bad row among 40 is rejected with a reason, not fatal.
    parsed = nasdaqtrader.parse("\n".join([lines[0], "BAD|x", *lines[1:]]))
    assert parsed.frame("x").height == 40
    assert [(r.raw, "fields" in r.reason) for r in parsed.rejected] == [("BAD", True)]


def test_hostile_symbols_are_rejected_with_a_reason():
    text = lf.nasdaq_listed(["AAPL", "../x", "'; DROP TABLE x;--"])
    parsed = nasdaqtrader.parse(text)
    assert parsed.frame("x")["yahoo_symbol"].to_list() == ["AAPL"]
    assert {r.raw for r in parsed.rejected} == {"../x", "'; DROP TABLE x;--"}
    assert all(r.reason for r in parsed.rejected)


def test_every_file_in_the_shared_folder_is_handled():
    """Any file later added to the folder is covered too: NEGATIVE_* must be refused, the rest parse."""
    folder = shared_data("nasdaqtrader")
    files = sorted(folder.rglob("*.txt"))
    assert len(files) >= 7
    for path in files:
        text = path.read_bytes().decode("utf-8", errors="replace")
        if path.name.startswith("NEGATIVE"):
            with pytest.raises(CodedError):
                nasdaqtrader.parse(text)
        else:
            assert nasdaqtrader.parse(text).rows, path


def test_repeated_rows_headers_and_footers_are_rejected_with_their_reason_never_listed():
    """Every row twice, then the whole file again (two downloads concatenated): each symbol
    once, ETFs as ETFs, and every dropped line recorded as it was written."""
    syms = ["AAPL", "MSFT", "QQQ"]
    once = lf.nasdaq_listed(syms, etfs=("QQQ",)).splitlines()
    doubled = [once[0], *[line for line in once[1:-1] for _ in range(2)], once[-1]]
    parsed = nasdaqtrader.parse("\n".join(doubled + once) + "\n")
    frame = parsed.frame("x")
    assert frame["yahoo_symbol"].to_list() == syms
    assert frame.filter(frame["symbol"] == "QQQ")[["is_etf", "asset_class"]].row(0) == (True, "etf")
    reasons = [(r.raw, r.reason.split(":")[0].split(" (")[0]) for r in parsed.rejected]
    assert ("Symbol", "a repeated header row") in reasons
    assert [raw for raw, reason in reasons if reason == "duplicate"] == ["AAPL", "MSFT", "QQQ"] * 2
    assert any(reason.startswith("a footer inside the file") for _, reason in reasons)
