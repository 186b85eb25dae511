"""The web tools' fetch and rendering rules on a loopback server: redirects are checked hop by hop, the body is
capped, a stalled server is cut off, the connection goes to the address that was checked, and every request the
headless browser makes passes the same check. A public address cannot exist here, so where a test needs one,
`is_public` counts 127.0.0.1 as public and any other address as private (the one thing mocked)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from autogpt_ls.tools import web_fetch
from autogpt_ls.tools.base import ToolRefused
from autogpt_ls.tools.web_fetch import WebPolicy, fetch
from autogpt_ls.tools.web_render import render
from fakes.web_server import FakeWeb

ALLOWED = WebPolicy(allow_private=True, max_bytes=1024, timeout_seconds=5)
CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture
def web() -> Iterator[FakeWeb]:
    with FakeWeb() as server:
        yield server


@pytest.fixture
def other() -> Iterator[FakeWeb]:
    """A second server on another loopback address, the 'private' one once 127.0.0.1 counts as public."""
    with FakeWeb(host="127.0.0.2") as server:
        yield server


@pytest.fixture
def only_127_0_0_1_public(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(web_fetch, "is_public", lambda address: address == "127.0.0.1")


@pytest.mark.usefixtures("only_127_0_0_1_public")
async def test_a_redirect_to_a_private_address_is_refused(web: FakeWeb, other: FakeWeb) -> None:
    secret = other.page("/secret", "metadata")
    hop = web.redirect("/hop", secret)
    assert (await fetch(web.page("/ok", "fine"), WebPolicy())).text == "fine"
    with pytest.raises(ToolRefused, match=r"127\.0\.0\.2 resolves to a private, loopback or link-local address"):
        await fetch(hop, WebPolicy())
    assert other.seen == []
    assert [s.path for s in web.seen] == ["/ok", "/hop"]


async def test_redirects_to_other_schemes_and_endless_ones_are_refused(web: FakeWeb) -> None:
    with pytest.raises(ToolRefused, match="only http and https URLs can be read, not 'file' ones"):
        await fetch(web.redirect("/to-file", "file:///etc/passwd"), ALLOWED)
    web.redirect("/loop", "/loop")
    with pytest.raises(ToolRefused, match="more than 5 redirects"):
        await fetch(web.url("/loop"), ALLOWED)
    assert len([s for s in web.seen if s.path == "/loop"]) == 6


async def test_the_body_is_capped_and_a_stalled_server_cut_off(web: FakeWeb) -> None:
    page = await fetch(web.page("/big", "x" * 5000), ALLOWED)
    assert page.truncated and len(page.body) == 1024
    with pytest.raises(ToolRefused, match=r"took longer than 0\.3 s"):
        await fetch(web.url("/stall"), WebPolicy(allow_private=True, timeout_seconds=0.3))


async def test_the_host_is_kept_while_the_checked_address_is_dialled(web: FakeWeb) -> None:
    url = web.page("/by-name", "named").replace("127.0.0.1", "localhost")
    assert (await fetch(url, ALLOWED)).text == "named"
    assert web.seen[-1].headers["host"] == url.split("/")[2]


@pytest.mark.skipif(not CHROMIUM.is_file() or shutil.which("chromium") is None, reason="no /usr/bin/chromium")
@pytest.mark.usefixtures("only_127_0_0_1_public")
async def test_rendering_runs_scripts_and_checks_every_request_of_the_browser(web: FakeWeb, other: FakeWeb) -> None:
    pytest.importorskip("playwright")
    pixel = other.page("/pixel.png", "png", "image/png")
    page = web.page(
        "/app",
        f'<html><body><div id="app"></div><img src="{pixel}">'
        "<script>document.getElementById('app').textContent = 'Rendered by a script: 42';</script></body></html>",
    )
    html, final, note = await render(page, WebPolicy(timeout_seconds=120), CHROMIUM)  # a slow start under load
    assert html is not None and "Rendered by a script: 42" in html
    assert final == page and "Rendered in headless Chromium" in note
    assert other.seen == []  # the browser's request for the image was refused before it left


async def test_rendering_without_a_browser_says_so(web: FakeWeb, tmp_path: Path) -> None:
    html, _final, note = await render(web.page("/p", "plain"), ALLOWED, tmp_path / "no-chromium")
    assert html is None and "Not rendered" in note
    assert web.seen == []
