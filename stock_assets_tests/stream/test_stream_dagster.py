"""Dagster's view of the stream: the `stream_prices` observation and the stale-stream sensor, at fixed instants."""

from __future__ import annotations

import datetime as dt

import dagster as dg
import polars as pl
import pytest

from stock_assets.defs.automation.alert_senders import HttpAlertSender
from stock_assets.defs.automation.stream_sensor import stream_staleness_sensor
from stock_assets.defs.prices.stream_prices import StreamMonitor, fresh_check, observe, observe_stream_prices
from stock_assets.lib.stream import status
from stock_assets.lib.stream.bars import Bar, to_frame
from stock_assets.storage.stream_lake import StreamLake
from stock_assets.storage.warehouse import Warehouse
from stock_assets_tests.automation.test_alerts import Receiver

OPEN = dt.datetime(2024, 6, 3, 14, 30, tzinfo=dt.UTC)  # Monday 10:30 New York
SATURDAY = dt.datetime(2024, 6, 8, 15, 0, tzinfo=dt.UTC)


class FrozenMonitor(StreamMonitor):
    """The monitor at a fixed instant: no test depends on the real market being open."""

    at: str

    def now(self) -> dt.datetime:
        return dt.datetime.fromisoformat(self.at)


@pytest.fixture(scope="module")
def instance():
    """One in-memory instance for the module (a temp SQLite instance costs ~3 s per test here)."""
    return dg.DagsterInstance.ephemeral()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def store(data_dir, minute: dt.datetime, symbols=("AAPL", "MSFT"), **beat) -> StreamLake:
    lake = StreamLake(data_dir)
    bars = [Bar(minute, s, 1.0, 2.0, 0.5, 1.5, 10, 3, 100, minute + dt.timedelta(seconds=50)) for s in symbols]
    lake.write_minute(minute, to_frame(bars, "yahoo_ws", minute + dt.timedelta(minutes=1)))
    fields = dict(written_at=minute + dt.timedelta(seconds=65), pid=4242, state=status.STREAMING, connected=True,
                  subscribed=len(symbols), symbols=len(symbols), last_message_at=minute + dt.timedelta(seconds=59),
                  service="stock-assets-stream")
    lake.write_heartbeat(status.Heartbeat(**{**fields, **beat}))
    return lake


def monitor(data_dir, now: dt.datetime) -> FrozenMonitor:
    return FrozenMonitor(data_dir=str(data_dir), at=now.isoformat())


def test_the_observation_reports_the_last_minute_symbols_lag_and_connection(data_dir, instance):
    store(data_dir, OPEN)
    defs = dg.Definitions(assets=[observe_stream_prices],
                          resources={"stream_monitor": monitor(data_dir, OPEN + dt.timedelta(seconds=90))})
    result = defs.resolve_implicit_global_asset_job_def().execute_in_process(instance=instance)
    assert result.success
    (obs,) = [e.event_specific_data.asset_observation for e in result.all_events
              if e.event_type_value == "ASSET_OBSERVATION"]
    meta = {k: v.value for k, v in obs.metadata.items()}
    assert meta["last_minute_stored"] == "2024-06-03T14:30:00+00:00"
    assert (meta["symbols_in_last_minute"], meta["lag_seconds"], meta["connected"], meta["stale"]) == (2, 30.0, True, False)
    assert obs.tags["dagster/data_version"] == "2024-06-03T14:30Z"
    (check,) = result.get_asset_check_evaluations()
    assert check.passed and check.check_name == "stream_fresh"


def test_an_empty_data_dir_observes_as_empty(data_dir):
    watch = monitor(data_dir, SATURDAY)
    obs = observe(watch)
    assert (obs.data_version, obs.metadata["last_minute_stored"], obs.metadata["state"]) == (
        "empty", "none yet", "no heartbeat")
    assert fresh_check(obs, watch).passed  # outside hours nothing is expected


def test_a_stale_stream_fails_the_check_with_the_restart_command(data_dir):
    store(data_dir, OPEN)
    watch = monitor(data_dir, OPEN + dt.timedelta(minutes=10))
    check = fresh_check(observe(watch), watch)
    assert not check.passed and check.severity == dg.AssetCheckSeverity.WARN
    assert "systemctl restart stock-assets-stream" in check.description


def tick(defs, instance, cursor=None):
    context = dg.build_sensor_context(instance=instance, cursor=cursor, definitions=defs,
                                     resources=dict(defs.resources))
    return stream_staleness_sensor.evaluate_tick(context)


def sensor_defs(data_dir, now, receiver) -> dg.Definitions:
    return dg.Definitions(
        assets=[observe_stream_prices], sensors=[stream_staleness_sensor],
        resources={"stream_monitor": monitor(data_dir, now), "alerts": HttpAlertSender(webhook_url=receiver.url)})


def test_the_sensor_alerts_once_when_the_stream_goes_stale_in_market_hours_and_says_how_to_restart(
        data_dir, instance, receiver):
    store(data_dir, OPEN)
    fresh = tick(sensor_defs(data_dir, OPEN + dt.timedelta(seconds=90), receiver), instance)
    assert receiver.posts == [] and "stream fresh" in fresh.skip_message
    assert [e.check_name for e in fresh.asset_events if isinstance(e, dg.AssetCheckEvaluation)] == ["stream_fresh"]
    stale = tick(sensor_defs(data_dir, OPEN + dt.timedelta(minutes=10), receiver), instance, fresh.cursor)
    assert "stream STALE" in stale.skip_message and "1 alert(s) sent" in stale.skip_message
    ((_, body),) = receiver.posts
    assert body["kind"] == "stream_stale" and "systemctl restart stock-assets-stream" in body["details"]
    assert "not written its heartbeat for 535 s" in body["details"]
    again = tick(sensor_defs(data_dir, OPEN + dt.timedelta(minutes=11), receiver), instance, stale.cursor)
    assert len(receiver.posts) == 1 and "0 alert(s) sent" in again.skip_message  # stays stale: said once


def test_the_sensor_skips_outside_hours_and_where_no_stream_ever_ran(data_dir, instance, receiver):
    nothing = tick(sensor_defs(data_dir, OPEN, receiver), instance)
    assert "the stream has never run on this data dir" in nothing.skip_message
    store(data_dir, OPEN)
    weekend = tick(sensor_defs(data_dir, SATURDAY, receiver), instance)
    assert "outside market hours of XNYS" in weekend.skip_message and weekend.asset_events == []
    assert receiver.posts == []


def test_a_stream_without_a_service_is_told_how_to_start(data_dir, instance, receiver):
    store(data_dir, OPEN, service=None)
    tick(sensor_defs(data_dir, OPEN + dt.timedelta(minutes=10), receiver), instance)
    ((_, body),) = receiver.posts
    assert "python -m stock_assets.stream" in body["details"]


def test_the_view_and_the_reader_see_the_minutes(data_dir):
    store(data_dir, OPEN)
    store(data_dir, OPEN + dt.timedelta(minutes=1), symbols=("AAPL",))
    wh = Warehouse(data_dir / "warehouse.duckdb", data_dir / "lake")
    wh.ensure_schema()
    rows = wh.query("SELECT symbol, count(*) AS n FROM prices.stream_prices GROUP BY symbol ORDER BY symbol")
    assert rows.rows() == [("AAPL", 2), ("MSFT", 1)]
    from stock_assets import read

    frame = read.stream_prices(["AAPL"], start="2024-06-03", end="2024-06-03", data_dir=data_dir)
    assert frame["ts"].to_list() == [OPEN, OPEN + dt.timedelta(minutes=1)]
    assert frame.schema["ts"] == pl.Datetime("us", "UTC")
    assert read.stream_prices(None, start="2024-06-04", data_dir=data_dir).height == 0


def test_the_view_is_typed_and_empty_before_the_first_minute(data_dir):
    wh = Warehouse(data_dir / "warehouse.duckdb", data_dir / "lake")
    wh.ensure_schema()
    assert wh.count("prices.stream_prices") == 0
