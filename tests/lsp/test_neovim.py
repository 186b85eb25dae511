"""Debian's Neovim, headless, its built-in LSP client and no plugin, runs a goal to its end: a file edit approved
by its code action, a shell command and `finish` approved in Neovim's own showMessageRequest prompt; a repeat the
loop guard holds asked there with its reason, and Rethink picked."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from autogpt_ls.agent.decisions import RETHINK_TEXT
from fakes.openai_server import FakeOpenAI, tool_call

DRIVER = Path(__file__).with_name("neovim_drive.lua")


@pytest.fixture
def nvim() -> str:
    reason = os.environ.get("AUTOGPT_NEOVIM_UNAVAILABLE")
    if reason:
        pytest.skip(f"no Neovim here: {reason}")
    found = shutil.which("nvim")
    if found is None:
        pytest.skip("no nvim; ./test.sh installs Debian's neovim (scripts/setup.d/15-neovim.sh)")
    return found


def drive(nvim: str, env: dict[str, str], workspace: Path, tmp_path: Path, goal: str) -> dict[str, Any]:
    """Run neovim_drive.lua on `goal` to the task's end; what the editor was shown."""
    home = tmp_path / "nvim-home"  # Neovim's config, state and logs stay out of the developer's home
    env = env | {f"XDG_{d}_HOME": str(home / d) for d in ("CONFIG", "DATA", "STATE", "CACHE")}
    env |= {
        "EXECUTE_LOCAL_COMMANDS": "True",
        "AUTOGPT_WORKSPACE": str(workspace),
        "AUTOGPT_PYTHON": sys.executable,
        "AUTOGPT_GOAL": goal,
        "NVIM_REPORT": str(tmp_path / "report.json"),
    }
    run = subprocess.run(
        [nvim, "--headless", "-i", "NONE", "-u", str(DRIVER)],
        env=env,
        cwd=workspace,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    report: dict[str, Any] = json.loads((tmp_path / "report.json").read_text())
    assert run.returncode == 0, (report, run.stdout[-2000:], run.stderr[-2000:])
    assert report["errors"] == []
    return report


def test_a_goal_to_its_end_in_stock_neovim(
    nvim: str, agent_env: dict[str, str], fake: FakeOpenAI, workspace: Path, tmp_path: Path
) -> None:
    (workspace / "notes.txt").write_text("title\ncity: Boston\n")
    fake.script(
        tool_call("replace_in_file", {"filename": "notes.txt", "old_text": "Boston", "new_text": "Washington"}),
        tool_call("execute_shell", {"command_line": "grep city notes.txt > city.txt"}),
        tool_call("finish", {"reason": "the capital is fixed"}),
    )
    report = drive(nvim, agent_env, workspace, tmp_path, "Fix the capital")
    assert (workspace / "notes.txt").read_text() == "title\ncity: Washington\n"
    assert (workspace / "city.txt").read_text() == "city: Washington\n"
    assert report["ended"] == f"AutoGPT task {report['task_id']} finished: the capital is fixed"
    assert report["actions"][:2] == ["AutoGPT: Approve edit", "AutoGPT: Approve next 5"]
    command, finish = report["prompts"]
    assert "execute_shell" in command and "grep city notes.txt > city.txt" in command
    assert "finish" in finish and "the capital is fixed" in finish
    assert any("an edit of notes.txt" in m for m in report["messages"])  # 0.7 opens no documents for a server


def test_a_repeat_the_loop_guard_holds_is_asked_with_its_answers_in_stock_neovim(
    nvim: str, agent_env: dict[str, str], fake: FakeOpenAI, workspace: Path, tmp_path: Path
) -> None:
    (workspace / "notes.txt").write_text("the notes\n")
    read = tool_call("read_file", {"filename": "notes.txt"})
    fake.script(read, read, read, tool_call("finish", {"reason": "read once"}))
    report = drive(nvim, agent_env | {"NVIM_PICK": "Approve,Rethink"}, workspace, tmp_path, "Read notes.txt")
    held = [p for p in report["prompts"] if p.startswith("Loop guard: repeating read_file notes.txt.")]
    assert len(held) == 1 and "AutoGPT proposes step 3: read_file" in held[0]
    assert report["ended"] == f"AutoGPT task {report['task_id']} finished: read once"
    assert str(fake.requests[3]["messages"][-1]["content"]).endswith(RETHINK_TEXT)  # Rethink was picked
