"""The streamer: connect, subscribe in chunks, turn ticks into minute files, reconnect with backoff.

Why we drive the connection ourselves (websockets' sync client) rather than call
`yfinance.WebSocket.listen`: that loop reconnects every 3 s forever with no backoff, cannot see
a server that stays connected but silent, and cannot be stopped between messages. What we take
from yfinance is its protocol: the default URL, the `{"subscribe": [...]}` frame, and the
`PricingData` protobuf schema its messages are decoded with (lib/stream/messages.py).

Every wait is bounded and says what it waits for: a receive returns at least every
`poll_seconds` (to see a stop, close minutes, beat the heart), silence longer than
`receive_timeout` in market hours is a reconnect, a connect gives up after `open_timeout`,
backoff sleeps are interruptible, and outside market hours the process sleeps in slices of at
most a minute until the next open, saying when that is.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI
from websockets.sync.client import connect

from stock_assets.lib.stream import status
from stock_assets.lib.stream.backoff import Backoff, GaveUp, chunks
from stock_assets.lib.stream.bars import MinuteBars, to_frame
from stock_assets.lib.stream.messages import Garbage, decode, subscribe_message
from stock_assets.storage.stream_lake import StreamLake

DEFAULT_URL = "wss://streamer.finance.yahoo.com/?version=2"  # yfinance 1.7's default (a test holds them equal)
PROVIDER = "yahoo_ws"
LOG = logging.getLogger("stock_assets.stream")


class Silent(RuntimeError):
    """The server stayed connected but sent nothing for `receive_timeout` seconds."""


@dataclass
class StreamConfig:
    url: str = DEFAULT_URL
    chunk_size: int = 200
    receive_timeout: float = 60.0  # silence (no frame at all) that means the connection is dead
    open_timeout: float = 10.0
    poll_seconds: float = 1.0
    heartbeat_seconds: float = 5.0
    resubscribe_seconds: float = 15.0  # yfinance re-sends its subscription every 15 s; 0: never
    grace_seconds: float = 5.0
    hours_slice_seconds: float = 60.0  # outside hours: look again at least this often
    always: bool = False  # stream whatever the market hours
    backoff: Backoff = field(default_factory=Backoff)


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Streamer:
    """One stream process's loop. `clock` is injectable (tests); time-outs use the monotonic clock."""

    def __init__(self, lake: StreamLake, symbols: list[str], calendars: dict[str, str],
                 config: StreamConfig | None = None, clock: Callable[[], dt.datetime] = _utcnow,
                 service: str | None = None, log: logging.Logger = LOG):
        self.lake, self.symbols, self.config, self.clock, self.log = lake, symbols, config or StreamConfig(), clock, log
        self.calendars = tuple(sorted(set(calendars.values()) or status.DEFAULT_CALENDARS))
        self.bars = MinuteBars(grace_seconds=self.config.grace_seconds)
        self.garbage: Counter = Counter()
        self.stop_event = threading.Event()
        self.beat = status.Heartbeat(written_at=clock(), pid=os.getpid(), state=status.CONNECTING,
                                     symbols=len(symbols), calendars=self.calendars, service=service)
        self.minutes_written = 0
        self._last_beat = 0.0
        self._received = 0  # frames on the current connection
        self._view_pointed = False

    # -- control -------------------------------------------------------------------------
    def request_stop(self, *_args) -> None:
        """Ask the loop to stop (a signal handler): it flushes, says so and exits within a poll."""
        self.stop_event.set()

    def run(self) -> int:
        """Stream until stopped (0) or until the backoff gives up (2)."""
        self.lake.acquire()
        code = 0
        try:
            self.log.info(f"streaming {len(self.symbols)} symbols ({', '.join(self.calendars)}) from "
                          f"{self.config.url} into {self.lake.table_dir}")
            while not self.stop_event.is_set():
                if not self._in_hours():
                    self._wait_for_open()
                    continue
                try:
                    self._connect_and_stream()
                except GaveUp as err:
                    self.log.error(f"giving up: {err}; the service manager restarts the stream (docs/deployment.md)")
                    self._set(status.GAVE_UP, str(err))
                    code = 2
                    break
        finally:
            self._write(self.bars.flush())
            self.beat.connected, self.beat.subscribed = False, 0
            if code == 0:
                self._set(status.STOPPED, "stopped on request; open minutes flushed")
            self._heartbeat(force=True)
            self.lake.release()
            self.log.info(f"stopped: {self.minutes_written} minute files written, ticks {dict(self.bars.counts)}, "
                          f"garbage {dict(self.garbage)}")
        return code

    # -- market hours --------------------------------------------------------------------
    def _in_hours(self) -> bool:
        return self.config.always or bool(status.open_windows(self.calendars, self.clock()))

    def _wait_for_open(self) -> None:
        now = self.clock()
        upcoming = status.next_open(self.calendars, now)
        until = f"{upcoming:%Y-%m-%d %H:%M} UTC (in {upcoming - now})" if upcoming else "an unknown time"
        wait = min(self.config.hours_slice_seconds,
                   max(1.0, (upcoming - now).total_seconds()) if upcoming else self.config.hours_slice_seconds)
        self._set(status.WAITING, f"markets {', '.join(self.calendars)} closed; next open {until}")
        self.log.info(f"waiting for the open of {', '.join(self.calendars)} at {until}; looking again in {wait:.0f} s")
        self._write(self.bars.close(now))
        self._heartbeat(force=True)
        self.stop_event.wait(wait)

    # -- one connection ------------------------------------------------------------------
    def _connect_and_stream(self) -> None:
        """One connection's life; on failure, sleep the backoff (raises GaveUp when exhausted)."""
        self._received = 0
        try:
            self._set(status.CONNECTING, f"connecting to {self.config.url} (at most {self.config.open_timeout:g} s)")
            self.log.info(self.beat.detail)
            self._heartbeat(force=True)
            with connect(self.config.url, open_timeout=self.config.open_timeout, close_timeout=2,
                         max_size=2 ** 20) as ws:
                self._subscribe(ws)
                self._listen(ws)
            return
        except (OSError, TimeoutError, ConnectionClosed, InvalidHandshake, InvalidURI, Silent) as err:
            reason = f"{type(err).__name__}: {err}"
        self.beat.connected, self.beat.subscribed = False, 0
        if self._received:
            self.config.backoff.reset()  # a connection that worked starts the schedule again
        delay = self.config.backoff.next_delay()
        self.beat.reconnects += 1
        self._set(status.BACKOFF, f"{reason}; reconnecting in {delay:.1f} s (failure {self.config.backoff.failures} "
                                  f"of at most {self.config.backoff.max_attempts} in a row)")
        self.log.warning(self.beat.detail)
        self._heartbeat(force=True)
        self.stop_event.wait(delay)

    def _subscribe(self, ws) -> None:
        parts = list(chunks(self.symbols, self.config.chunk_size))
        for part in parts:
            ws.send(subscribe_message(part))
        self.beat.connected, self.beat.subscribed = True, len(self.symbols)
        self._set(status.STREAMING, f"subscribed {len(self.symbols)} symbols in {len(parts)} chunk(s)")
        self.log.info(self.beat.detail)

    def _listen(self, ws) -> None:
        """Read frames until stopped, closed, silent or out of hours (counted in `_received`)."""
        last_frame = last_subscribe = time.monotonic()
        while not self.stop_event.is_set():
            try:
                frame = ws.recv(timeout=self.config.poll_seconds)
            except TimeoutError:
                frame = None
            mono = time.monotonic()
            if frame is not None:
                self._received += 1
                last_frame = mono
                self._take(frame)
            elif mono - last_frame > self.config.receive_timeout:
                raise Silent(f"no message for {self.config.receive_timeout:g} s")
            if self.config.resubscribe_seconds and mono - last_subscribe >= self.config.resubscribe_seconds:
                self._subscribe(ws)
                last_subscribe = mono
            self._write(self.bars.close(self.clock()))
            if self._heartbeat() and not self._in_hours():
                self.log.info("the markets closed: closing the connection")
                break

    def _take(self, frame) -> None:
        self.beat.last_message_at = self.clock()
        item = decode(frame)
        if isinstance(item, Garbage):
            self.garbage[item.kind] += 1
            if self.garbage[item.kind] in (1, 10, 100) or self.garbage[item.kind] % 1000 == 0:
                self.log.warning(f"skipped a frame ({item.kind}: {item.detail}); {self.garbage[item.kind]} so far")
            return
        self.bars.add(item)

    # -- output --------------------------------------------------------------------------
    def _write(self, bars) -> None:
        by_minute = defaultdict(list)
        for bar in bars:
            by_minute[bar.ts].append(bar)
        for minute, group in sorted(by_minute.items()):
            path = self.lake.write_minute(minute, to_frame(group, PROVIDER, self.clock()))
            if not self._view_pointed:
                self._point_view()
            self.minutes_written += 1
            self.beat.last_minute_written = minute
            self.log.info(f"minute {minute:%Y-%m-%d %H:%M} UTC: {len(group)} symbols, "
                          f"{sum(b.ticks for b in group)} ticks -> {path.name}")

    def _point_view(self) -> None:
        """Once per start, after the first minute file: re-point `prices.stream_prices` at the lake
        (over a lake with no minute yet it is an empty view). Waits at most 5 s for the warehouse's
        lock and never fails the stream: the next pipeline run re-points it anyway."""
        self._view_pointed = True
        path = self.lake.data_dir / "warehouse.duckdb"
        if not path.exists():
            return
        from stock_assets.storage.warehouse import Warehouse

        try:
            Warehouse(path, self.lake.data_dir / "lake", lock_wait_seconds=5).refresh_views()
            self.log.info("prices.stream_prices now reads the stream's minute files")
        except Exception as err:  # noqa: BLE001 - a courtesy; the next run re-points the view
            self.log.warning(f"prices.stream_prices not re-pointed ({type(err).__name__}: {err}); the next run does it")

    def _set(self, state: str, detail: str) -> None:
        self.beat.state, self.beat.detail = state, detail

    def _heartbeat(self, force: bool = False) -> bool:
        """Rewrite the heartbeat if due (or forced); True when written."""
        mono = time.monotonic()
        if not force and mono - self._last_beat < self.config.heartbeat_seconds:
            return False
        self.beat.written_at = self.clock()
        self.beat.counts = {**self.bars.counts, **{f"garbage_{k}": v for k, v in self.garbage.items()}}
        self.lake.write_heartbeat(self.beat)
        self._last_beat = mono
        return True
