"""The real `python -m stock_assets.stream` process: SIGTERM flushes the open minute and leaves no temp file."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time

import polars as pl

from stock_assets.settings import REPO_ROOT
from stock_assets.storage.stream_lake import StreamLake
from stock_assets_tests.stream.fake_yahoo import FakeYahoo


def test_sigterm_flushes_the_open_minute_and_leaves_nothing_behind(data_dir):
    # Ticks stamped two minutes ahead: their minute cannot have closed when SIGTERM comes, so
    # only the stop's flush can write them.
    ahead = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0) + dt.timedelta(minutes=2)

    def script(conn):
        conn.wait_subscribed(2)
        conn.tick("AAPL", ahead + dt.timedelta(seconds=1), 10.0, 100)
        conn.tick("AAPL", ahead + dt.timedelta(seconds=9), 10.5, 160)
        conn.tick("MSFT", ahead + dt.timedelta(seconds=2), 400.0, 7)

    env = {k: v for k, v in os.environ.items() if not k.startswith("STOCK_ASSETS_")}
    lake = StreamLake(data_dir)
    with FakeYahoo([script]) as server:
        proc = subprocess.Popen(
            [sys.executable, "-m", "stock_assets.stream", "--symbols", "AAPL,MSFT", "--url", server.url,
             "--data-dir", str(data_dir), "--always", "--heartbeat-seconds", "0.2"],
            cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            deadline = time.monotonic() + 30
            while (lake.read_heartbeat() is None or lake.read_heartbeat().counts.get("added", 0) < 3):
                assert proc.poll() is None, proc.stdout.read()
                assert time.monotonic() < deadline, "the stream did not report 3 ticks within 30 s"
                time.sleep(0.1)
            assert lake.minute_files() == []  # the minute is still open
            proc.send_signal(signal.SIGTERM)
            out, _ = proc.communicate(timeout=15)
        finally:
            if proc.poll() is None:
                proc.kill()
    assert proc.returncode == 0, out
    (path,) = lake.minute_files()
    assert path == lake.minute_path(ahead)
    rows = pl.read_parquet(path).sort("symbol")
    assert rows.select("symbol", "open", "close", "ticks", "volume").rows() == [
        ("AAPL", 10.0, 10.5, 2, 60), ("MSFT", 400.0, 400.0, 1, 0)]
    assert list(data_dir.rglob("*.tmp")) == []
    assert lake.read_heartbeat().state == "stopped"
    assert "subscribed 2 symbols in 1 chunk(s)" in out and "stopped: 1 minute files written" in out
