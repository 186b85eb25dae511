"""One store for every front end: the terminal's (or editor's) tasks are visible over HTTP and the other way
round, and a task driven by another live process refuses HTTP steps with a 409 instead of running twice."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from apclient import Server, read_until

from fakes.openai_server import FakeOpenAI, tool_call

pytestmark = pytest.mark.each_store  # on the SQLite file, and on PostgreSQL

GOAL = "Write the word 'Washington' to a .txt file"
WRITE = tool_call("write_file", {"filename": "answer.txt", "contents": "Washington\n"})
FINISH = tool_call("finish", {"reason": "done"})


def test_a_terminal_task_is_visible_over_http(cli, server: Server, fake: FakeOpenAI, workspace: Path) -> None:  # type: ignore[no-untyped-def]
    fake.script(WRITE, FINISH)
    assert cli(GOAL, answers="y\ny\n").code == 0
    [task] = server.api.ok("GET", "/agent/tasks")["tasks"]
    assert task["input"] == GOAL and task["status"] == "finished"
    assert [a["file_name"] for a in task["artifacts"]] == ["answer.txt"]
    steps = server.api.ok("GET", f"/agent/tasks/{task['task_id']}/steps")["steps"]
    assert [s["name"] for s in steps] == ["write_file", "finish"] and steps[-1]["is_last"] is True
    artifact = task["artifacts"][0]["artifact_id"]
    assert server.api.get(f"/agent/tasks/{task['task_id']}/artifacts/{artifact}").body == b"Washington\n"


def test_a_task_driven_elsewhere_refuses_steps_with_409(
    server: Server, fake: FakeOpenAI, agent_env: dict[str, str]
) -> None:
    api = server.api
    fake.script(WRITE)
    task_id = api.create(GOAL)
    api.step(task_id)  # a proposal is pending
    terminal = subprocess.Popen(
        [sys.executable, "-m", "autogpt_ls", "run", "--resume", task_id],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=agent_env,
    )
    try:
        read_until(terminal, b"Approve?")  # the terminal holds the lease and waits for its human
        refused = api.post(f"/agent/tasks/{task_id}/steps", {"input": ""})
        assert refused.status == 409 and "driven by another process" in refused.body["message"]
        assert api.ok("GET", f"/agent/tasks/{task_id}")["status"] == "running"  # still visible
        fake.script(FINISH)
        _, err = terminal.communicate(b"y\ny\n", timeout=60)
    finally:
        if terminal.poll() is None:
            terminal.kill()
            terminal.wait()
    assert terminal.returncode == 0, err
    assert len(fake.requests) == 2  # the write ran once, in the terminal
    assert api.ok("GET", f"/agent/tasks/{task_id}")["status"] == "finished"
    assert api.post(f"/agent/tasks/{task_id}/steps").status == 409
