"""Column schemas of the stored tables, as polars types (docs/data_model.md mirrors them).

Why here: the lake writer, the checks and the sources must agree on one schema; a frame
that does not conform is refused before it is stored.
"""

from __future__ import annotations

import polars as pl

DAILY_OHLCV: dict[str, pl.DataType] = {
    "date": pl.Date(),
    "symbol": pl.String(),
    "open": pl.Float64(),
    "high": pl.Float64(),
    "low": pl.Float64(),
    "close": pl.Float64(),
    "adj_close": pl.Float64(),
    "volume": pl.Int64(),
    "currency": pl.String(),  # the quote currency as traded (GBp for most of London): ADR 0020
    "provider": pl.String(),
    "source_ts": pl.Datetime("us"),  # UTC, naive
    "ingested_at": pl.Datetime("us"),
    "run_id": pl.String(),
}
# What a source hands back: the stored row less what the pipeline stamps on it.
SOURCE_BAR_COLUMNS = [c for c in DAILY_OHLCV if c not in ("ingested_at", "run_id")]
# Columns added after files were first written: a file from before reads them as null.
ADDED_LATER = {"currency"}
REQUIRED_NOT_NULL = ["date", "symbol", "open", "high", "low", "close", "volume", "provider"]

CORPORATE_ACTIONS: dict[str, pl.DataType] = {
    "symbol": pl.String(),
    "ex_date": pl.Date(),
    "kind": pl.String(),  # 'split' | 'dividend'
    "value": pl.Float64(),  # split: new shares per old share (4.0 for 4:1); dividend: cash per share
    "source": pl.String(),
    "ingested_at": pl.Datetime("us"),
    "run_id": pl.String(),
}
ACTION_SOURCE_COLUMNS = ["symbol", "ex_date", "kind", "value", "source"]


class SchemaError(ValueError):
    """A frame whose columns or types differ from the stored schema."""


def empty(schema: dict[str, pl.DataType], columns: list[str] | None = None) -> pl.DataFrame:
    cols = columns or list(schema)
    return pl.DataFrame(schema={c: schema[c] for c in cols})


def conform(frame: pl.DataFrame, schema: dict[str, pl.DataType], columns: list[str] | None = None) -> pl.DataFrame:
    """Select and cast `frame` to `schema`; raise SchemaError naming what is missing."""
    cols = columns or list(schema)
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        raise SchemaError(f"missing columns {missing}; got {frame.columns}")
    try:
        return frame.select([pl.col(c).cast(schema[c], strict=True) for c in cols])
    except pl.exceptions.PolarsError as err:  # pragma: no cover - message passthrough
        raise SchemaError(f"columns do not cast to the stored types: {err}") from err


def schema_differences(frame: pl.DataFrame, schema: dict[str, pl.DataType]) -> list[str]:
    """Human-readable differences between a frame's schema and the expected one."""
    problems = []
    for name, dtype in schema.items():
        if name not in frame.schema:
            problems.append(f"missing column {name}")
        elif frame.schema[name] != dtype:
            problems.append(f"{name}: {frame.schema[name]} (expected {dtype})")
    for name in frame.columns:
        if name not in schema:
            problems.append(f"unexpected column {name}")
    return problems
