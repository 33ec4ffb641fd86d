"""A fake Yahoo streamer on 127.0.0.1 that speaks Yahoo's frames (yfinance's PricingData protobuf).

Each connection runs the next script of the list (the last one repeats): a script gets a
`Conn` to wait for the client's subscription, send ticks or garbage, drop the connection, or
stay connected and silent. A `Clock` is shared with the streamer under test, so a script moves
time forward exactly when it means to (no test depends on the wall clock or on real minutes).
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections.abc import Callable

from websockets.sync.server import ServerConnection, serve

from stock_assets.lib.stream import messages

WAIT = 10.0  # every wait in the fake is bounded


class Clock:
    """The streamer's clock, moved by the server's script once the streamer has read what was sent."""

    def __init__(self, now: dt.datetime):
        self.now = now
        self.streamer = None  # set by the test: whose frames `advance` waits for

    def __call__(self) -> dt.datetime:
        return self.now

    def frames_read(self) -> int:
        return sum(self.streamer.bars.counts.values()) + sum(self.streamer.garbage.values())

    def advance(self, to: dt.datetime, after_frames: int) -> None:
        """Move to `to` once the streamer has read `after_frames` frames in all (bounded wait)."""
        deadline = time.monotonic() + WAIT
        while self.frames_read() < after_frames:
            if time.monotonic() > deadline:
                raise AssertionError(f"the streamer read {self.frames_read()} of {after_frames} frames in {WAIT} s")
            time.sleep(0.01)
        self.now = to


class Conn:
    def __init__(self, ws: ServerConnection, server: FakeYahoo):
        self.ws, self.server = ws, server
        self.subscribed: list[list[str]] = []

    def wait_subscribed(self, symbols: int) -> None:
        """Read subscribe frames until `symbols` distinct symbols are subscribed."""
        seen: set[str] = set()
        while len(seen) < symbols:
            frame = json.loads(self.ws.recv(timeout=WAIT))
            self.subscribed.append(frame["subscribe"])
            seen.update(frame["subscribe"])

    def tick(self, symbol: str, ts: dt.datetime, price: float, day_volume: int | None = None) -> None:
        self.ws.send(messages.encode(symbol, ts, price, day_volume))

    def send(self, raw: str) -> None:
        self.ws.send(raw)

    def drop(self) -> None:
        """Cut the connection without a closing handshake (a network drop)."""
        self.ws.socket.close()

    def stay_silent(self) -> None:
        """Keep the connection open and say nothing until the client goes away."""
        try:
            while True:
                self.ws.recv(timeout=WAIT)  # subscription re-sends are read and ignored
        except Exception:  # noqa: BLE001 - the client hung up: the point of the test
            return


class FakeYahoo:
    def __init__(self, scripts: list[Callable[[Conn], None]]):
        self.scripts = scripts
        self.connections: list[Conn] = []
        self.done = threading.Event()  # set when the last script has run to its end
        self._server = serve(self._handle, "127.0.0.1", 0)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self._server.socket.getsockname()[1]}"

    def __enter__(self) -> FakeYahoo:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._thread.join(WAIT)

    def _handle(self, ws: ServerConnection) -> None:
        conn = Conn(ws, self)
        self.connections.append(conn)
        index = len(self.connections) - 1
        self.scripts[min(index, len(self.scripts) - 1)](conn)
        if index >= len(self.scripts) - 1:
            self.done.set()
            conn.stay_silent()  # the last script keeps the connection until the client stops
