"""The one symbol normaliser: Yahoo form, strict character set, every refusal with a reason."""

import pytest

from stock_assets.lib.symbols import (
    InvalidSymbol,
    foreign_symbol,
    from_nasdaq_trader,
    partition_symbols,
    to_yahoo_symbol,
    validate,
)


@pytest.mark.parametrize("raw, yahoo", [
    ("BRK.B", "BRK-B"), ("BF.B", "BF-B"), (" aapl ", "AAPL"), ("msft\n", "MSFT"), ("^GSPC", "^GSPC"),
    ("EURUSD=X", "EURUSD=X"), ("BTC-USD", "BTC-USD"),
])
def test_to_yahoo_symbol(raw, yahoo):
    assert to_yahoo_symbol(raw) == yahoo


@pytest.mark.parametrize("raw, suffix, yahoo", [
    ("VOD", ".L", "VOD.L"), ("BT.A", ".L", "BT-A.L"), ("RR.", ".L", "RR.L"), ("BP.", ".L", "BP.L"),
    ("sap", ".DE", "SAP.DE"), ("SAP.DE", ".DE", "SAP.DE"), ("1COV", ".DE", "1COV.DE"),
])
def test_foreign_symbol(raw, suffix, yahoo):
    assert foreign_symbol(raw, suffix) == yahoo


@pytest.mark.parametrize("raw", [
    "../x", "'; DROP TABLE x;--", "a/b", "a\\b", "", "   ", "AAPL; rm -rf /", "X" * 21, "ÄPFEL", "A B",
    "<script>", "A\nB",
])
def test_hostile_or_malformed_symbols_are_rejected_with_a_reason(raw):
    with pytest.raises(InvalidSymbol) as err:
        to_yahoo_symbol(raw)
    assert err.value.reason
    assert err.value.raw == raw


def test_validate_passes_only_the_strict_set():
    assert validate("BRK-B") == "BRK-B"
    with pytest.raises(InvalidSymbol, match="path separator"):
        validate("../X")


@pytest.mark.parametrize("act, nasdaq, expected", [
    ("BRK.B", "BRK.B", "BRK-B"), ("AKO.A", "AKO.A", "AKO-A"), ("A", "A", "A"), ("SPY", None, "SPY"),
])
def test_nasdaq_trader_common_and_share_classes(act, nasdaq, expected):
    assert from_nasdaq_trader(act, nasdaq) == expected


@pytest.mark.parametrize("act, nasdaq, kind", [
    ("ABR$D", "ABR-D", "preferred share"), ("AA$", None, "preferred share"), ("ACHR.W", "ACHR+", "warrant"),
    ("ACHR.WS", None, "warrant"), ("AACT.U", "AACT=", "unit"), ("AACT.U", None, "unit"),
    ("CELG.R", "CELG^", "right"), ("LDOS.V", "LDOS#", "when-issued"), ("DRU", "DRU*", "called for redemption"),
    ("ABR$D", "ABRD", "preferred share"),  # the ACT `$` still names it when the NASDAQ column lacks its mark
])
def test_nasdaq_trader_non_common_issues_are_rejected_naming_the_kind(act, nasdaq, kind):
    with pytest.raises(InvalidSymbol) as err:
        from_nasdaq_trader(act, nasdaq)
    assert err.value.reason.startswith(kind)


def test_partition_symbols_keeps_order_dedupes_and_records_rejects():
    accepted, rejected = partition_symbols(["aapl", "BRK.B", "AAPL", "../x", "'; DROP TABLE x;--"])
    assert accepted == ["AAPL", "BRK-B"]
    assert [r.raw for r in rejected] == ["AAPL", "../x", "'; DROP TABLE x;--"]
    assert all(r.reason for r in rejected)


def test_an_empty_symbol_is_rejected_as_empty():
    with pytest.raises(InvalidSymbol) as err:
        validate("")
    assert err.value.reason == "empty"


@pytest.mark.parametrize("symbol", ["AAPL\n", "AAPL\r\n", "BRK-B\n"])
def test_validate_refuses_a_trailing_newline(symbol):
    # `$` matches before a final newline: a symbol with one must not pass as safe.
    with pytest.raises(InvalidSymbol):
        validate(symbol)


@pytest.mark.parametrize("raw, lookalike_of", [
    ("ſpy", "SPY"), ("ıbm", "IBM"), ("ﬀ", "FF"), ("ＡＡＰＬ", "AAPL"), ("\u212aO", "KO"),
])
def test_unicode_lookalikes_are_refused_not_folded_into_real_tickers(raw, lookalike_of):
    # str.upper() (or NFKC) folds each of these into a real ticker: `lookalike_of`.
    with pytest.raises(InvalidSymbol) as err:
        to_yahoo_symbol(raw)
    assert "ASCII" in err.value.reason
    with pytest.raises(InvalidSymbol):
        from_nasdaq_trader(raw)
    with pytest.raises(InvalidSymbol):
        foreign_symbol(raw, ".L")


def test_partition_symbols_records_a_second_spelling_of_the_same_yahoo_symbol():
    accepted, rejected = partition_symbols(["BRK.B", "BRK-B", "brk.b"])
    assert accepted == ["BRK-B"]
    assert [r.raw for r in rejected] == ["BRK-B", "brk.b"]
    assert all("BRK-B" in r.reason and "BRK.B" in r.reason for r in rejected)
