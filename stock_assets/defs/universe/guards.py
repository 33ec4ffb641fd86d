"""Guards that keep the last good universe: a scrape that looks wrong fails before any write.

Counts are of distinct Yahoo symbols, on both sides: a listing with every row twice must
neither pass as a bigger universe nor, stored, make the next correct listing look shrunk.
Growth is guarded like shrinkage (two downloads concatenated, a wrong file), with its own share.

Why here and not in the parsers: the shrink guard compares a scrape with the last good one
(`universe.listing_snapshots`, written only by successful scrapes), which needs the
warehouse; the parsers guard the layout on their own (SCRAPE_LAYOUT).
"""

from __future__ import annotations

import dagster as dg
import polars as pl

from stock_assets.lib.errors import CodedError, ErrorCode
from stock_assets.storage.warehouse import Warehouse

RUNBOOK = "See docs/runbooks/scrape_failure.md."
KEPT = "universe.tickers was left exactly as it was"
DEFAULT_MAX_SHRINK_SHARE = 0.10
# A real listing grows by a few percent a month; half again as many symbols is another file.
DEFAULT_MAX_GROWTH_SHARE = 0.50


def scrape_failure(err: CodedError) -> dg.Failure:
    """A Dagster failure that carries the error code, for the UI, alerts and the runbook."""
    return dg.Failure(
        description=f"{err} ; {KEPT}. {RUNBOOK}",
        metadata={"error_code": str(err.code), "message": err.message},
    )


def last_good_counts(warehouse: Warehouse) -> dict[str, int]:
    """Distinct symbols per source in each source's most recent snapshot (a successful scrape)."""
    frame = warehouse.query(
        """
        SELECT s.source, count(DISTINCT s.yahoo_symbol) AS n FROM universe.listing_snapshots s
        JOIN (SELECT source, max(scraped_at) AS at FROM universe.listing_snapshots GROUP BY source) l
          ON l.source = s.source AND l.at = s.scraped_at
        GROUP BY s.source
        """
    )
    return dict(zip(frame["source"].to_list(), frame["n"].to_list(), strict=True))


def distinct_counts(rows: pl.DataFrame) -> dict[str, int]:
    """Distinct Yahoo symbols per source."""
    if not rows.height:
        return {}
    return dict(rows.group_by("source").agg(pl.col("yahoo_symbol").n_unique()).iter_rows())


def shrunk_sources(rows: pl.DataFrame, sources: list[str], before: dict[str, int],
                   max_share: float) -> list[tuple[str, int, int]]:
    """(source, now, before) for every source that lost more than `max_share` of its symbols."""
    now = distinct_counts(rows)
    out = []
    for source in sources:
        prev, cur = before.get(source, 0), now.get(source, 0)
        if prev and cur < prev * (1 - max_share):
            out.append((source, cur, prev))
    return out


def grown_sources(rows: pl.DataFrame, sources: list[str], before: dict[str, int],
                  max_share: float) -> list[tuple[str, int, int]]:
    """(source, now, before) for every source that gained more than `max_share` of its symbols.

    A source without a last good scrape (a new index) has nothing to grow from: not judged.
    """
    now = distinct_counts(rows)
    return [(s, now.get(s, 0), before[s]) for s in sources
            if before.get(s) and now.get(s, 0) > before[s] * (1 + max_share)]


def refuse_implausible(warehouse: Warehouse, rows: pl.DataFrame, sources: list[str], max_shrink_share: float,
                       max_growth_share: float = DEFAULT_MAX_GROWTH_SHARE) -> None:
    """Raise SCRAPE_SHRUNK (empty, or a source shrank too much) or SCRAPE_GREW (grew too much)."""
    refuse_shrink(warehouse, rows, sources, max_shrink_share)
    grown = grown_sources(rows, sources, last_good_counts(warehouse), max_growth_share)
    if grown:
        detail = "; ".join(f"{s}: {n} symbols against {p} in the last good scrape ({n - p} more)"
                           for s, n, p in grown)
        raise scrape_failure(CodedError(
            ErrorCode.SCRAPE_GREW,
            f"{detail} (more than {max_growth_share:.0%} more). If the growth is real, rerun with "
            "config max_growth_share raised",
        ))


def refuse_shrink(warehouse: Warehouse, rows: pl.DataFrame, sources: list[str], max_share: float) -> None:
    """Raise a SCRAPE_SHRUNK failure when the listing is empty or a source shrank too much."""
    if rows.height == 0:
        raise scrape_failure(CodedError(ErrorCode.SCRAPE_SHRUNK, "the listing has no symbols at all"))
    shrunk = shrunk_sources(rows, sources, last_good_counts(warehouse), max_share)
    if shrunk:
        detail = "; ".join(f"{s}: {n} symbols against {p} in the last good scrape" for s, n, p in shrunk)
        raise scrape_failure(CodedError(
            ErrorCode.SCRAPE_SHRUNK,
            f"{detail} (more than {max_share:.0%} fewer). If the shrink is real, rerun with "
            "config max_shrink_share raised",
        ))
