"""What the stream follows: `STOCK_ASSETS_STREAM_SYMBOLS` / `--symbols`, resolved to symbols and calendars.

`universe` is every active symbol of the published warehouse (read through `stock_assets.read`,
so the stream never takes the warehouse's lock); `futures` is `STOCK_ASSETS_FUTURES`; a
universe or listing-source name (`sp500`, `dax40`) is that source's active symbols; anything
else is a comma list of Yahoo symbols. A symbol's calendar is what the universe stored, else
the instrument model's (lib/intraday/sessions.calendar_for).
"""

from __future__ import annotations

from stock_assets import read
from stock_assets.lib.intraday.sessions import calendar_for
from stock_assets.lib.markets import UnknownMarket
from stock_assets.settings import CONFIGURED_SOURCES, DEFAULT_LISTING_URLS, UNIVERSES, Settings


class NothingToStream(RuntimeError):
    """The spec resolved to no symbol (an empty or unpublished universe)."""


def resolve(spec: str, settings: Settings) -> list[str]:
    """The symbols `spec` stands for, in order, each once."""
    name = spec.strip().lower()
    if name == "futures":
        return list(dict.fromkeys(settings.futures))
    if name == "universe" or name in (*UNIVERSES, *DEFAULT_LISTING_URLS, *CONFIGURED_SOURCES):
        query = "SELECT yahoo_symbol FROM universe.tickers WHERE status = 'active'"
        params: list = []
        if name != "universe" and name not in UNIVERSES:
            query += " AND list_contains(string_split(coalesce(sources, ''), ','), ?)"
            params.append(name)
        try:
            rows = read.sql(query + " ORDER BY yahoo_symbol", params, data_dir=settings.data_dir)
        except read.NotPublished as err:
            raise NothingToStream(f"{spec!r} needs the universe, and no run has published the warehouse yet "
                                  f"({err}); run universe_job first, or pass --symbols") from None
        if rows.height == 0:
            raise NothingToStream(f"{spec!r}: no active symbol in universe.tickers; run universe_job first")
        return rows["yahoo_symbol"].to_list()
    return list(dict.fromkeys(s.strip().upper() for s in spec.split(",") if s.strip()))


def calendars(symbols: list[str], settings: Settings) -> dict[str, str]:
    """Each symbol's calendar: the universe's (when published), else the instrument model's, else XNYS."""
    known: dict[str, str] = {}
    try:
        rows = read.sql("SELECT yahoo_symbol, calendar FROM universe.tickers WHERE calendar IS NOT NULL "
                        "AND list_contains(?, yahoo_symbol)", [symbols], data_dir=settings.data_dir)
        known = dict(rows.iter_rows())
    except Exception:  # noqa: BLE001 - no published copy (or no universe): the model below answers
        known = {}
    out = {}
    for symbol in symbols:
        try:
            out[symbol] = calendar_for(symbol, known)
        except UnknownMarket:
            out[symbol] = "XNYS"
    return out
