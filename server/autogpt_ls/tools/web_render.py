"""read_webpage's optional JavaScript rendering: headless Chromium (WEB_BROWSER_PATH, Debian's /usr/bin/chromium)
driven by Playwright, when it is installed (pip install 'autogpt-ls[browser]'). Every request the page makes goes
through the same address check as a plain fetch; without Playwright or the browser the page is fetched plainly,
with a note saying so."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx

from autogpt_ls.tools.base import ToolRefused
from autogpt_ls.tools.web_fetch import WebPolicy, checked_address


async def render(url: str, policy: WebPolicy, browser: Path) -> tuple[str | None, str, str]:
    """(the rendered HTML or None, the final URL, a note for the LLM)."""
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        return (
            None,
            url,
            "\n(Not rendered: Playwright is not installed (pip install 'autogpt-ls[browser]'); read without it.)",
        )
    if not await asyncio.to_thread(browser.is_file):
        return None, url, f"\n(Not rendered: no browser at {browser} (WEB_BROWSER_PATH); read without it.)"
    await checked_address(httpx.URL(url), policy)
    try:
        async with asyncio.timeout(policy.timeout_seconds), async_playwright() as pw:
            chromium = await pw.chromium.launch(executable_path=str(browser), headless=True)
            try:
                page = await chromium.new_page()
                await page.route("**/*", lambda route: _guarded(route, policy))
                await page.goto(url, wait_until="networkidle")
                html = await page.content()
                return html[: policy.max_bytes], page.url, "\n(Rendered in headless Chromium.)"
            finally:
                await chromium.close()
    except TimeoutError:
        raise ToolRefused(f"rendering {url} took longer than {policy.timeout_seconds:g} s") from None


async def _guarded(route: Any, policy: WebPolicy) -> None:
    """Every request the browser makes (frames, scripts, images, redirects) is checked like a fetch."""
    try:
        await checked_address(httpx.URL(route.request.url), policy)
    except (ToolRefused, httpx.InvalidURL):
        await route.abort("blockedbyclient")
        return
    await route.continue_()
