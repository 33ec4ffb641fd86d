"""Markdown previews for the UI: escaped cells, cut rows said, empty frames said."""

import polars as pl

from stock_assets.lib.markdown import table


def test_table_escapes_and_formats():
    out = table(pl.DataFrame({"symbol": ["A|B"], "close": [1.5000], "note": ["two\nlines"], "x": [None]}))
    lines = out.splitlines()
    assert lines[0] == "| symbol | close | note | x |"
    assert lines[2] == "| A\\|B | 1.5 | two lines |  |"


def test_table_says_when_rows_are_cut_or_absent():
    assert "_5 more rows not shown_" in table(pl.DataFrame({"n": range(25)}))
    assert "_no rows_" in table(pl.DataFrame({"n": []}, schema={"n": pl.Int64}))
    assert table(pl.DataFrame()) == "_no columns_"
    assert table(pl.DataFrame({"n": range(3)}), max_rows=2).count("\n| ") == 3
