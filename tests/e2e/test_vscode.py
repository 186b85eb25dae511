"""End to end in a real VS Code: code-server in headless Chromium, the packaged extension, the real language
server and the loopback fake LLM (vscode_parts.py starts code-server; vscode_driver.mjs works it)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from vscode_parts import ROOT, code_server, drive, needs_vscode

from fakes.openai_server import FakeOpenAI, tool_call

SHOTS = ROOT / "test-output" / "vscode"
pytestmark = needs_vscode

RUNS = {
    "approve": {
        "goal": "Write the word Washington to capital.txt",
        "file": "capital.txt",
        "text": "Washington",
        "openFile": "notes.md",
        "typed": "focus stays here",
    },
    "reject": {
        "goal": "Write Paris to city.txt",
        "file": "city.txt",
        "text": "Paris",
        "feedback": "Not Paris: use Rome, and put it in rome.txt",
    },
    "command": {
        "goal": "Leave a mark with a shell command",
        "file": "shell.txt",
        "text": "echo ran-by-autogpt > shell.txt && cat shell.txt",
        "output": "ran-by-autogpt",
        "reason": "the command wrote shell.txt",
        "afterUndo": "the user took the command back",
    },
}


@pytest.fixture
def code_server_url(tmp_path: Path, agent_env: dict[str, str], workspace: Path) -> Iterator[str]:
    """code-server whose extension runs the server from this test's Python (autogpt.interpreter)."""
    env = agent_env | {"EXECUTE_LOCAL_COMMANDS": "True"}  # commands run on this machine, in the test's workspace
    with code_server(tmp_path / "code-server", env, workspace, {"autogpt.interpreter": sys.executable}) as url:
        yield url


@pytest.mark.timeout(300)
def test_run_approve_reject_with_feedback_then_approve_a_command(
    code_server_url: str, fake: FakeOpenAI, workspace: Path
) -> None:
    (workspace / "notes.md").write_text("# notes\n")
    fake.script(
        tool_call("write_file", {"filename": "capital.txt", "contents": "Washington\n"}, thoughts="Write the answer."),
        tool_call("finish", {"reason": "capital.txt holds the answer"}),
        tool_call("write_file", {"filename": "city.txt", "contents": "Paris\n"}, thoughts="Write the city."),
        tool_call("finish", {"reason": "the user wants something else"}),
        tool_call("execute_shell", {"command_line": RUNS["command"]["text"]}, thoughts="Run it."),
        tool_call("finish", {"reason": RUNS["command"]["reason"]}),  # discarded by the undo
        tool_call("finish", {"reason": RUNS["command"]["afterUndo"]}),
    )
    config = {"url": code_server_url, "runs": RUNS, "workspace": str(workspace)}
    seen = drive("vscode_driver.mjs", config, SHOTS, timeout=280)

    # Run 1: the active file was offered as context and sent; approved, written to disk; the diff never took the
    # focus from notes.md.
    assert seen["contextOffered"] == ["Active file: notes.md"]
    assert "The file open in the user's editor: notes.md" in json.dumps(fake.requests[0]["messages"])
    assert (workspace / "capital.txt").read_text() == "Washington\n"
    assert seen["typedInto"] == 1
    rows = "\n".join(seen["approveRows"])
    assert RUNS["approve"]["goal"] in rows and "#1 write_file" in rows and "approve → done" in rows

    # Run 2: rejected with feedback: nothing written, and the LLM read the feedback.
    assert not (workspace / "city.txt").exists()
    assert RUNS["reject"]["feedback"] in json.dumps(fake.requests[3]["messages"])  # the call after the rejection
    rows = "\n".join(seen["rejectRows"])
    assert f"feedback: {RUNS['reject']['feedback']}" in rows
    assert "AutoGPT" in seen["statusBar"]

    # Run 3: the command's full text and where it runs were on show, and nothing ran before the approval.
    shown = seen["commandText"].replace("\u00a0", " ")
    assert RUNS["command"]["text"] in shown and "on this machine" in shown
    assert seen["ranBeforeApproval"] is False
    # undone from its step's row: the file it wrote is gone, the LLM was told and proposed again
    assert seen["fileAfterUndo"] is False and not (workspace / "shell.txt").exists()
    assert "undid step 1" in json.dumps(fake.requests[-1]["messages"])
    assert RUNS["command"]["output"] in "\n".join(seen["commandRows"])
    # the file the command wrote is listed on its step; its row opened the diff against the checkpoint before the
    # step (the file did not exist then) and the one after it (the file is gone now)
    assert any(row.startswith("shell.txt") for row in seen["commandRows"])
    diff = seen["commandDiff"]
    assert (diff["tabs"], diff["before"].strip(), diff["after"].strip()) == (1, "", "ran-by-autogpt")
