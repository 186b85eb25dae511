"""Two `autogpt-ls serve` processes on one PostgreSQL database: a task's steps may be posted to either (the lease
moves with the request), a step posted to both at once runs once, the other request refused with a 409, and a
killed server's task is taken over by the other without running the interrupted step again."""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from apclient import Answer, Server

from fakes.openai_server import FakeOpenAI, tool_call

pytestmark = pytest.mark.parametrize("store_url", ["postgres"], indirect=True)

GOAL = "Write the word 'Washington' to a .txt file"
FINISH = tool_call("finish", {"reason": "done"})
# The command notes that it ran, then waits for the test's go: the server that runs it holds the lease until then.
COMMAND = "echo ran >> count.txt; until [ -e go ]; do sleep 0.05; done"


def command_proposed(
    start_server: Callable[..., Server], server_env: dict[str, str], fake: FakeOpenAI
) -> tuple[Server, Server, str]:
    """Two servers that run local commands, and a task whose first step, proposed by the first, is COMMAND."""
    env = server_env | {"EXECUTE_LOCAL_COMMANDS": "True"}
    one, two = start_server(env=env), start_server(env=env)
    fake.script(tool_call("execute_shell", {"command_line": COMMAND}), FINISH)
    task_id = one.api.create(GOAL)
    assert one.api.step(task_id)["name"] == "execute_shell"
    return one, two, task_id


def test_a_task_created_on_one_server_steps_on_the_other(
    start_server: Callable[..., Server], fake: FakeOpenAI, data_dir: Path
) -> None:
    one, two = start_server(), start_server()
    fake.script(tool_call("write_file", {"filename": "a.txt", "contents": "Washington\n"}), FINISH)
    task_id = one.api.create(GOAL)
    assert two.api.step(task_id)["name"] == "write_file"  # proposed by the second
    assert one.api.step(task_id)["name"] == "finish"  # approved (and run) by the first
    assert two.api.step(task_id)["is_last"] is True
    assert (data_dir / "workspaces" / task_id / "a.txt").read_text() == "Washington\n"
    assert [s["name"] for s in one.api.ok("GET", f"/agent/tasks/{task_id}/steps")["steps"]] == ["write_file", "finish"]


def test_a_step_posted_to_both_servers_at_once_runs_once(
    start_server: Callable[..., Server], server_env: dict[str, str], fake: FakeOpenAI, data_dir: Path
) -> None:
    one, two, task_id = command_proposed(start_server, server_env, fake)  # both servers get its approval
    answers: queue.Queue[Answer] = queue.Queue()
    start = threading.Barrier(2)

    def approve(server: Server) -> None:
        start.wait()
        answers.put(server.api.post(f"/agent/tasks/{task_id}/steps", {"input": ""}))

    threads = [threading.Thread(target=approve, args=(s,)) for s in (one, two)]
    for thread in threads:
        thread.start()
    refused = answers.get(timeout=60)  # the winner cannot answer before the go
    assert refused.status == 409 and "driven by another process" in refused.body["message"]
    workspace = data_dir / "workspaces" / task_id
    (workspace / "go").touch()
    ran = answers.get(timeout=60)
    for thread in threads:
        thread.join(10)
    assert ran.status == 200 and ran.body["name"] == "finish"
    assert (workspace / "count.txt").read_text() == "ran\n"
    assert two.api.step(task_id)["is_last"] is True and (workspace / "count.txt").read_text() == "ran\n"
    assert len(fake.requests) == 2  # one proposal each: no step was thought or run twice


def test_a_killed_servers_task_is_taken_over_and_its_step_not_run_again(
    start_server: Callable[..., Server], server_env: dict[str, str], fake: FakeOpenAI, data_dir: Path
) -> None:
    one, two, task_id = command_proposed(start_server, server_env, fake)
    workspace = data_dir / "workspaces" / task_id

    def approve() -> None:
        with contextlib.suppress(OSError):  # the server dies under the request
            one.api.post(f"/agent/tasks/{task_id}/steps", {"input": ""})

    approving = threading.Thread(target=approve)
    approving.start()
    while not (workspace / "count.txt").exists():  # the command has started: the first server holds the lease
        approving.join(0.05)
    one.kill()  # SIGKILL: its lease is never released
    approving.join(30)
    (workspace / "go").touch()
    taken = two.api.step(task_id)  # not refused: the lease's process is gone from this host
    assert taken["name"] == "finish" and "interrupted" in taken["output"]
    assert (workspace / "count.txt").read_text() == "ran\n"
