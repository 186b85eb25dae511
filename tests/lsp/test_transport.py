"""`--tcp`, the token rule off loopback, and a command's output streaming with its progress."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from lsp_client import _plain, next_progress
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pygls.lsp.client import LanguageClient

from fakes.openai_server import FakeOpenAI, tool_call


@pytest.fixture
def lsp_env(agent_env: dict[str, str]) -> dict[str, str]:
    return agent_env | {"EXECUTE_LOCAL_COMMANDS": "True"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def connect(port: int, host: str = "127.0.0.1") -> LanguageClient:
    client = LanguageClient("test", "0")
    for _ in range(100):  # the server needs a moment to bind; wait on its socket, not a fixed sleep
        try:
            await client.start_tcp(host, port)
            return client
        except OSError:
            await asyncio.sleep(0.05)
    raise AssertionError("the server never listened")


# any address of 127.0.0.0/8 is loopback, for `serve` too (tests/http/test_ap_protocol.py)
@pytest.mark.parametrize(("host", "token"), [("127.0.0.1", None), ("127.0.0.1", "s3cret-token"), ("127.0.0.2", None)])
async def test_tcp_on_loopback(agent_env: dict[str, str], host: str, token: str | None) -> None:
    port = free_port()
    env = agent_env | ({"LSP_SERVER_TOKEN": token} if token else {})
    server = subprocess.Popen([sys.executable, "-m", "autogpt_ls", "lsp", "--tcp", f"{host}:{port}"], env=env)
    try:
        client = await connect(port, host)
        await client.initialize_async(types.InitializeParams(capabilities=types.ClientCapabilities()))
        if token:
            with pytest.raises(JsonRpcException, match="unauthorized"):
                await client.protocol.send_request_async("agent/listTasks", {})
        else:
            assert _plain(await client.protocol.send_request_async("agent/listTasks", {})) == {"tasks": []}
        await client.shutdown_async(None)
        client.exit(None)
        await client.stop()
    finally:
        server.kill()
        server.wait()


def test_tcp_off_loopback_needs_a_token(agent_env: dict[str, str]) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "autogpt_ls", "lsp", "--tcp", "0.0.0.0:1"],
        env=agent_env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert run.returncode == 2
    assert "needs LSP_SERVER_TOKEN" in run.stderr


async def test_command_output_streams_with_progress(lsp: Any, fake: FakeOpenAI, workspace: Path) -> None:
    client, inbox = lsp
    fake.script(
        tool_call("execute_shell", {"command_line": "echo one; echo two"}), tool_call("finish", {"reason": "ok"})
    )
    await client.protocol.send_request_async("agent/run", {"goal": "Echo"})
    proposal = await inbox.next("agent/proposal")
    assert proposal["kind"] == "command"
    assert proposal["command"]["command"] == "echo one; echo two"
    await client.protocol.send_request_async(
        "agent/approveStep", {"taskId": proposal["taskId"], "stepId": proposal["stepId"]}
    )
    output = ""
    while "two" not in output:
        output += (await inbox.next("agent/commandOutput"))["text"]
    assert output == "one\ntwo\n"
    completed = await inbox.next("agent/stepCompleted")
    assert completed["step"]["result"]["output"] == "Exit code: 0\none\ntwo\n"
    caps = client.capabilities
    if caps and caps.window and caps.window.work_done_progress:
        token = f"run-{proposal['stepId']}"
        while not [r for r in client.progress_reports.get(token, []) if r.kind == "end"]:
            await next_progress(client)
        assert [r.kind for r in client.progress_reports[token]] == ["begin", "end"]
