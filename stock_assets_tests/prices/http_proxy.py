"""A real forwarding HTTP proxy on 127.0.0.1 for the proxy-pool tests.

It speaks the proxy side of HTTP/1.1: a client sends `GET http://host:port/path` (the absolute
form) to it, it opens its own connection to that host and relays the answer, adding a `Via`
header to the request it forwards. It counts what it relayed; `mode` makes it misbehave like real proxies do: `refuse`
(the port is closed), `bad_gateway` (answers 502 itself), `hang` (accepts, never answers).
"""

from __future__ import annotations

import http.client
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


class ForwardingProxy:
    def __init__(self, mode: str = "forward", hang_s: float = 5.0):
        self.mode = mode
        self.hang_s = hang_s
        self.relayed = 0
        self.seen = 0
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._closed_port: int | None = None

    @property
    def url(self) -> str:
        if self.mode == "refuse":
            return f"http://127.0.0.1:{self._closed_port}"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> "ForwardingProxy":
        if self.mode == "refuse":  # a port that was free a moment ago: connections are refused
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                self._closed_port = s.getsockname()[1]
            return self
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def _handler(self):
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def do_GET(self):  # noqa: N802
                with proxy._lock:
                    proxy.seen += 1
                if proxy.mode == "hang":
                    time.sleep(proxy.hang_s)
                    self.close_connection = True
                    return
                if proxy.mode == "bad_gateway":
                    body = b"proxy: upstream unreachable"
                    self.send_response(502)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                target = urlsplit(self.path)
                upstream = http.client.HTTPConnection(target.hostname, target.port or 80, timeout=10)
                path = target.path + (f"?{target.query}" if target.query else "")
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("proxy-connection", "host")}
                headers["Via"] = "1.1 test-proxy"  # how the fake Yahoo tells proxied requests from direct ones
                upstream.request("GET", path, headers=headers)
                answer = upstream.getresponse()
                body = answer.read()
                upstream.close()
                with proxy._lock:
                    proxy.relayed += 1
                self.send_response(answer.status)
                for key, value in answer.getheaders():
                    if key.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(key, value)
                self.send_header("Via", "1.1 test-proxy")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        return Handler
