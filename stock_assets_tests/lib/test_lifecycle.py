"""The lifecycle rules across successive scrapes, without Dagster or a database."""

import datetime as dt

import polars as pl

from stock_assets.lib import lifecycle
from stock_assets.lib.lifecycle import ACTIVE, ARCHIVED, DELISTED, LISTING_COLUMNS


def listing(symbols: list[str], source: str = "test") -> pl.DataFrame:
    return pl.DataFrame(
        {"symbol": symbols, "yahoo_symbol": symbols, "name": [f"{s} Inc" for s in symbols],
         "exchange": "NYSE", "sector": None, "sub_industry": None, "is_etf": False,
         "date_added": None, "cik": None, "source": source,
         "calendar": None, "currency": None, "asset_class": None, "isin": None},
        schema=LISTING_COLUMNS,
    )


def status(frame: pl.DataFrame) -> dict[str, str]:
    return dict(zip(frame["yahoo_symbol"], frame["status"], strict=True))


def at(day: str) -> dt.datetime:
    return dt.datetime.fromisoformat(day + "T12:00:00")


def test_add_delist_reappear_archive():
    t0 = lifecycle.apply_scrape(lifecycle.empty_tickers(), listing(["A", "B", "C"]), at("2024-01-02"))
    assert status(t0) == {"A": ACTIVE, "B": ACTIVE, "C": ACTIVE}
    assert lifecycle.changes(lifecycle.empty_tickers(), t0)["new"].height == 3

    t1 = lifecycle.apply_scrape(t0, listing(["A", "D"]), at("2024-02-01"))
    assert status(t1) == {"A": ACTIVE, "B": DELISTED, "C": DELISTED, "D": ACTIVE}
    assert t1.filter(pl.col("yahoo_symbol") == "B")["delisted_on"].item() == dt.date(2024, 2, 1)
    diff = lifecycle.changes(t0, t1)
    assert diff["new"]["yahoo_symbol"].to_list() == ["D"]
    assert sorted(diff["delisted"]["yahoo_symbol"]) == ["B", "C"]

    # C is back; B stays gone past the archive period.
    t2 = lifecycle.apply_scrape(t1, listing(["A", "C", "D"]), at("2025-02-03"), archive_after_days=365)
    assert status(t2) == {"A": ACTIVE, "B": ARCHIVED, "C": ACTIVE, "D": ACTIVE}
    c = t2.filter(pl.col("yahoo_symbol") == "C").row(0, named=True)
    assert c["delisted_on"] is None and c["first_seen"] == at("2024-01-02")
    b = t2.filter(pl.col("yahoo_symbol") == "B").row(0, named=True)
    assert b["archived_on"] == dt.date(2025, 2, 3) and b["delisted_on"] == dt.date(2024, 2, 1)
    diff = lifecycle.changes(t1, t2)
    assert diff["relisted"]["yahoo_symbol"].to_list() == ["C"]
    assert diff["archived"]["yahoo_symbol"].to_list() == ["B"]

    # An archived symbol that reappears is active again.
    t3 = lifecycle.apply_scrape(t2, listing(["A", "B", "C", "D"]), at("2025-03-03"))
    assert set(status(t3).values()) == {ACTIVE}
    assert t3.filter(pl.col("yahoo_symbol") == "B")["archived_on"].item() is None


def test_not_archived_before_the_period():
    t0 = lifecycle.apply_scrape(lifecycle.empty_tickers(), listing(["A", "B"]), at("2024-01-02"))
    t1 = lifecycle.apply_scrape(t0, listing(["A"]), at("2024-01-03"))
    t2 = lifecycle.apply_scrape(t1, listing(["A"]), at("2024-06-03"), archive_after_days=365)
    assert status(t2)["B"] == DELISTED
    t3 = lifecycle.apply_scrape(t2, listing(["A"]), at("2024-06-03"), archive_after_days=30)
    assert status(t3)["B"] == ARCHIVED


def test_symbol_in_two_sources_is_one_row_with_both_sources():
    both = pl.concat([listing(["A", "B"], "sp500"), listing(["A"], "nasdaq_listed")])
    t0 = lifecycle.apply_scrape(lifecycle.empty_tickers(), both, at("2024-01-02"))
    assert t0.height == 2
    assert t0.filter(pl.col("yahoo_symbol") == "A")["sources"].item() == "nasdaq_listed,sp500"
