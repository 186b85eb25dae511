"""A staged command's change set, end to end in code-server with the real Docker engine: the user's settings pick
the sandbox and staging; an approved command runs on a copy-on-write view of the workspace, and its three file
changes come back as one multi-file diff editor. Approved, they land on disk; rejected, the disk is untouched
(vscode_change_set.mjs works the workbench)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from vscode_parts import ROOT, code_server, drive, needs_vscode

from autogpt_ls.executors.sandbox_container import engine_answers
from fakes.openai_server import FakeOpenAI, tool_call

SHOTS = ROOT / "test-output" / "vscode-change-set"
IMAGE = os.environ.get("SANDBOX_IMAGE", "autogpt-ls-sandbox:1")
REASON = "the files are changed"
RUNS = [
    {
        "name": "approve",
        "goal": "Change the files",
        "command": "echo changed > notes.txt; echo fresh > new.txt; rm old.txt",
        "files": ["notes.txt", "new.txt", "old.txt"],
        "after": {"notes.txt": "changed", "new.txt": "fresh", "old.txt": ""},  # old.txt deleted: nothing after
        "answer": "Approve",
        "reason": REASON,
    },
    {
        "name": "reject",
        "goal": "Change them again",
        "command": "echo rejected > notes.txt; echo rejected > new.txt; rm spare.txt",
        "files": ["notes.txt", "new.txt", "spare.txt"],
        "after": {"notes.txt": "rejected", "new.txt": "rejected", "spare.txt": ""},
        "answer": "Reject",
    },
]
pytestmark = needs_vscode


@pytest.mark.timeout(400)  # two staged commands, each a container of its own (vfs storage copies the image)
def test_a_staged_change_set_shows_as_one_multi_file_diff_approved_then_rejected(
    tmp_path: Path, agent_env: dict[str, str], workspace: Path, fake: FakeOpenAI
) -> None:
    if os.environ.get("AUTOGPT_DOCKER_UNAVAILABLE") or not engine_answers():
        pytest.skip("no Docker engine answers; ./test.sh installs and starts one (scripts/setup.d/20-docker.sh)")
    for name in ("notes", "old", "spare"):
        (workspace / f"{name}.txt").write_text(f"{name}\n")
    approved, rejected = (tool_call("execute_shell", {"command_line": run["command"]}) for run in RUNS)
    fake.script(approved, tool_call("finish", {"reason": REASON}), rejected)
    # the user's settings choose the sandbox and staging, as a user would (machine scope: read from user settings)
    machine = {"autogpt.interpreter": sys.executable, "autogpt.executor": "docker", "autogpt.stageChanges": True}
    with code_server(tmp_path / "code-server", agent_env | {"SANDBOX_IMAGE": IMAGE}, workspace, machine) as url:
        seen = drive("vscode_change_set.mjs", {"url": url, "runs": RUNS}, SHOTS, timeout=380)

    for run in RUNS:  # one tab for the whole change set, with a header naming each file, the proposed text beside
        shown = seen[run["name"]]
        assert shown["tabs"] == 1
        assert sorted(h.split("\n")[0] for h in shown["headers"]) == sorted(run["files"])
        after = {file: text.replace("\u00a0", " ").strip() for file, text in shown["entries"].items()}
        assert after == run["after"]
    # run 1's change set landed whole; run 2's rejected one left the disk as run 1 made it
    assert (workspace / "notes.txt").read_text() == "changed\n"
    assert (workspace / "new.txt").read_text() == "fresh\n"
    assert not (workspace / "old.txt").exists()
    assert (workspace / "spare.txt").read_text() == "spare\n"
    assert len(fake.requests) == 3  # the rejection without feedback stopped the task: no further call
