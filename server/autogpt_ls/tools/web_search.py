"""The search-provider seam of web_search: DuckDuckGo's HTML endpoint (no key), a SearXNG instance (its JSON
API), or Tavily (an API key). Each base URL is a setting; the provider is the user's choice, so its endpoint is
not held to the private-address rule that pages are (a SearXNG on the LAN is normal)."""

from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any, Literal, Protocol
from urllib.parse import parse_qs, urljoin, urlparse

import httpx

SearchProviderName = Literal["duckduckgo", "searxng", "tavily"]


@dataclass(frozen=True)
class Hit:
    title: str
    url: str
    snippet: str


class SearchProvider(Protocol):
    async def search(self, http: httpx.AsyncClient, query: str, limit: int) -> list[Hit]: ...


@dataclass(frozen=True)
class DuckDuckGo:
    """The HTML endpoint (html.duckduckgo.com/html/): results are `a.result__a` links (through its /l/?uddg=
    redirector) followed by `.result__snippet`."""

    url: str

    async def search(self, http: httpx.AsyncClient, query: str, limit: int) -> list[Hit]:
        response = await http.post(self.url, data={"q": query}, headers={"User-Agent": "Mozilla/5.0 autogpt-ls"})
        response.raise_for_status()
        reader = _DuckDuckGoResults(self.url)
        reader.feed(response.text)
        reader.close()
        return reader.hits[:limit]


class _DuckDuckGoResults(HTMLParser):
    def __init__(self, base: str) -> None:
        super().__init__(convert_charrefs=True)
        self.base = base
        self.hits: list[Hit] = []
        self._field: str | None = None
        self._title: list[str] = []
        self._url = ""
        self._snippet: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = (dict(attrs).get("class") or "").split()
        if tag == "a" and "result__a" in classes:
            self._flush()
            self._field, self._url = "title", _unwrapped(urljoin(self.base, dict(attrs).get("href") or ""))
        elif "result__snippet" in classes:
            self._field = "snippet"

    def handle_endtag(self, tag: str) -> None:
        if tag in ("a", "td", "div"):
            self._field = None

    def handle_data(self, data: str) -> None:
        if self._field == "title":
            self._title.append(data)
        elif self._field == "snippet":
            self._snippet.append(data)

    def close(self) -> None:
        super().close()
        self._flush()

    def _flush(self) -> None:
        if self._url:
            self.hits.append(Hit(_words(self._title), self._url, _words(self._snippet)))
        self._title, self._snippet, self._url = [], [], ""


def _unwrapped(href: str) -> str:
    """DuckDuckGo's redirector link, /l/?uddg=<target>, as its target."""
    target = parse_qs(urlparse(href).query).get("uddg")
    return target[0] if target else href


def _words(parts: list[str]) -> str:
    return " ".join(" ".join(parts).split())


@dataclass(frozen=True)
class SearXNG:
    url: str

    async def search(self, http: httpx.AsyncClient, query: str, limit: int) -> list[Hit]:
        response = await http.get(urljoin(self.url.rstrip("/") + "/", "search"), params={"q": query, "format": "json"})
        response.raise_for_status()
        return _hits(response.json().get("results", []), limit)


@dataclass(frozen=True)
class Tavily:
    url: str
    api_key: str

    async def search(self, http: httpx.AsyncClient, query: str, limit: int) -> list[Hit]:
        response = await http.post(
            urljoin(self.url.rstrip("/") + "/", "search"),
            json={"query": query, "max_results": limit},
            headers={"Authorization": f"Bearer {self.api_key}"},
        )
        response.raise_for_status()
        return _hits(response.json().get("results", []), limit)


def _hits(results: list[dict[str, Any]], limit: int) -> list[Hit]:
    """SearXNG's and Tavily's JSON results: {title, url, content}."""
    return [Hit(str(r.get("title", "")), str(r["url"]), str(r.get("content", ""))) for r in results if r.get("url")][
        :limit
    ]
