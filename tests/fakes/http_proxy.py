"""A loopback forward proxy for plain HTTP (what HTTP_PROXY names), recording each URL it forwarded: tests that a
configured proxy carries the calls. Only loopback upstreams are forwarded; anything else gets a 403."""

from __future__ import annotations

import http.client
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

_HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade"}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Silence per-request logging."""

    def _forward(self) -> None:
        url = urllib.parse.urlsplit(self.path)  # a proxy gets the absolute URL
        if url.scheme != "http" or url.hostname != "127.0.0.1":
            self.send_error(403, "this test proxy forwards to 127.0.0.1 only")
            return
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
        upstream = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
        try:
            upstream.request(self.command, url.path + (f"?{url.query}" if url.query else ""), body, headers)
            answer = upstream.getresponse()
            data = answer.read()  # whole: the fakes' streams are short
        finally:
            upstream.close()
        with self.server.lock:
            self.server.forwarded.append(self.path)
        self.send_response(answer.status)
        for key, value in answer.getheaders():
            if key.lower() not in _HOP_BY_HOP and key.lower() != "content-length":
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = _forward


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    lock: threading.Lock
    forwarded: list[str]


class ForwardProxy:
    def __init__(self) -> None:
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.lock, self._server.forwarded = threading.Lock(), []
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def forwarded(self) -> list[str]:
        with self._server.lock:
            return list(self._server.forwarded)

    def __enter__(self) -> ForwardProxy:
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
