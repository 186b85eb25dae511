"""A loopback web server for the web tools: static pages by path, redirects, and the wire formats of the search
providers (DuckDuckGo's HTML endpoint, SearXNG's JSON API, Tavily's search API). Every request is recorded."""

from __future__ import annotations

import html
import json
import threading
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes


@dataclass
class FakeWeb:
    """Pages: path -> (status, headers, body). Search results: (title, url, snippet) for every query."""

    host: str = "127.0.0.1"
    pages: dict[str, tuple[int, dict[str, str], bytes]] = field(default_factory=dict)
    results: list[tuple[str, str, str]] = field(default_factory=list)
    seen: list[Seen] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)  # /stall waits for it
    _server: ThreadingHTTPServer | None = None

    def page(self, path: str, body: str, content_type: str = "text/html; charset=utf-8") -> str:
        self.pages[path] = (200, {"Content-Type": content_type}, body.encode())
        return self.url(path)

    def redirect(self, path: str, location: str) -> str:
        self.pages[path] = (302, {"Location": location}, b"")
        return self.url(path)

    def url(self, path: str) -> str:
        assert self._server is not None
        return f"http://{self.host}:{self._server.server_address[1]}{path}"

    def __enter__(self) -> FakeWeb:
        self._server = ThreadingHTTPServer((self.host, 0), _handler(self))
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.release.set()
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()

    def answer(self, seen: Seen) -> tuple[int, dict[str, str], bytes]:
        if seen.path == "/stall":
            self.release.wait(30)
            return 200, {}, b"late"
        if seen.path == "/html/":  # DuckDuckGo: results link through its /l/?uddg= redirector
            return 200, {"Content-Type": "text/html"}, _duckduckgo(self.results).encode()
        if seen.path == "/searxng/search":
            if seen.query.get("format") != ["json"]:
                return 403, {}, b"format not allowed"
            return 200, {"Content-Type": "application/json"}, _json_results(self.results)
        if seen.path == "/tavily/search":
            if not seen.headers.get("authorization", "").startswith("Bearer tvly-"):
                return 401, {}, b'{"detail": {"error": "Unauthorized"}}'
            return 200, {"Content-Type": "application/json"}, _json_results(self.results)
        return self.pages.get(seen.path, (404, {"Content-Type": "text/html"}, b"<p>not found</p>"))


def _duckduckgo(results: list[tuple[str, str, str]]) -> str:
    rows = [
        f'<div class="result results_links web-result"><div class="links_main result__body">'
        f'<h2 class="result__title"><a rel="nofollow" class="result__a" '
        f'href="//duckduckgo.com/l/?uddg={urllib.parse.quote(url, safe="")}&amp;rut=abc">{html.escape(title)}</a>'
        f'</h2><a class="result__snippet" href="#">{html.escape(snippet)}</a></div></div>'
        for title, url, snippet in results
    ]
    return f'<html><body><div id="links" class="results">{"".join(rows)}</div></body></html>'


def _json_results(results: list[tuple[str, str, str]]) -> bytes:
    items: list[dict[str, Any]] = [{"title": t, "url": u, "content": s} for t, u, s in results]
    return json.dumps({"query": "q", "results": items}).encode()


def _handler(web: FakeWeb) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            parsed = urllib.parse.urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            seen = Seen(self.command, parsed.path, urllib.parse.parse_qs(parsed.query), headers, body)
            web.seen.append(seen)
            status, extra, payload = web.answer(seen)
            self.send_response(status)
            for name, value in extra.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = _serve

        def log_message(self, *_args: object) -> None:
            pass

    return Handler
