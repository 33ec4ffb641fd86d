"""Small frames rendered as Markdown tables for Dagster UI metadata."""

from __future__ import annotations

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
    return str(value).replace("|", "\\|").replace("\n", " ")
