"""Text that DuckDB reads as SQL literals or glob patterns: quoted and escaped in one place.

Why: paths come from the environment (`TMPDIR`, `STOCK_ASSETS_DATA_DIR`), not from us. A quote
in one ends the literal (every QA check failed with `TMPDIR=/tmp/it's`); a `*`, `?` or `[` in a
directory makes `read_parquet` match other files or none at all.
"""

from __future__ import annotations

import re

_GLOB_SPECIAL = re.compile(r"([*?\[])")


def literal(text: str) -> str:
    """A single-quoted SQL string literal of `text`."""
    return "'" + str(text).replace("'", "''") + "'"


def glob_escape(path: str) -> str:
    """`path` with DuckDB's glob characters (`*`, `?`, `[`) matched literally (`[*]`, `[?]`, `[[]`)."""
    return _GLOB_SPECIAL.sub(r"[\1]", str(path))


def glob_literal(directory: str, pattern: str) -> str:
    """A SQL literal of the glob `pattern` under `directory`, the directory matched literally."""
    return literal(glob_escape(directory.rstrip("/")) + "/" + pattern)
