"""The streamer against a fake Yahoo on 127.0.0.1: minute files, disconnects, garbage, silence, chunks."""

from __future__ import annotations

import datetime as dt
import threading
import time

import polars as pl
import pytest

from stock_assets.lib.stream.backoff import Backoff
from stock_assets.storage.stream_lake import StreamAlreadyRunning, StreamLake
from stock_assets.stream.runner import StreamConfig, Streamer
from stock_assets_tests.stream.fake_yahoo import Clock, FakeYahoo

T0 = dt.datetime(2024, 6, 3, 14, 30, tzinfo=dt.UTC)  # Monday 10:30 New York: XNYS is open
SYMBOLS = ["AAPL", "MSFT"]


def at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


def config(url: str, **kw) -> StreamConfig:
    base = dict(url=url, poll_seconds=0.05, heartbeat_seconds=0.1, receive_timeout=5.0, open_timeout=3.0,
                resubscribe_seconds=0, backoff=Backoff(base_seconds=0.05, cap_seconds=0.2, max_attempts=20))
    return StreamConfig(**{**base, **kw})


def wait_for(predicate, what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout} s for {what}")
        time.sleep(0.02)


class Running:
    """A Streamer in a thread; stopped (and joined) on exit."""

    def __init__(self, streamer: Streamer):
        self.streamer = streamer
        self.code = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        self.code = self.streamer.run()

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.streamer.request_stop()
        self.thread.join(10)
        assert not self.thread.is_alive(), "the streamer did not stop within 10 s"


def minute(lake: StreamLake, seconds: float) -> pl.DataFrame:
    return pl.read_parquet(lake.minute_path(at(seconds))).sort("symbol")


def stream(data_dir, server, clock, symbols=SYMBOLS, **kw) -> Streamer:
    clock.streamer = Streamer(StreamLake(data_dir), symbols, {s: "XNYS" for s in symbols}, config(server.url, **kw),
                              clock=clock)
    return clock.streamer


def test_ticks_become_minute_files_with_the_right_ohlcv(data_dir, warehouse):
    clock = Clock(at(0))

    def script(conn):
        conn.wait_subscribed(2)
        for s, p, v in [(1, 10.0, 1000), (20, 12.0, 1500), (45, 9.0, 1600), (30, 11.5, 1550), (59, 11.0, 2000)]:
            conn.tick("AAPL", at(s), p, v)  # one out of order (30 after 45)
        conn.tick("AAPL", at(59), 11.0, 2000)  # a duplicate
        conn.tick("MSFT", at(3), 400.0, 70)
        clock.advance(at(66), after_frames=7)  # the minute ended 6 s ago: the next frame's arrival closes it
        conn.tick("MSFT", at(62), 401.0, 90)

    with FakeYahoo([script]) as server:
        lake = StreamLake(data_dir)
        with Running(stream(data_dir, server, clock)) as running:
            wait_for(lambda: lake.minute_path(at(0)).exists(), "the 14:30 minute file")
            server.done.wait(10)
        assert running.code == 0
    bars = minute(lake, 0)
    assert bars.select("symbol", "open", "high", "low", "close", "volume", "ticks").rows() == [
        ("AAPL", 10.0, 12.0, 9.0, 11.0, 1000, 5), ("MSFT", 400.0, 400.0, 400.0, 400.0, 0, 1)]
    assert minute(lake, 60).select("symbol", "close", "volume").rows() == [("MSFT", 401.0, 20)]  # flushed at stop
    beat = lake.read_heartbeat()
    assert (beat.state, beat.connected, beat.counts["duplicate"], beat.counts["added"]) == ("stopped", False, 1, 7)
    assert list(lake.table_dir.rglob("*.tmp")) == []
    assert warehouse.count("prices.stream_prices") == 3  # the stream re-pointed the view it found empty


def test_a_dropped_connection_reconnects_resubscribes_and_loses_or_doubles_no_minute(data_dir):
    clock = Clock(at(0))

    def first(conn):
        conn.wait_subscribed(2)
        conn.tick("AAPL", at(5), 10.0, 100)
        conn.tick("AAPL", at(10), 11.0, 300)
        conn.drop()

    def second(conn):
        conn.wait_subscribed(2)
        conn.tick("AAPL", at(10), 11.0, 300)  # Yahoo re-sends the last tick after a re-subscription
        conn.tick("AAPL", at(40), 9.5, 450)
        conn.tick("MSFT", at(50), 400.0, 10)
        clock.advance(at(70), after_frames=5)
        conn.tick("AAPL", at(65), 9.7, 500)

    with FakeYahoo([first, second]) as server:
        lake = StreamLake(data_dir)
        with Running(stream(data_dir, server, clock)) as running:
            wait_for(lambda: lake.minute_path(at(0)).exists(), "the 14:30 minute file")
            server.done.wait(10)
            beat_reconnects = running.streamer.beat.reconnects
    assert len(server.connections) == 2 and beat_reconnects == 1
    assert all(sorted(sum(c.subscribed, [])) == SYMBOLS for c in server.connections)
    aapl = minute(lake, 0).filter(pl.col("symbol") == "AAPL").row(0, named=True)
    assert (aapl["open"], aapl["high"], aapl["low"], aapl["close"], aapl["ticks"], aapl["volume"]) == (
        10.0, 11.0, 9.5, 9.5, 3, 350)
    assert minute(lake, 60)["volume"].to_list() == [50]


def test_garbage_frames_are_counted_and_skipped(data_dir):
    clock = Clock(at(0))

    def script(conn):
        conn.wait_subscribed(1)
        conn.send("this is not json")
        conn.send('{"type": "pricing", "message": "%%% not base64 %%%"}')
        conn.send('{"type": "pricing", "message": "/////w=="}')  # base64 of bytes that are no protobuf
        conn.send(b"\x00\xff binary junk")
        conn.tick("AAPL", at(5), 10.0, 100)
        clock.advance(at(70), after_frames=5)
        conn.tick("AAPL", at(61), 10.1, 120)

    with FakeYahoo([script]) as server:
        lake = StreamLake(data_dir)
        with Running(stream(data_dir, server, clock, symbols=["AAPL"])) as running:
            wait_for(lambda: lake.minute_path(at(0)).exists(), "the 14:30 minute file")
            server.done.wait(10)
    assert len(server.connections) == 1  # garbage never costs the connection
    assert dict(running.streamer.garbage) == {"not_json": 2, "bad_base64": 1, "bad_protobuf": 1}
    assert minute(lake, 0)["ticks"].to_list() == [1]
    assert lake.read_heartbeat().counts["garbage_not_json"] == 2


def test_a_silent_server_is_left_after_the_receive_timeout(data_dir, caplog):
    clock = Clock(at(0))

    def silent(conn):
        conn.wait_subscribed(2)
        conn.stay_silent()

    def talking(conn):
        conn.wait_subscribed(2)
        conn.tick("AAPL", at(5), 10.0, 100)

    with FakeYahoo([silent, talking]) as server:
        with Running(stream(data_dir, server, clock, receive_timeout=0.4)) as running:
            wait_for(lambda: running.streamer.bars.counts["added"] == 1, "a tick on the second connection")
            assert running.streamer.beat.reconnects == 1
    assert "Silent: no message for 0.4 s; reconnecting in" in caplog.text
    assert len(server.connections) == 2


def test_subscription_goes_out_in_chunks_and_again_on_each_connection(data_dir):
    clock = Clock(at(0))
    symbols = ["A", "B", "C", "D", "E"]

    def script(conn):
        conn.wait_subscribed(5)

    with FakeYahoo([script]) as server:
        with Running(stream(data_dir, server, clock, symbols=symbols, chunk_size=2)):
            server.done.wait(10)
    assert server.connections[0].subscribed == [["A", "B"], ["C", "D"], ["E"]]


def test_a_second_stream_on_the_same_data_dir_is_refused(data_dir):
    first = StreamLake(data_dir)
    first.acquire()
    try:
        with pytest.raises(StreamAlreadyRunning, match="another stream"):
            StreamLake(data_dir).acquire()
    finally:
        first.release()
    StreamLake(data_dir).acquire()  # the lock went with its holder


def test_outside_market_hours_it_waits_and_says_for_what(data_dir):
    clock = Clock(dt.datetime(2024, 6, 8, 15, 0, tzinfo=dt.UTC))  # a Saturday
    with FakeYahoo([lambda conn: None]) as server:
        with Running(stream(data_dir, server, clock)) as running:
            wait_for(lambda: StreamLake(data_dir).read_heartbeat() is not None, "the heartbeat")
            beat = StreamLake(data_dir).read_heartbeat()
            assert beat.state == "waiting_for_open" and "next open 2024-06-10 13:30 UTC" in beat.detail
        assert server.connections == [] and running.code == 0


def test_a_server_that_never_answers_ends_in_exit_code_2_after_the_bounded_backoff(data_dir):
    with FakeYahoo([lambda conn: None]) as server:
        url = server.url
    # the server is gone: every connection is refused
    streamer = Streamer(StreamLake(data_dir), ["AAPL"], {"AAPL": "XNYS"},
                        config(url, backoff=Backoff(base_seconds=0.01, cap_seconds=0.02, max_attempts=3)),
                        clock=Clock(at(0)))
    assert streamer.run() == 2
    beat = StreamLake(data_dir).read_heartbeat()
    assert (beat.state, beat.reconnects) == ("gave_up", 3) and "3 connection attempts in a row failed" in beat.detail
