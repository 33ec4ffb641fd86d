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


HOSTILE = [
    "[click](javascript:alert(1))", "![t](http://127.0.0.1/pixel.png)", "<img src=x onerror=alert(1)>",
    "<!-- hides the rest", "A\\|B", "x\r| forged | cell", "`code`", "**bold** _it_ ~~del~~", "<http://127.0.0.1/>",
]


def rendered(markdown_text: str) -> str:
    from markdown_it import MarkdownIt  # a CommonMark + GFM-tables renderer, as the UI's

    return MarkdownIt("commonmark").enable("table").render(markdown_text)


def test_untrusted_text_renders_as_text_not_as_markup():
    # Listing names and rejected raw symbols come from third-party pages and files.
    html = rendered(table(pl.DataFrame({"name": HOSTILE, "n": range(len(HOSTILE))})))
    for tag in ("<a ", "<img", "<code", "<strong", "<em", "<s>", "<del", "<!--"):
        assert tag not in html, tag
    assert html.count("<tr>") == len(HOSTILE) + 1  # no row split by a newline or carriage return
    assert all(row.count("<td>") == 2 for row in html.split("<tr>")[2:])  # no cell forged by a pipe
    for text in ("[click](javascript:alert(1))", "A\\|B", "**bold** _it_ ~~del~~"):
        assert text.replace("&", "&amp;") in html.replace("&quot;", '"')  # shown as written


def test_ordinary_names_stay_readable():
    out = table(pl.DataFrame({"source": ["other_listed"], "name": ["AT&T Inc. (Class A) - 2.5%"]}))
    assert "| other_listed | AT&T Inc. (Class A) - 2.5% |" in out
