"""The intraday snapshot: sensor inside/outside market hours, the asset, pruning."""

import datetime as dt
from zoneinfo import ZoneInfo

import dagster as dg
import polars as pl
import pytest

from stock_assets.defs.automation import intraday_sensor
from stock_assets.defs.prices.intraday import intraday_quotes, prune
from stock_assets.defs.prices.quotes import SyntheticQuoteSource, quotes_from_download
from stock_assets.defs.universe.assets import ticker_universe
from stock_assets.lib import synthetic

NY = ZoneInfo("America/New_York")


@pytest.mark.parametrize("now", [
    dt.datetime(2024, 6, 8, 11, 0, tzinfo=NY),    # Saturday
    dt.datetime(2024, 7, 4, 11, 0, tzinfo=NY),    # Independence Day
    dt.datetime(2024, 6, 10, 8, 0, tzinfo=NY),    # before the open
    dt.datetime(2024, 11, 29, 14, 0, tzinfo=NY),  # after an early close
])
def test_sensor_skips_outside_market_hours_with_the_reason(monkeypatch, now):
    monkeypatch.setattr(intraday_sensor, "_now", lambda: now)
    with dg.instance_for_test() as instance:
        result = intraday_sensor.intraday_snapshot.evaluate_tick(dg.build_sensor_context(instance=instance))
    assert not result.run_requests
    assert result.skip_message.startswith("market closed: ")


def test_sensor_requests_one_snapshot_per_slot_during_market_hours(monkeypatch):
    now = dt.datetime(2024, 6, 10, 11, 7, 30, tzinfo=NY)
    monkeypatch.setattr(intraday_sensor, "_now", lambda: now)
    with dg.instance_for_test() as instance:
        result = intraday_sensor.intraday_snapshot.evaluate_tick(dg.build_sensor_context(instance=instance))
    [request] = result.run_requests
    assert request.run_key == "intraday-2024-06-10T15:00Z"  # 11:07 ET is in the 15:00 UTC slot
    assert request.run_config["ops"]["intraday_quotes"]["config"]["snapshot_at"] == "2024-06-10T15:07:30+00:00"
    assert intraday_sensor.intraday_snapshot.minimum_interval_seconds == 600


def _materialize_snapshot(resources, instance, at: str, retention_days: int = 7):
    return dg.materialize(
        [intraday_quotes], resources=resources, instance=instance,
        run_config={"ops": {"intraday_quotes": {"config": {"snapshot_at": at, "retention_days": retention_days}}}},
    )


def test_intraday_quotes_records_the_universe_and_prunes(offline_resources, instance, warehouse):
    assert dg.materialize([ticker_universe], resources=offline_resources, instance=instance).success
    first = _materialize_snapshot(offline_resources, instance, "2024-06-10T15:00:00+00:00")
    assert first.success
    rows = warehouse.query("SELECT * FROM prices.intraday_quotes ORDER BY symbol")
    active = warehouse.count("universe.tickers", "status = 'active'")
    assert 0 < rows.height <= active
    assert rows["snapshot_at"].n_unique() == 1
    assert rows.filter(pl.col("price") <= 0).height == 0
    assert rows["change_pct"].abs().max() <= 3.0
    # The same slot again (a retried run) replaces, never duplicates.
    assert _materialize_snapshot(offline_resources, instance, "2024-06-10T15:00:00+00:00").success
    assert warehouse.count("prices.intraday_quotes") == rows.height
    # Ten days later, with a 7-day retention, the old snapshot is pruned.
    later = _materialize_snapshot(offline_resources, instance, "2024-06-20T15:00:00+00:00")
    mat = later.asset_materializations_for_node("intraday_quotes")[0]
    assert mat.metadata["pruned_rows"].value == rows.height
    assert warehouse.scalar("SELECT min(snapshot_at) FROM prices.intraday_quotes") == dt.datetime(2024, 6, 20, 15)


def test_prune_keeps_what_is_younger_than_the_retention(warehouse):
    frame = pl.DataFrame({
        "snapshot_at": [dt.datetime(2024, 6, 1), dt.datetime(2024, 6, 8), dt.datetime(2024, 6, 9)],
        "symbol": ["A", "A", "A"], "price": [1.0, 2.0, 3.0], "change_pct": [0.0] * 3,
        "volume": [1, 2, 3], "provider": ["synthetic"] * 3, "run_id": ["r"] * 3,
    })
    warehouse.append_rows("prices.intraday_quotes", frame)
    assert prune(warehouse, dt.datetime(2024, 6, 10), retention_days=2) == 1
    assert prune(warehouse, dt.datetime(2024, 6, 10), retention_days=2) == 0
    assert warehouse.count("prices.intraday_quotes") == 2


def test_synthetic_quotes_follow_the_previous_close():
    source = SyntheticQuoteSource(ticker_count=20)
    names = sorted(t.symbol for t in synthetic.tickers(20))[:2]
    now = dt.datetime(2024, 6, 10, 15, tzinfo=dt.UTC)
    quotes = source.latest([*names, "NOPE"], now)
    assert quotes["symbol"].to_list() == names
    bars, _, _ = synthetic.bars(names, [dt.date(2024, 6, 7)], 20)  # the previous session
    expected = bars["close"] * (1 + quotes["change_pct"] / 100)
    assert (quotes["price"] - expected).abs().max() < 1e-3
    assert quotes.equals(source.latest([*names, "NOPE"], now))  # deterministic


def test_yahoo_quotes_are_read_from_a_grouped_download():
    import pandas as pd

    idx = pd.DatetimeIndex(["2024-06-07 15:55", "2024-06-10 09:30", "2024-06-10 09:35"], tz="America/New_York")
    cols = pd.MultiIndex.from_product([["AAA", "BBB"], ["Close", "Volume"]])
    raw = pd.DataFrame([[100.0, 10, 50.0, 5], [101.0, 20, None, None], [102.0, 30, None, None]], index=idx, columns=cols)
    quotes = quotes_from_download(raw, ["AAA", "BBB", "CCC"])
    aaa = quotes.row(0, named=True)
    assert aaa["symbol"] == "AAA" and aaa["price"] == 102.0 and aaa["volume"] == 50
    assert aaa["change_pct"] == pytest.approx(2.0)
    assert quotes["symbol"].to_list() == ["AAA"]  # BBB has no bar today, CCC none at all
