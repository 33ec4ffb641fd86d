"""The dead-letter queue: symbols that failed three nights in a row are no longer asked for.

Why: a delisted or renamed symbol fails every night; asking Yahoo for it costs rate-limit
budget and buries real failures in noise. After `NIGHTS_TO_DEAD_LETTER` consecutive failed
nights (distinct sessions in `ops.fetch_errors` after the symbol's last stored bar and after
its last release) it goes to `ops.dead_letter`, which `records.symbols_for` skips. It leaves
when the universe scrape sees it listed again (`release`, called by the universe helper) or
when a person re-enables it (the `release_dead_letters` job / the price asset's config).

Codes that say nothing about the symbol itself (rate limiting, an open breaker, a cancelled
run, an already dead symbol) never count towards a streak.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import polars as pl

from stock_assets.lib.errors import ErrorCode
from stock_assets.storage.warehouse import Warehouse

NIGHTS_TO_DEAD_LETTER = 3
NOT_THE_SYMBOLS_FAULT = frozenset(
    {ErrorCode.YF429, ErrorCode.YFBREAKER, ErrorCode.YFCANCELLED, ErrorCode.YFDEAD, ErrorCode.YFPROXY}
)


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _expand(warehouse: Warehouse, symbols: Iterable[str]) -> list[str]:
    """The given symbols plus their Yahoo spellings (`BRK.B` -> `BRK-B`) from the universe."""
    given = sorted({s for s in symbols if s})
    if not given:
        return []
    frame = warehouse.query(
        "SELECT yahoo_symbol FROM universe.tickers WHERE symbol IN (SELECT unnest(?))", [given]
    )
    return sorted(set(given) | set(frame["yahoo_symbol"].to_list()))


def failed_streaks(warehouse: Warehouse, symbols: Iterable[str]) -> dict[str, int]:
    """Consecutive failed nights per symbol: distinct failed sessions after its last good bar.

    A night counts when the symbol's failure was its own (not 429/breaker/cancel); a stored
    bar or a release ends the streak.
    """
    wanted = sorted(set(symbols))
    if not wanted:
        return {}
    frame = warehouse.query(
        """
        WITH last_bar AS (
            SELECT symbol, max(date) AS last_date FROM prices.daily_ohlcv
            WHERE symbol IN (SELECT unnest($symbols)) GROUP BY symbol
        ), last_release AS (
            SELECT symbol, max(released_at) AS released_at FROM ops.dead_letter_releases
            WHERE symbol IN (SELECT unnest($symbols)) GROUP BY symbol
        )
        SELECT e.symbol, count(DISTINCT e.session) AS nights
        FROM ops.fetch_errors e
        LEFT JOIN last_bar b ON b.symbol = e.symbol
        LEFT JOIN last_release r ON r.symbol = e.symbol
        WHERE e.symbol IN (SELECT unnest($symbols))
          AND e.code NOT IN (SELECT unnest($ignored))
          AND coalesce(e.message, '') NOT LIKE 'intraday %'  -- intraday_bars' failures: not a daily night
          AND coalesce(e.message, '') NOT LIKE 'quote %'  -- quote_snapshots' failures: not a daily night
          AND (b.last_date IS NULL OR e.session > b.last_date)
          AND (r.released_at IS NULL OR e.recorded_at > r.released_at)
        GROUP BY e.symbol
        """,
        {"symbols": wanted, "ignored": sorted(str(c) for c in NOT_THE_SYMBOLS_FAULT)},
    )
    return dict(zip(frame["symbol"].to_list(), frame["nights"].to_list(), strict=True))


def update(warehouse: Warehouse, failed: dict[str, tuple[str, str]], now: dt.datetime | None = None) -> list[str]:
    """After a night's errors are recorded: dead-letter the symbols with 3+ failed nights.

    `failed` maps symbol -> (code, message) of tonight's failure. Returns the newly dead.
    """
    now = now or _utcnow()
    streaks = failed_streaks(warehouse, failed)
    dead = sorted(s for s, nights in streaks.items() if nights >= NIGHTS_TO_DEAD_LETTER)
    if not dead:
        return []
    rows = pl.DataFrame(
        {
            "symbol": dead,
            "since": [now] * len(dead),
            "failed_nights": [int(streaks[s]) for s in dead],
            "last_code": [str(failed[s][0]) for s in dead],
            "last_message": [failed[s][1][:500] for s in dead],
        },
        schema={"symbol": pl.String, "since": pl.Datetime("us"), "failed_nights": pl.Int32,
                "last_code": pl.String, "last_message": pl.String},
    )
    warehouse.replace_rows("ops.dead_letter", rows, "symbol IN (SELECT unnest(?))", [dead])
    return dead


def dead_symbols(warehouse: Warehouse) -> list[str]:
    return warehouse.query("SELECT symbol FROM ops.dead_letter ORDER BY symbol")["symbol"].to_list()


def release(warehouse: Warehouse, symbols: Iterable[str], reason: str = "relisted") -> int:
    """Take `symbols` (listing or Yahoo spelling) out of the dead-letter queue; how many left it.

    The release is remembered so that failures before it no longer count towards a new
    streak: a released symbol gets three fresh nights.
    """
    warehouse.ensure_schema()
    names = _expand(warehouse, symbols)
    if not names:
        return 0
    with warehouse.transaction() as conn:
        released = [r[0] for r in conn.execute(
            "SELECT symbol FROM ops.dead_letter WHERE symbol IN (SELECT unnest(?))", [names]
        ).fetchall()]
        if not released:
            return 0
        conn.execute("DELETE FROM ops.dead_letter WHERE symbol IN (SELECT unnest(?))", [released])
        now = _utcnow()
        conn.executemany(
            "INSERT INTO ops.dead_letter_releases (symbol, released_at, reason) VALUES (?, ?, ?)",
            [[s, now, reason] for s in released],
        )
    return len(released)


def release_all(warehouse: Warehouse, reason: str = "re-enabled by a person") -> int:
    return release(warehouse, dead_symbols(warehouse), reason)
