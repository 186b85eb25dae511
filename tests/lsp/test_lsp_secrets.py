"""The key never leaves the language server: a full task over LSP (a command that prints the environment, a read,
a write, finish), then the key looked for in everything the editor was sent, every request the LLM got, the data
folder and the commands' environment."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from lsp_client import _plain

from fakes.openai_server import FakeOpenAI, tool_call
from leaks import LEAKY_COMMAND, assert_commands_did_not_get_it, assert_key_nowhere


@pytest.fixture
def lsp_env(agent_env: dict[str, str]) -> dict[str, str]:
    return agent_env | {"EXECUTE_LOCAL_COMMANDS": "True"}


def everything_received(client: Any, inbox: Any) -> str:
    """Every notification, edit, diagnostic and log message the editor got, as one text."""
    notes = [_plain(q.get_nowait()) for q in inbox.queues.values() for _ in range(q.qsize())]
    logs = [m.message for m in client.log_messages]
    diagnostics = {k: [d.message for d in v] for k, v in client.diagnostics.items()}
    edits = [client.protocol._converter.unstructure(e) for e in inbox.applied]
    return json.dumps([notes, logs, diagnostics, edits], default=str)


async def test_a_task_over_lsp_leaks_the_key_nowhere(
    lsp: Any, fake: FakeOpenAI, workspace: Path, data_dir: Path
) -> None:
    client, inbox = lsp
    fake.script(
        tool_call("execute_shell", {"command_line": LEAKY_COMMAND}),
        tool_call("read_file", {"filename": "envdump.txt"}),
        tool_call("write_file", {"filename": "report.txt", "contents": "checked\n"}),
        tool_call("finish", {"reason": "done"}),
    )
    started = _plain(await client.protocol.send_request_async("agent/run", {"goal": "Look at the environment"}))
    first = await inbox.next("agent/proposal")
    assert first["taskId"] == started["taskId"]
    ids = {"taskId": first["taskId"], "stepId": first["stepId"], "times": 4}
    await client.protocol.send_request_async("agent/approveStep", ids)
    assert (await inbox.next("agent/taskEnded"))["status"] == "finished"
    assert (workspace / "report.txt").read_text() == "checked\n"
    assert "PATH=" in json.dumps(fake.requests[1])  # the command ran and its output reached the LLM
    assert_key_nowhere(fake.requests, data_dir, everything_received(client, inbox))
    assert_commands_did_not_get_it(workspace)
