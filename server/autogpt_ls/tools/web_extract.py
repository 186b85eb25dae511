"""A page's readable text and its links, from HTML, with the standard library's tolerant parser (no script,
style or hidden template text; links made absolute)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin

_SKIPPED = {"script", "style", "noscript", "template", "svg", "head"}
_BLOCKS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article", "table", "pre"}


@dataclass
class Extract:
    title: str = ""
    text: str = ""
    links: list[tuple[str, str]] = field(default_factory=list)  # (text, absolute URL)


class _Reader(HTMLParser):
    def __init__(self, base: str) -> None:
        super().__init__(convert_charrefs=True)
        self.base = base
        self.parts: list[str] = []
        self.title: list[str] = []
        self.links: list[tuple[str, str]] = []
        self._skip = 0
        self._in_title = False
        self._link: tuple[str, list[str]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title":
            self._in_title = True
        elif tag in _SKIPPED:
            self._skip += 1
        elif tag == "a" and (href := dict(attrs).get("href")):
            self._link = (urljoin(self.base, href), [])
        if tag in _BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        elif tag in _SKIPPED:
            self._skip = max(self._skip - 1, 0)
        elif tag == "a" and self._link is not None:
            url, words = self._link
            self.links.append((" ".join(" ".join(words).split()), url))
            self._link = None
        if tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title.append(data)
        elif not self._skip:
            self.parts.append(data)
            if self._link is not None:
                self._link[1].append(data)


def extract(html: str, base_url: str) -> Extract:
    reader = _Reader(base_url)
    reader.feed(html)
    reader.close()
    lines = (" ".join(line.split()) for line in "".join(reader.parts).splitlines())
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    links = [(t, u) for t, u in dict.fromkeys(reader.links) if u.startswith(("http://", "https://"))]
    return Extract(title=" ".join("".join(reader.title).split()), text=text, links=links)
