"""Fetching a URL for the web tools, with the safety rules in code: only http(s); a host whose addresses are
private, loopback or link-local is refused (unless WEB_ALLOW_PRIVATE_ADDRESSES), checked after DNS resolution and
at every redirect, and the connection goes to the address that was checked (no second lookup to rebind); the body
is capped in bytes and the whole fetch in seconds."""

from __future__ import annotations

import asyncio
import socket
from dataclasses import dataclass

import httpx

from autogpt_ls.netaddr import is_public
from autogpt_ls.tools.base import ToolRefused

MAX_REDIRECTS = 5
USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) autogpt-ls"


@dataclass(frozen=True)
class WebPolicy:
    allow_private: bool = False
    max_bytes: int = 2_000_000
    timeout_seconds: float = 20.0


@dataclass(frozen=True)
class Page:
    url: str  # after redirects
    status: int
    content_type: str
    body: bytes
    truncated: bool

    @property
    def text(self) -> str:
        return self.body.decode(_charset(self.content_type), errors="replace")


def _charset(content_type: str) -> str:
    for part in content_type.split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key.lower() == "charset" and value:
            return value.strip('"')
    return "utf-8"


async def checked_address(url: httpx.URL, policy: WebPolicy) -> str:
    """The address to connect to for `url`, once every address its host resolves to is allowed."""
    if url.scheme not in ("http", "https"):
        raise ToolRefused(f"only http and https URLs can be read, not {url.scheme or 'a relative'!r} ones")
    if not url.host:
        raise ToolRefused(f"{url} names no host")
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(url.host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as e:
        raise ToolRefused(f"cannot resolve {url.host}: {e.strerror}") from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    private = [a for a in addresses if not is_public(a)]
    if private and not policy.allow_private:
        raise ToolRefused(
            f"{url.host} resolves to a private, loopback or link-local address ({private[0]}): refused "
            "(WEB_ALLOW_PRIVATE_ADDRESSES=True allows it)"
        )
    return addresses[0]


async def fetch(url: str, policy: WebPolicy, client: httpx.AsyncClient | None = None) -> Page:
    """GET `url`, following redirects one by one through the same checks."""
    try:
        async with asyncio.timeout(policy.timeout_seconds):
            async with client or httpx.AsyncClient(timeout=policy.timeout_seconds) as http:
                return await _follow(http, httpx.URL(url), policy)
    except TimeoutError:
        raise ToolRefused(f"reading {url} took longer than {policy.timeout_seconds:g} s") from None
    except httpx.InvalidURL as e:
        raise ToolRefused(f"{url!r} is not a valid URL: {e}") from None
    except httpx.HTTPError as e:
        raise ToolRefused(f"cannot read {url}: {type(e).__name__}: {e}") from None


async def _follow(http: httpx.AsyncClient, url: httpx.URL, policy: WebPolicy) -> Page:
    for _hop in range(MAX_REDIRECTS + 1):
        address = await checked_address(url, policy)
        pinned = url.copy_with(host=address)
        headers = {"Host": url.netloc.decode("ascii"), "User-Agent": USER_AGENT, "Accept": "text/html,*/*;q=0.8"}
        request = http.build_request("GET", pinned, headers=headers, extensions={"sni_hostname": url.host})
        response = await http.send(request, stream=True)
        try:
            location = response.headers.get("location")
            if response.is_redirect and location:
                url = url.join(location)
                continue
            body, truncated = await _capped(response, policy.max_bytes)
            return Page(str(url), response.status_code, response.headers.get("content-type", ""), body, truncated)
        finally:
            await response.aclose()
    raise ToolRefused(f"more than {MAX_REDIRECTS} redirects")


async def _capped(response: httpx.Response, limit: int) -> tuple[bytes, bool]:
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            return b"".join(chunks)[:limit], True
    return b"".join(chunks), False
