"""MCP tools over the Agent Protocol: the user's servers (MCP_CONFIG_FILE) start with `autogpt-ls serve`, one on
stdio (tests/mcp_servers) and one over streamable HTTP (the same server, as the mcp SDK serves it on 127.0.0.1);
their `<server>__<tool>` tools are proposed and approved step by step like every tool, their results reach the
LLM's next request, and a server that fails to start leaves the others working."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from apclient import Server

from fakes.openai_server import FakeOpenAI, tool_call

CALC = Path(__file__).parents[1] / "mcp_servers" / "calc_server.py"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def http_calc(tmp_path: Path) -> Iterator[str]:
    """The calc server over streamable HTTP on a loopback port; its URL once it accepts connections."""
    port = _free_port()
    log = (tmp_path / "calc-http.log").open("wb")
    proc = subprocess.Popen([sys.executable, str(CALC), "http", str(port)], stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, (tmp_path / "calc-http.log").read_text()
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        proc.terminate()
        proc.wait(10)
        log.close()


def _last_observation(request: dict[str, object]) -> str:
    messages = request["messages"]
    assert isinstance(messages, list)
    return str(messages[-1]["content"])


def test_stdio_and_streamable_http_servers_serve_agent_protocol_tasks(
    start_server: Callable[..., Server], server_env: dict[str, str], fake: FakeOpenAI, tmp_path: Path, http_calc: str
) -> None:
    config = tmp_path / "mcp.json"
    servers = {
        "calc": {"command": sys.executable, "args": [str(CALC)]},
        "remote": {"type": "http", "url": http_calc},
        "broken": {"command": str(tmp_path / "missing")},
    }
    config.write_text(json.dumps({"mcpServers": servers}))
    fake.script(
        tool_call("calc__add", {"a": 2, "b": 40}),
        tool_call("remote__add", {"a": 5, "b": 6}),
        tool_call("finish", {"reason": "sums done"}),
    )
    api = start_server(env=server_env | {"MCP_CONFIG_FILE": str(config)}).api
    task_id = api.create("Add numbers with the calculator")
    first = api.step(task_id)
    assert first["additional_output"]["proposal"]["name"] == "calc__add"
    offered = {t["function"]["name"] for t in fake.requests[0]["tools"]}
    assert {"calc__add", "calc__fail", "remote__add", "remote__fail"} <= offered
    assert not any(name.startswith("broken__") for name in offered)
    second = api.step(task_id)  # approves calc__add; remote__add is proposed
    assert second["additional_output"]["proposal"]["name"] == "remote__add"
    assert _last_observation(fake.requests[1]) == "42"
    api.step(task_id)
    assert _last_observation(fake.requests[2]) == "11"
