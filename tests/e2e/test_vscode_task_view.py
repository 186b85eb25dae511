"""The task view in a real VS Code (code-server in headless Chromium, the packaged extension, the real language
server, the loopback fake LLM): "AutoGPT: Show Task" opens the webview, the reply streams into it, the plan and
a step card with its tool and cost show, Approve in the webview runs the edit, its diff link opens the diff, a
command approved from its document streams its output into its card, and a step decided elsewhere (the status
bar) loses its buttons; the task row in the AutoGPT view opens it again; with `autogpt.speak` on, the view's
audio element plays the thoughts as the server's espeak-ng said them (vscode_task_view.mjs works the browser)."""

from __future__ import annotations

import dataclasses
import os
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from vscode_parts import ROOT, code_server, drive, needs_vscode

from fakes.openai_server import FakeOpenAI, tool_call

SHOTS = ROOT / "test-output" / "vscode-task-view"  # docs/screenshots/task-view-*.png are copies of these
pytestmark = needs_vscode
SPEAK = not os.environ.get("AUTOGPT_SPEECH_UNAVAILABLE")  # espeak-ng is here: speak mode is on in the view

RUN = {
    "goal": "Greet the world in hello.txt",
    "thoughts": "First a plan: write the greeting, then finish.",
    "plan": ["Write hello.txt", "Finish"],
    "file": "hello.txt",
    "text": "Hello from the task view",
    "cost": "$0.0036",  # 20000 prompt + 1000 completion tokens of gpt-4o-mini
    "reason": "hello.txt greets the world",
    # waits (at most a minute) for the driver to see its first line in the view before it prints the second
    "command": "echo started; for i in $(seq 600); do [ -f release.flag ] && break; sleep 0.1; done; echo finished",
}


@pytest.fixture
def code_server_url(tmp_path: Path, agent_env: dict[str, str], workspace: Path) -> Iterator[str]:
    env = agent_env | {"EXECUTE_LOCAL_COMMANDS": "True"}  # the command runs on this machine, in the workspace
    machine = {"autogpt.interpreter": sys.executable, "autogpt.speak": SPEAK}
    with code_server(tmp_path / "code-server", env, workspace, machine) as url:
        yield url


def _release_when(signal: Path, hold: threading.Event, stop: threading.Event) -> None:
    """Let the held reply finish streaming once the driver saw its first piece in the task view."""
    while not (signal.exists() or stop.wait(0.05)):
        pass
    hold.set()


@pytest.mark.timeout(300)
def test_task_view_streams_shows_cards_and_approves(
    code_server_url: str, fake: FakeOpenAI, workspace: Path, tmp_path: Path
) -> None:
    hold, stop = threading.Event(), threading.Event()
    plan = tool_call("todo", {"add": RUN["plan"]}, thoughts=RUN["thoughts"])
    fake.script(
        dataclasses.replace(plan, hold=hold),  # streams its first word, then waits for the driver to see it
        tool_call(
            "write_file",
            {"filename": RUN["file"], "contents": RUN["text"] + "\n"},
            thoughts="Now the greeting.",
            usage=(20000, 1000),
        ),
        tool_call("execute_shell", {"command_line": RUN["command"]}, thoughts="Check it."),
        tool_call("finish", {"reason": RUN["reason"]}),
    )
    signal = tmp_path / "saw-thinking"
    releaser = threading.Thread(target=_release_when, args=(signal, hold, stop), daemon=True)
    releaser.start()
    config = {"url": code_server_url, "run": RUN, "workspace": str(workspace), "signal": str(signal), "speak": SPEAK}
    try:
        seen = drive("vscode_task_view.mjs", config, SHOTS, timeout=280)
    finally:
        stop.set()
        releaser.join(timeout=5)

    # The reply streamed into the view before its step existed: the first word, not yet the whole thoughts.
    assert seen["thinking"].startswith("#1 thinking") and RUN["thoughts"].split()[0] in seen["thinking"]
    assert RUN["thoughts"] not in seen["thinking"]
    # The plan from the todo step; the pending edit's card with its tool, cost and buttons.
    assert all(item in seen["plan"] for item in RUN["plan"])
    assert "write_file" in seen["pendingCard"] and RUN["cost"] in seen["pendingCard"]
    assert seen["pendingButtons"] == ["Approve", "Reject", "Feedback…", "Ask the agent to critique this"]
    if SPEAK:  # the thoughts, said by the server's espeak-ng, in the view's audio element as Chromium decoded them
        assert seen["speech"]["src"] == "data:audio/wav;base64," and seen["speech"]["duration"] > 1.0, seen["speech"]
        assert seen["speech"]["label"].startswith("thoughts of step #"), seen["speech"]
    # Approved in the webview: written, the card done with its diff link, which opened the diff.
    assert (workspace / RUN["file"]).read_text() == RUN["text"] + "\n"
    assert "approve" in seen["doneCard"] and f"{RUN['file']} (diff)" in seen["doneCard"]
    assert seen["diffTab"] == 1
    # The command, approved from its document: its output streamed into its card, which had no buttons left.
    assert "running" in seen["runningCard"] and seen["runningOutput"].strip() == "started"
    assert seen["runningButtons"] == 0
    assert seen["commandResult"].startswith("ok (exit 0)") and "finished" in seen["commandResult"]
    # finish, approved from the status bar: its card lost its buttons and the task reads finished.
    assert seen["finishButtonsBefore"] == 4 and seen["finishButtonsAfter"] == 0
    assert seen["header"].startswith(RUN["goal"]) and f"finished: {RUN['reason']}" in seen["header"]
    # Opened again from the task's row in the AutoGPT view: the whole transcript, fetched from the server.
    assert seen["reopenedCards"] == 4
