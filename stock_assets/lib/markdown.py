"""Small frames rendered as Markdown tables for Dagster UI metadata.

Why every cell is escaped: listing names and rejected raw symbols come from third-party pages
and files, and the UI renders this Markdown. Untrusted text must show as text: no link, image,
raw HTML, code span or emphasis, no cell or row forged with a `|` or a line break.
"""

from __future__ import annotations

import re

import polars as pl

MAX_PREVIEW_ROWS = 20


def table(frame: pl.DataFrame, max_rows: int = MAX_PREVIEW_ROWS) -> str:
    """A Markdown table of the first `max_rows` rows, with a note when rows were cut."""
    if frame.width == 0:
        return "_no columns_"
    head = frame.head(max_rows)
    lines = [
        "| " + " | ".join(head.columns) + " |",
        "| " + " | ".join("---" for _ in head.columns) + " |",
    ]
    for row in head.iter_rows():
        lines.append("| " + " | ".join(_cell(v) for v in row) + " |")
    if frame.height == 0:
        lines.append("| " + " | ".join("" for _ in head.columns) + " |")
        lines.append("\n_no rows_")
    elif frame.height > max_rows:
        lines.append(f"\n_{frame.height - max_rows} more rows not shown_")
    return "\n".join(lines)


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4f}".rstrip("0").rstrip(".")
    return escape(str(value))


# One pass over every character that starts markup anywhere in a line, the backslash included
# (so `\|` cannot turn an escaped pipe back into a cell border). `_` only at a word's edge: inside a word
# (`other_listed`) it is not emphasis, and escaping it would only make names harder to read.
_MARKUP = re.compile(r"([\\`*\[\]<>|~!])|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")
_LINE_BREAKS = re.compile(r"[\r\n\u2028\u2029\x0b\x0c]+")


def escape(text: str) -> str:
    """`text` as literal Markdown inside a table cell (line breaks become spaces)."""
    text = _LINE_BREAKS.sub(" ", text)
    return _MARKUP.sub(lambda m: "\\" + m.group(0), text)
