"""Self-feedback from VS Code, end to end in code-server: the CodeLens "Ask the agent to critique this" on a
proposed edit sends agent/selfFeedback; the LLM critiques the proposal, the revised one replaces it on screen, and
only the revised edit runs once approved; the same answer in the status bar's QuickPick revises a waiting `finish`
(vscode_critique.mjs works the workbench)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from vscode_parts import ROOT, code_server, drive, needs_vscode

from fakes.openai_server import FakeOpenAI, content, tool_call

SHOTS = ROOT / "test-output" / "vscode-critique"
pytestmark = needs_vscode
CRITIQUE = "Boston is not the capital asked for: write Washington."
FINISH_CRITIQUE = "Say in the reason that the file was checked."


@pytest.mark.timeout(300)
def test_the_critique_codelens_revises_the_pending_edit(
    tmp_path: Path, agent_env: dict[str, str], workspace: Path, fake: FakeOpenAI
) -> None:
    fake.script(
        tool_call("write_file", {"filename": "capital.txt", "contents": "Boston\n"}, thoughts="Write the answer."),
        content(CRITIQUE),
        tool_call("write_file", {"filename": "capital.txt", "contents": "Washington\n"}, thoughts="Revised."),
        tool_call("finish", {"reason": "capital.txt holds the capital"}),
        content(FINISH_CRITIQUE),
        tool_call("finish", {"reason": "capital.txt holds Washington, checked"}),
    )
    config = {
        "goal": "Write the capital of the United States to capital.txt",
        "file": "capital.txt",
        "first": "Boston",
        "revised": "Washington",
        "reason": "capital.txt holds the capital",
        "revisedReason": "capital.txt holds Washington, checked",
    }
    env = agent_env | {"EXECUTE_LOCAL_COMMANDS": "True"}
    with code_server(tmp_path / "code-server", env, workspace, {"autogpt.interpreter": sys.executable}) as url:
        seen = drive("vscode_critique.mjs", config | {"url": url}, SHOTS, timeout=280)

    assert seen["firstStillShown"] == 0  # the first proposal's diff was withdrawn
    assert (workspace / "capital.txt").read_text() == "Washington\n"  # only the revised edit ran
    review = fake.requests[1]["messages"][-1]["content"]  # the review request named the pending proposal
    assert review.startswith("Before it runs, review your proposed next action critically") and "Boston" in review
    assert CRITIQUE in json.dumps(fake.requests[2]["messages"])  # and the revision read the critique
    # finish, critiqued from the status bar: the review named it, and the revised finish ended the task
    assert "capital.txt holds the capital" in fake.requests[4]["messages"][-1]["content"]
    assert FINISH_CRITIQUE in json.dumps(fake.requests[5]["messages"]) and len(fake.requests) == 6
