"""A 127.0.0.1 server that answers badly on purpose: a byte at a time, or without end.

Per-read timeouts never fire against either (a byte keeps arriving), so only an overall
deadline and a size cap bound them. `/stall` sends a few bytes of body and then nothing: there
the per-read timeout fires mid-body. Used by the scraper and the alert-sender tests.
"""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

DRIP_INTERVAL_S = 0.2  # one byte this often: far below any per-read timeout of the tests
CHUNK = b"x" * 65536


class Hostile(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"  # no Content-Length: the body ends when the server closes

    def _answer(self):
        self.server.hits[self.path] = self.server.hits.get(self.path, 0) + 1
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        try:
            self.send_response(200 if not self.path.startswith("/fail") else 503)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            stop = time.monotonic() + 60  # never outlive a test by more than a minute
            while time.monotonic() < stop and not self.server.closing.is_set():
                if self.path.endswith("/stall"):  # a few bytes, then silence
                    self.wfile.write(b"Symbol|")
                    self.wfile.flush()
                    self.server.closing.wait(60)
                elif self.path.endswith("/drip"):
                    self.wfile.write(b"x")
                    self.wfile.flush()
                    time.sleep(DRIP_INTERVAL_S)
                else:  # /endless: as fast as the client reads
                    self.wfile.write(CHUNK)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up: what the tests want

    do_GET = do_POST = _answer  # noqa: N815 - the stdlib's names

    def log_message(self, *args):
        pass


@pytest.fixture
def hostile_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Hostile)
    server.daemon_threads = True
    server.hits, server.closing = {}, threading.Event()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    server.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield server
    server.closing.set()
    server.shutdown()
    server.server_close()
