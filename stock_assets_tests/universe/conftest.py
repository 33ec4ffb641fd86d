"""Universe test fixtures: a local 127.0.0.1 HTTP server and live-source resources on file:// URLs."""

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from stock_assets.defs.universe.live import LiveUniverseSource

NO_WAIT = [0.0, 0.0, 0.0]  # three retries, no sleeping: tests stay fast


class Routes(BaseHTTPRequestHandler):
    """Serves `server.routes[path] = (status, body, delay_seconds)` and counts hits per path."""

    def do_GET(self):  # noqa: N802 - the stdlib's name
        self.server.hits[self.path] = self.server.hits.get(self.path, 0) + 1
        self.server.agents.append(self.headers.get("User-Agent", ""))
        status, body, delay = self.server.routes.get(self.path, (404, "not found", 0.0))
        if delay:
            time.sleep(delay)
        data = body.encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (the timeout test)

    def log_message(self, *args):
        pass


@pytest.fixture
def http_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Routes)
    server.daemon_threads = True
    server.routes, server.hits, server.agents = {}, {}, []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield server
    server.shutdown()
    server.server_close()


def live_source(urls: dict[str, str], sources: list[str] | None = None, **kwargs) -> LiveUniverseSource:
    return LiveUniverseSource(sources=sources or list(urls), urls=urls, retry_delays_seconds=NO_WAIT,
                              timeout_seconds=kwargs.pop("timeout_seconds", 2.0), **kwargs)
