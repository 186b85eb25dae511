"""A proxy the user configured (HTTP_PROXY, HTTPS_PROXY) carries every provider's calls, through the SDKs'
aiohttp transport as through their httpx one."""

from __future__ import annotations

from pathlib import Path

import pytest
from cases import Case
from test_resilience import FINISH_REASON, drive, finish

from autogpt_ls.agent.runtime import Runtime
from autogpt_ls.settings import Settings
from autogpt_ls.task_models import TaskStatus
from fakes.http_proxy import ForwardProxy


async def test_a_configured_proxy_carries_every_call(
    case_env: Case, monkeypatch: pytest.MonkeyPatch, workspace: Path
) -> None:
    case_env.fake.script(finish(case_env))
    with ForwardProxy() as proxy:
        for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
            monkeypatch.setenv(name, proxy.url)
        runtime = Runtime(Settings.load())
        try:
            task, _events = await drive(runtime, workspace)
        finally:
            await runtime.aclose()
    assert task.status == TaskStatus.FINISHED and task.end_reason == FINISH_REASON
    base = case_env.fake.base_url.rstrip("/").rsplit("/", 1)[0]  # scheme, host and port
    through = [url for url in proxy.forwarded if url.startswith(base)]
    assert case_env.fake.requests and len(through) >= len(case_env.fake.requests), proxy.forwarded
