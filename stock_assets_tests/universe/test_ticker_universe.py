"""`ticker_universe` through `dg.materialize` with live sources on file:// URLs and a local server:
the lifecycle across scrapes, rejected symbols recorded, the dead-letter release, the checks."""

import datetime as dt

import dagster as dg
import polars as pl

from stock_assets.defs.universe.assets import ticker_universe
from stock_assets.defs.universe.checks import universe_checks
from stock_assets_tests.conftest import shared_data
from stock_assets_tests.universe import listing_files as lf
from stock_assets_tests.universe.conftest import live_source


def scrape(resources, instance, source, as_of: str, **config):
    run_config = {"ops": {"ticker_universe": {"config": {"as_of": as_of, **config}}}}
    return dg.materialize(
        [ticker_universe, *universe_checks], resources={**resources, "universe_source": source},
        instance=instance, run_config=run_config, raise_on_error=False,
    )


def tickers(warehouse) -> dict[str, str]:
    frame = warehouse.query("SELECT yahoo_symbol, status FROM universe.tickers ORDER BY yahoo_symbol")
    return dict(frame.iter_rows())


def metadata(result) -> dict:
    return {k: v.value for k, v in result.asset_materializations_for_node("ticker_universe")[0].metadata.items()}


def test_lifecycle_across_three_scrapes(tmp_path, offline_resources, instance, warehouse):
    base = lf.symbols(20)
    path = tmp_path / "nasdaqlisted.txt"
    source = live_source({"nasdaq_listed": lf.write(path, lf.nasdaq_listed(base))})

    first = scrape(offline_resources, instance, source, "2024-01-02", archive_after_days=30)
    assert first.success
    assert tickers(warehouse) == dict.fromkeys(base, "active")
    assert metadata(first)["first_scrape"] is True
    checks = {c.check_name: c.passed for c in first.get_asset_check_evaluations()}
    assert checks["no_duplicate_symbols"] and checks["every_symbol_valid"]

    # Scrape 2: two symbols gone, one new.
    lf.write(path, lf.nasdaq_listed([*base[:18], "NEWCO"], crlf=True))
    second = scrape(offline_resources, instance, source, "2024-02-01", archive_after_days=30)
    assert second.success
    state = tickers(warehouse)
    assert state[base[18]] == state[base[19]] == "delisted" and state["NEWCO"] == "active"
    md = metadata(second)
    assert (md["new_symbols"], md["delisted_symbols"], md["new_symbols_list"]) == (1, 2, ["NEWCO"])
    assert "NEWCO" in md["new"] and base[18] in md["delisted_since_last_scrape"]
    assert "delisted" in md["by_exchange_and_status"]

    # Scrape 3, 45 days later: one reappears (and leaves the dead-letter queue), one is archived.
    warehouse.append_rows("ops.dead_letter", pl.DataFrame(
        {"symbol": [base[18]], "since": [dt.datetime(2024, 2, 2)], "failed_nights": [3],
         "last_code": ["YFTZ"], "last_message": ["possibly delisted"]},
        schema={"symbol": pl.String, "since": pl.Datetime("us"), "failed_nights": pl.Int32,
                "last_code": pl.String, "last_message": pl.String}))
    lf.write(path, lf.nasdaq_listed([*base[:19], "NEWCO"], legacy=True))
    third = scrape(offline_resources, instance, source, "2024-03-18", archive_after_days=30)
    assert third.success
    state = tickers(warehouse)
    assert state[base[18]] == "active" and state[base[19]] == "archived"
    assert warehouse.count("ops.dead_letter") == 0
    md = metadata(third)
    assert md["released_from_dead_letter"] == 1 and md["archived_symbols"] == 1
    assert md["new_symbols_list"] == [base[18]]
    row = warehouse.query("SELECT first_seen, delisted_on, archived_on FROM universe.tickers WHERE yahoo_symbol = ?",
                          [base[19]]).row(0)
    assert row[0].date() == dt.date(2024, 1, 2) and row[1] == dt.date(2024, 2, 1) and row[2] == dt.date(2024, 3, 18)

    snapshots = warehouse.query("SELECT scraped_at::DATE AS d, count(*) AS n FROM universe.listing_snapshots "
                                "GROUP BY d ORDER BY d")
    assert snapshots.rows() == [(dt.date(2024, 1, 2), 20), (dt.date(2024, 2, 1), 19), (dt.date(2024, 3, 18), 20)]


def test_the_same_scrape_again_replaces_its_snapshot(tmp_path, offline_resources, instance, warehouse):
    """A rerun with the same as_of (the demo's rerun, a retried run) is the same scrape: its
    snapshot and rejects are replaced, not doubled; a later scrape still adds its own."""
    text = lf.nasdaq_listed([*lf.symbols(10), "../x"])
    source = live_source({"nasdaq_listed": lf.write(tmp_path / "n.txt", text)})
    counts = []
    for as_of in ("2024-01-02", "2024-01-02", "2024-01-03"):
        assert scrape(offline_resources, instance, source, as_of).success
        counts.append((warehouse.count("universe.listing_snapshots"), warehouse.count("universe.rejected_symbols")))
    assert counts == [(10, 1), (10, 1), (20, 2)]


def test_rejected_symbols_are_recorded_never_stored(tmp_path, offline_resources, instance, warehouse):
    text = lf.nasdaq_listed(["AAPL", "MSFT", "../x", "'; DROP TABLE x;--"])
    other = lf.other_listed([("BRK.B", "N", "N", "BRK.B"), ("ABR$D", "N", "N", "ABR-D"), ("SPY", "P", "Y", "SPY")])
    source = live_source({"nasdaq_listed": lf.write(tmp_path / "n.txt", text),
                          "other_listed": lf.write(tmp_path / "o.txt", other)})
    result = scrape(offline_resources, instance, source, "2024-01-02")
    assert result.success
    assert tickers(warehouse) == dict.fromkeys(["AAPL", "BRK-B", "MSFT", "SPY"], "active")
    rejected = warehouse.query("SELECT source, raw_symbol, reason FROM universe.rejected_symbols ORDER BY raw_symbol")
    assert rejected["raw_symbol"].to_list() == ["'; DROP TABLE x;--", "../x", "ABR$D"]
    assert rejected["source"].to_list() == ["nasdaq_listed", "nasdaq_listed", "other_listed"]
    assert rejected["reason"].str.len_chars().min() > 5
    assert warehouse.query("SELECT is_etf, sources FROM universe.tickers WHERE yahoo_symbol = 'SPY'").row(0) == (
        True, "other_listed")
    md = metadata(result)
    assert md["rejected_symbols"] == 3 and "other_listed" in md["per_source"]
    # The count check knows these are tiny test files: the bounds come from the registry.
    checks = {c.check_name: c.passed for c in result.get_asset_check_evaluations()}
    assert checks == {"no_duplicate_symbols": True, "count_within_bounds": False, "every_symbol_valid": True}


def test_extra_indices_add_ftse_and_dax(tmp_path, offline_resources, instance, warehouse):
    from pathlib import Path

    fixtures = Path(__file__).parent / "fixtures"
    source = live_source(
        {"sp500": (fixtures / "sp500_modern.html").as_uri(), "ftse100": (fixtures / "ftse100.html").as_uri(),
         "dax40": (fixtures / "dax40.html").as_uri()},
        sources=["sp500"],
    )
    result = scrape(offline_resources, instance, source, "2024-01-02", extra_indices=["ftse100", "dax40"])
    assert result.success
    state = tickers(warehouse)
    assert {"BRK-B", "BT-A.L", "RR.L", "SAP.DE", "P911.DE"} <= set(state)
    exchanges = dict(warehouse.query("SELECT exchange, count(*) FROM universe.tickers GROUP BY exchange").iter_rows())
    assert exchanges["XLON"] == 6 and exchanges["XETR"] == 5
    sub = warehouse.query("SELECT sub_industry FROM universe.tickers WHERE yahoo_symbol = 'BF-B'").item()
    assert sub == "Distillers & Vintners"


def test_synthetic_universe_still_works(offline_resources, instance, warehouse):
    result = dg.materialize([ticker_universe, *universe_checks], resources=offline_resources, instance=instance)
    assert result.success
    assert warehouse.count("universe.tickers") > 30
    assert all(c.passed for c in result.get_asset_check_evaluations())


def test_real_sp500_pages_as_two_successive_scrapes(offline_resources, instance, warehouse):
    """The 2018 page, then the 2024 page: real additions and removals flow through the lifecycle."""
    old = shared_data("wikipedia_html", "List_of_S&P_500_companies_rev821321383_2018-01-19.html")
    new = shared_data("wikipedia_html", "List_of_S&P_500_companies_rev1250356709_2024-10-09.html")
    first = scrape(offline_resources, instance, live_source({"sp500": old.as_uri()}), "2018-01-19")
    assert first.success
    second = scrape(offline_resources, instance, live_source({"sp500": new.as_uri()}), "2024-10-09")
    assert second.success
    assert all(c.passed for c in second.get_asset_check_evaluations())
    state = tickers(warehouse)
    assert sum(s == "active" for s in state.values()) == 503
    assert state["XLNX"] == state["ATVI"] == "delisted"  # acquired after 2018
    assert state["PLTR"] == "active" and state["BRK-B"] == "active"
    md = metadata(second)
    assert (md["new_symbols"], md["delisted_symbols"]) == (128, 130)
    assert "PLTR" in md["new_symbols_list"]
