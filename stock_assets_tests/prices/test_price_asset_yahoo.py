"""The price multi-asset through `dg.materialize` with YahooPriceSource on a fake Yahoo.

What users see: rows land in the lake, a fetch report lands in ops.fetch_reports and in the
asset's metadata; a rerun asks Yahoo for nothing and stores nothing twice; missed nights are
caught up from each symbol's first missing session; a wild move is fetched twice; a symbol
that fails three nights goes to the dead letter until released; a stop mid-fetch stores
nothing and records the unfetched as YFCANCELLED.
"""

import datetime as dt

import dagster as dg
import polars as pl
import pytest

from stock_assets.defs.prices.assets import daily_prices
from stock_assets.defs.prices.yahoo import YahooPriceSource
from stock_assets.lib.schema import DAILY_OHLCV
from stock_assets.storage import dead_letter
from stock_assets_tests.conftest import materialize_prices
from stock_assets_tests.prices.conftest import make_source
from stock_assets_tests.prices.fake_yahoo import chart_body, synthetic_bars


def _lake_rows(resources, first, last):
    return resources["warehouse"].lake.read_range("daily_ohlcv", first, last, DAILY_OHLCV)


def _prices_only(resources, instance, day: str):
    """The price multi-asset alone (without the blocking checks: a missing symbol is the point here)."""
    result = dg.materialize([daily_prices], partition_key=day, resources=resources, instance=instance)
    assert result.success
    return result


def _report(result) -> dict:
    mat = next(m for m in result.asset_materializations_for_node("daily_prices")
               if m.asset_key == dg.AssetKey("daily_ohlcv"))
    return mat.metadata["fetch_report"].value


def test_materialize_then_rerun_asks_nothing_and_stores_nothing_twice(yahoo_resources, instance, fake_yahoo):
    day = dt.date(2024, 6, 10)
    first = materialize_prices(yahoo_resources, instance, partition_key=day.isoformat())
    rows = _lake_rows(yahoo_resources, day, day)
    report = _report(first)
    assert rows.height == report["fetched"] > 15 and report["failed"] == 0
    assert set(rows["provider"]) == {"yahoo"}
    assert report["latency_p50_ms"] is not None and report["completeness"] == 1.0
    wh = yahoo_resources["warehouse"].open()
    stored = wh.query("SELECT requested, fetched, failed, rows, refetched FROM ops.fetch_reports")
    assert stored.to_dicts() == [{"requested": report["requested"], "fetched": report["fetched"], "failed": 0,
                                  "rows": rows.height, "refetched": 0}]
    asked = fake_yahoo.chart_requests
    again = materialize_prices(yahoo_resources, instance, partition_key=day.isoformat())
    assert fake_yahoo.chart_requests == asked  # nothing lacking: Yahoo not asked at all
    assert _report(again)["already_stored"] == report["requested"]
    assert _lake_rows(yahoo_resources, day, day).sort("symbol").equals(rows.sort("symbol"))


def test_missed_nights_are_caught_up_from_the_first_missing_session(yahoo_resources, instance, fake_yahoo):
    materialize_prices(yahoo_resources, instance, partition_key="2024-06-10")
    symbol = _lake_rows(yahoo_resources, dt.date(2024, 6, 10), dt.date(2024, 6, 10))["symbol"][0]
    fake_yahoo.queries.clear()
    result = materialize_prices(yahoo_resources, instance, partition_range=("2024-06-10", "2024-06-12"))
    assert result.success
    period1 = {dt.datetime.fromtimestamp(int(q["period1"]), dt.UTC).date() for q in fake_yahoo.queries[symbol]}
    assert period1 == {dt.date(2024, 6, 11)}  # 06-10 was stored: not asked again
    rows = _lake_rows(yahoo_resources, dt.date(2024, 6, 10), dt.date(2024, 6, 12))
    assert rows.height == rows.select("date", "symbol").n_unique() == 3 * _report(result)["requested"]


def test_an_implausible_jump_is_fetched_once_more_and_counted(yahoo_resources, instance, fake_yahoo):
    materialize_prices(yahoo_resources, instance, partition_key="2024-06-10")
    symbol = _lake_rows(yahoo_resources, dt.date(2024, 6, 10), dt.date(2024, 6, 10))["symbol"][0]
    bars = synthetic_bars(symbol, dt.date(2024, 6, 11), dt.date(2024, 6, 12))
    jumped = [{**b, **{k: b[k] * 1.6 for k in ("open", "high", "low", "close", "adjclose")}} for b in bars]
    fake_yahoo.script.bodies[symbol] = (200, chart_body(symbol, jumped))
    before = fake_yahoo.requests[symbol]
    result = materialize_prices(yahoo_resources, instance, partition_key="2024-06-11")
    report = _report(result)
    assert fake_yahoo.requests[symbol] - before == 2  # asked, then asked once more
    assert report["refetched"] == 1 and report["refetch_share"] > 0
    wh = yahoo_resources["warehouse"].open()
    assert wh.scalar("SELECT refetched FROM ops.fetch_reports WHERE first_session = ?", [dt.date(2024, 6, 11)]) == 1


def test_three_failed_nights_dead_letter_a_symbol_until_it_is_released(yahoo_resources, instance, fake_yahoo):
    wh = yahoo_resources["warehouse"].open()
    symbol = wh.query("SELECT yahoo_symbol FROM universe.tickers WHERE status = 'active' ORDER BY 1 LIMIT 1")[
        "yahoo_symbol"][0]
    fake_yahoo.script.always[symbol] = "404"
    for night in ("2024-06-10", "2024-06-11", "2024-06-12"):
        _prices_only(yahoo_resources, instance, night)
    assert dead_letter.dead_symbols(wh) == [symbol]
    row = wh.query("SELECT failed_nights, last_code FROM ops.dead_letter").to_dicts()[0]
    assert row == {"failed_nights": 3, "last_code": "YFHTTP4XX"}
    assert wh.count("ops.fetch_errors", "symbol = ?", [symbol]) == 3  # one row per failed night
    asked = fake_yahoo.requests[symbol]
    _prices_only(yahoo_resources, instance, "2024-06-13")
    assert fake_yahoo.requests[symbol] == asked  # skipped while dead
    assert dead_letter.release(wh, [symbol]) == 1 and dead_letter.release(wh, [symbol]) == 0
    del fake_yahoo.script.always[symbol]
    _prices_only(yahoo_resources, instance, "2024-06-14")
    assert fake_yahoo.requests[symbol] > asked
    assert dead_letter.dead_symbols(wh) == []
    assert _lake_rows(yahoo_resources, dt.date(2024, 6, 14), dt.date(2024, 6, 14)).filter(
        pl.col("symbol") == symbol).height == 1


def test_run_config_re_enables_dead_letters(yahoo_resources, instance, fake_yahoo):
    wh = yahoo_resources["warehouse"].open()
    wh.append_rows("ops.dead_letter", pl.DataFrame({
        "symbol": ["ZZDEAD"], "since": [dt.datetime(2024, 1, 1)], "failed_nights": [3],
        "last_code": ["YFHTTP4XX"], "last_message": ["HTTP 404"]}))
    # a holiday partition (Juneteenth): the release happens, no fetch is needed to show it
    result = dg.materialize([daily_prices], partition_key="2024-06-19", resources=yahoo_resources, instance=instance,
                            run_config={"ops": {"daily_prices": {"config": {"release_all_dead_letters": True}}}})
    assert result.success and dead_letter.dead_symbols(wh) == []


class InterruptedYahoo(YahooPriceSource):
    """Stops the run (as Dagster does on termination) once the first batches are in."""

    def fetch_range(self, symbols, sessions, log=None):
        def interrupting(line):
            if "[batches]" in line:
                raise dg.DagsterExecutionInterruptedError("run terminated")
            (log or print)(line)

        return super().fetch_range(symbols, sessions, log=interrupting)


def test_a_stop_mid_fetch_stores_nothing_and_records_the_unfetched(yahoo_resources, instance, fake_yahoo,
                                                                   yf_cache_dir):
    fake_yahoo.script.latency_s = 0.02
    base = make_source(fake_yahoo, yf_cache_dir, batch_size=5, max_workers=1, threads_per_batch=1,
                       progress_every_s=0.0)
    resources = {**yahoo_resources, "source": InterruptedYahoo(**base.model_dump())}
    result = materialize_prices(resources, instance, partition_key="2024-06-10", raise_on_error=False)
    assert not result.success
    assert not resources["warehouse"].lake.has_partition("daily_ohlcv", dt.date(2024, 6, 10))
    wh = resources["warehouse"].open()
    cancelled = wh.count("ops.fetch_errors", "code = 'YFCANCELLED'")
    total = wh.count("universe.tickers", "status = 'active'")
    assert 0 < cancelled < total + 5
