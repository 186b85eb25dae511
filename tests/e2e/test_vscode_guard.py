"""A step the loop guard holds, in a real VS Code (code-server in headless Chromium, the packaged extension, the
real language server, the loopback fake LLM): read_file of the same file three times with nothing changed between
(run, then told, then held); the status bar says it is held, the task view's card shows the reason and Rethink /
Feedback… / Run anyway / Stop, and Rethink there reaches the agent as the server's rethink feedback
(vscode_guard.mjs works the browser)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from vscode_parts import ROOT, code_server, drive, needs_vscode

from fakes.openai_server import FakeOpenAI, tool_call

SHOTS = ROOT / "test-output" / "vscode-guard"
pytestmark = needs_vscode
GOAL, REASON = "Read notes.txt", "notes.txt was read"


@pytest.fixture
def code_server_url(tmp_path: Path, agent_env: dict[str, str], workspace: Path) -> Iterator[str]:
    env = agent_env | {"AUTO_APPROVE": "read_file"}  # the first read runs unasked; the guard holds the third
    with code_server(tmp_path / "code-server", env, workspace, {"autogpt.interpreter": sys.executable}) as url:
        yield url


@pytest.mark.timeout(240)
def test_held_step_offers_the_guards_answers_in_the_task_view(
    code_server_url: str, fake: FakeOpenAI, workspace: Path
) -> None:
    (workspace / "notes.txt").write_text("the notes\n")
    read = tool_call("read_file", {"filename": "notes.txt"})
    fake.script(read, read, read, tool_call("finish", {"reason": REASON}))
    seen = drive("vscode_guard.mjs", {"url": code_server_url, "goal": GOAL, "reason": REASON}, SHOTS, timeout=220)

    assert "read_file" in seen["statusItem"]
    assert "repeating read_file" in seen["guard"] and "notes.txt" in seen["guard"]
    assert seen["buttons"] == ["Rethink", "Feedback…", "Run anyway", "Stop"]
    assert "feedback" in seen["decided"] and seen["finished"] is True
    # the rethink answer reached the agent (the server's rethink text): the request after the held step carries it
    assert len(fake.requests) == 4
    assert "take a different approach" in str(fake.requests[3]["messages"])
    assert "take a different approach" not in str(fake.requests[2]["messages"])
