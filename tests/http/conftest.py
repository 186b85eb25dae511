"""Agent Protocol fixtures: the server as a real subprocess over the loopback fake OpenAI server."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from apclient import Server


@pytest.fixture
def server_env(agent_env: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in agent_env.items() if not k.startswith("AP_")}


@pytest.fixture
def start_server(server_env: dict[str, str], tmp_path: Path) -> Iterator[Callable[..., Server]]:
    """Start `autogpt-ls serve` (more than one, or again after a stop); every one is stopped at teardown."""
    started: list[Server] = []

    def start(*args: str, env: dict[str, str] | None = None) -> Server:
        server = Server(env or server_env, tmp_path / "serve.stderr", *args)
        started.append(server)
        return server

    yield start
    with contextlib.ExitStack() as stopping:  # all are stopped even if one fails its stop (non-zero exit)
        for server in started:
            stopping.callback(server.stop)


@pytest.fixture
def server(start_server: Callable[..., Server]) -> Server:
    return start_server()
