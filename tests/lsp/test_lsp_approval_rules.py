"""Approval rules over LSP, with their defaults: a read's proposal arrives already approved by its rule (and runs),
a write waits for agent/approveStep, and `pytest; rm -rf ~` waits although `ls` would have run by itself."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_agent_over_lsp import FINISH, request

from fakes.openai_server import FakeOpenAI, tool_call


@pytest.fixture
def lsp_env(agent_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in agent_env.items() if k != "AUTO_APPROVE"}
    return env | {"AUTO_APPROVE_COMMANDS": "pytest,ls", "EXECUTE_LOCAL_COMMANDS": "True", "HOME": str(home)}


async def test_a_read_is_not_asked_a_write_and_a_mixed_line_are(
    lsp: Any, fake: FakeOpenAI, workspace: Path, tmp_path: Path
) -> None:
    client, inbox = lsp
    (workspace / "notes.txt").write_text("the notes\n")
    fake.script(
        tool_call("read_file", {"filename": "notes.txt"}),
        tool_call("execute_shell", {"command_line": "ls"}),
        tool_call("write_file", {"filename": "a.txt", "contents": "Washington\n"}),
        tool_call("execute_shell", {"command_line": "pytest; rm -rf ~"}),
        FINISH,
    )
    await request(client, "agent/run", {"goal": "Write it"})
    read = await inbox.next("agent/proposal")
    assert (read["tool"], read["auto"], read["approvedBy"]) == ("read_file", True, "rule AUTO_APPROVE read_file")
    done = await inbox.next("agent/stepCompleted")
    assert done["step"]["decision"]["source"] == "rule" and done["step"]["result"]["output"] == "the notes\n"
    ls = await inbox.next("agent/proposal")
    assert (ls["auto"], ls["approvedBy"]) == (True, "rule AUTO_APPROVE_COMMANDS ls")
    assert "notes.txt" in (await inbox.next("agent/stepCompleted"))["step"]["result"]["output"]
    write = await inbox.next("agent/proposal")
    assert (write["tool"], write["auto"], write["approvedBy"]) == ("write_file", False, "")
    await request(client, "agent/approveStep", {"taskId": write["taskId"], "stepId": write["stepId"]})
    assert (await inbox.next("agent/stepCompleted"))["step"]["decision"]["source"] == "human"
    danger = await inbox.next("agent/proposal")
    assert (danger["tool"], danger["auto"]) == ("execute_shell", False)
    ids = {"taskId": danger["taskId"], "stepId": danger["stepId"]}
    await request(client, "agent/feedback", {**ids, "text": "do not delete anything"})
    assert (await inbox.next("agent/stepCompleted"))["step"]["status"] == "feedback"
    finish = await inbox.next("agent/proposal")
    assert finish["auto"] is False
    await request(client, "agent/approveStep", {"taskId": finish["taskId"], "stepId": finish["stepId"]})
    assert (await inbox.next("agent/taskEnded"))["status"] == "finished"
    assert (workspace / "a.txt").read_text() == "Washington\n" and (tmp_path / "home").is_dir()
