"""A real autogpt-ls language server over stdio, driven by pytest-lsp's client with recorded editor capabilities."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from lsp_client import EDITORS, start_client


@pytest.fixture
def lsp_env(agent_env: dict[str, str]) -> dict[str, str]:
    """The server's environment; a test module overrides this fixture to change settings."""
    return agent_env


@pytest.fixture(params=EDITORS)
async def lsp(request: pytest.FixtureRequest, lsp_env: dict[str, str], workspace: Path) -> AsyncIterator[Any]:
    """(client, inbox) for a server started as an editor would start it."""
    client, inbox = await start_client(lsp_env, workspace, request.param)
    yield client, inbox
    await client.shutdown_session()
    await client.stop()
