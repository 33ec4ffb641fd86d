"""The lifecycle rules across successive scrapes, without Dagster or a database."""

import datetime as dt

import polars as pl

from stock_assets.lib import lifecycle
from stock_assets.lib.lifecycle import ACTIVE, ARCHIVED, DELISTED, LISTING_COLUMNS


def listing(symbols: list[str], source: str = "test") -> pl.DataFrame:
    return pl.DataFrame(
        {"symbol": symbols, "yahoo_symbol": symbols, "name": [f"{s} Inc" for s in symbols],
         "exchange": "NYSE", "sector": None, "sub_industry": None, "is_etf": False,
         "date_added": None, "cik": None, "source": source, "calendar": "XNYS", "currency": "USD",
         "asset_class": "equity", "isin": None},
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


def market_listing(rows: list[tuple], source: str = "test") -> pl.DataFrame:
    """rows: (yahoo_symbol, exchange, calendar, currency, asset_class, isin)."""
    return pl.DataFrame(
        [{"symbol": y.split(".")[0], "yahoo_symbol": y, "name": f"{y} plc", "exchange": e, "sector": None,
          "sub_industry": None, "is_etf": a == "etf", "date_added": None, "cik": None, "source": source,
          "calendar": c, "currency": cur, "asset_class": a, "isin": i} for y, e, c, cur, a, i in rows],
        schema=LISTING_COLUMNS,
    )


def instruments(frame: pl.DataFrame) -> dict[str, tuple]:
    return {r["yahoo_symbol"]: (r["exchange"], r["calendar"], r["currency"], r["asset_class"], r["isin"], r["status"])
            for r in frame.to_dicts()}


def test_instrument_columns_persist_through_delisting_and_relisting():
    vod = ("VOD.L", "XLON", "XLON", "GBp", "equity", "GB00BH4HKS39")
    es = ("ES=F", "XCME", "CMES", "USD", "future", None)
    t0 = lifecycle.apply_scrape(lifecycle.empty_tickers(), market_listing([vod, es]), at("2024-01-02"))
    assert instruments(t0)["VOD.L"] == (*vod[1:], ACTIVE)
    t1 = lifecycle.apply_scrape(t0, market_listing([es]), at("2024-02-01"))
    assert instruments(t1)["VOD.L"] == (*vod[1:], DELISTED)  # a delisted row keeps where it traded
    # back, from a source that gives no ISIN: the ISIN known before is kept
    t2 = lifecycle.apply_scrape(t1, market_listing([(*vod[:5], None), es]), at("2024-03-01"))
    assert instruments(t2)["VOD.L"] == (*vod[1:], ACTIVE)
    assert instruments(t2)["ES=F"] == (*es[1:], ACTIVE)


def test_same_company_on_two_exchanges_is_two_rows_one_isin():
    shell = [("SHEL.L", "XLON", "XLON", "GBp", "equity", "GB00BP6MXD84"),
             ("SHELL.AS", "XAMS", "XAMS", "EUR", "equity", "GB00BP6MXD84")]
    out = instruments(lifecycle.apply_scrape(lifecycle.empty_tickers(), market_listing(shell), at("2024-01-02")))
    assert out["SHEL.L"][:3] == ("XLON", "XLON", "GBp") and out["SHELL.AS"][:3] == ("XAMS", "XAMS", "EUR")
    assert out["SHEL.L"][4] == out["SHELL.AS"][4] == "GB00BP6MXD84"


def test_a_symbol_in_two_sources_takes_the_isin_the_one_that_has_it():
    no_isin = market_listing([("SHELL.AS", "XAMS", "XAMS", "EUR", "equity", None)], source="aex")
    with_isin = market_listing([("SHELL.AS", "XAMS", "XAMS", "EUR", "equity", "GB00BP6MXD84")], source="euronext")
    out = lifecycle.apply_scrape(lifecycle.empty_tickers(), pl.concat([no_isin, with_isin]), at("2024-01-02"))
    assert out.height == 1 and out["isin"].item() == "GB00BP6MXD84" and out["sources"].item() == "aex,euronext"


def test_backfill_gives_rows_stored_before_the_columns_their_market():
    old = lifecycle.apply_scrape(lifecycle.empty_tickers(), listing(["AAPL", "ODD"]), at("2024-01-02")).with_columns(
        exchange=pl.Series(["NASDAQ", "Moon Exchange"]), calendar=pl.lit(None, pl.String),
        currency=pl.lit(None, pl.String), asset_class=pl.lit(None, pl.String))
    old = pl.concat([old, old.head(1).with_columns(yahoo_symbol=pl.lit("BP.L"), exchange=pl.lit("LSE"))])
    out = instruments(lifecycle.backfill_instruments(old))
    assert out["AAPL"][:4] == ("XNAS", "XNYS", "USD", "equity")
    assert out["BP.L"][:4] == ("XLON", "XLON", "GBp", "equity")
    assert out["ODD"][:4] == ("Moon Exchange", None, None, None)  # unresolvable: left as it was, never guessed
    fresh = lifecycle.apply_scrape(lifecycle.empty_tickers(), listing(["AAPL"]), at("2024-01-02"))
    assert lifecycle.backfill_instruments(fresh).equals(fresh)


def test_archived_on_the_day_the_period_is_reached_not_a_day_before():
    t0 = lifecycle.apply_scrape(lifecycle.empty_tickers(), listing(["A", "B"]), at("2024-01-02"))
    t1 = lifecycle.apply_scrape(t0, listing(["A"]), at("2024-01-03"))  # B delisted on 01-03
    day_29 = lifecycle.apply_scrape(t1, listing(["A"]), at("2024-02-01"), archive_after_days=30)
    assert status(day_29)["B"] == DELISTED
    day_30 = lifecycle.apply_scrape(t1, listing(["A"]), at("2024-02-02"), archive_after_days=30)
    assert status(day_30)["B"] == ARCHIVED
