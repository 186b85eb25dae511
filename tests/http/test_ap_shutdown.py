"""`autogpt-ls serve` stopped by SIGTERM, as systemd, Docker and Kubernetes stop a server: a graceful shutdown that
exits 0. A step in flight finishes if it can within the grace; one that cannot is cut, its task left running with
its lease released, so that another server takes it at once; the sandboxes the server started are removed."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import queue
import signal
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest
from apclient import Answer, Server

from autogpt_ls.http.app import SHUTDOWN_GRACE
from fakes.openai_server import FakeOpenAI, tool_call

GOAL = "Write the word 'Washington' to a .txt file"
WRITE = tool_call("write_file", {"filename": "a.txt", "contents": "Washington\n"})
FINISH = tool_call("finish", {"reason": "done"})


def lease_owner(store_url: str | None, data_dir: Path, task_id: str) -> str | None:
    """The task's lease holder as the store records it (read directly: the API does not show leases)."""
    query = "SELECT lease_owner FROM tasks WHERE id = ?"
    if store_url is None:
        with contextlib.closing(sqlite3.connect(data_dir / "db" / "autogpt-ls.sqlite3")) as db:
            return db.execute(query, (task_id,)).fetchone()[0]  # type: ignore[no-any-return]
    with psycopg.connect(store_url) as db:
        row = db.execute(query.replace("?", "%s"), (task_id,)).fetchone()
        assert row is not None
        return row[0]  # type: ignore[no-any-return]


def post_step(server: Server, task_id: str) -> queue.Queue[Answer | OSError]:
    """Post a step from a thread; its answer (or the connection's error) arrives on the queue."""
    answers: queue.Queue[Answer | OSError] = queue.Queue()

    def post() -> None:
        try:
            answers.put(server.api.post(f"/agent/tasks/{task_id}/steps", {"input": ""}))
        except OSError as e:
            answers.put(e)

    threading.Thread(target=post, daemon=True).start()
    return answers


def terminate(server: Server) -> tuple[int, float]:
    """SIGTERM; the exit code and how long the process took to exit."""
    start = time.monotonic()
    server.proc.send_signal(signal.SIGTERM)
    code = server.proc.wait(SHUTDOWN_GRACE + 15)
    return code, time.monotonic() - start


@pytest.mark.each_store
def test_sigterm_lets_the_step_in_flight_finish_then_exits_0(
    start_server: Callable[..., Server], fake: FakeOpenAI, store_url: str | None, data_dir: Path
) -> None:
    server = start_server()
    fake.script(dataclasses.replace(WRITE, delay=1.0))  # the LLM is still thinking when the signal comes
    task_id = server.api.create(GOAL)
    answers = post_step(server, task_id)
    fake.wait_requests(1)
    code, took = terminate(server)
    answer = answers.get(timeout=10)
    assert isinstance(answer, Answer) and answer.status == 200, answer
    assert answer.body["name"] == "write_file"
    assert code == 0 and took < SHUTDOWN_GRACE
    assert lease_owner(store_url, data_dir, task_id) is None


@pytest.mark.each_store
def test_a_step_cut_by_the_shutdown_leaves_its_task_to_another_server_at_once(
    start_server: Callable[..., Server], fake: FakeOpenAI, store_url: str | None, data_dir: Path
) -> None:
    one = start_server()
    # the first LLM call outlasts the grace; the second server's call gets the next reply at once
    fake.script(dataclasses.replace(WRITE, delay=120), WRITE, FINISH)
    task_id = one.api.create(GOAL)
    answers = post_step(one, task_id)
    fake.wait_requests(1)
    code, took = terminate(one)
    assert code == 0 and SHUTDOWN_GRACE <= took < SHUTDOWN_GRACE + 10
    cut = answers.get(timeout=10)
    assert not isinstance(cut, Answer) or cut.status != 200, cut  # no answer for a step that did not happen
    assert lease_owner(store_url, data_dir, task_id) is None  # released, not left to expire
    two = start_server()
    assert two.api.ok("GET", f"/agent/tasks/{task_id}")["status"] == "running"  # not stopped by the cut
    assert two.api.step(task_id)["name"] == "write_file"  # thought again here
    assert two.api.step(task_id)["name"] == "finish"
    assert (data_dir / "workspaces" / task_id / "a.txt").read_text() == "Washington\n"


def test_sigterm_removes_the_sandboxes_of_running_tasks(start_server: Callable[..., Server], fake: FakeOpenAI) -> None:
    from autogpt_ls.executors.sandbox_container import LABEL, TASK_LABEL, engine_answers

    if os.environ.get("AUTOGPT_DOCKER_UNAVAILABLE") or not engine_answers():
        pytest.skip("no Docker engine answers; ./test.sh starts one (scripts/setup.d/20-docker.sh)")
    import docker

    server = start_server()
    fake.script(tool_call("execute_shell", {"command_line": "echo hello > hi.txt"}), FINISH)
    task = server.api.ok("POST", "/agent/tasks", {"input": GOAL, "additional_input": {"executor": "docker"}})
    task_id = task["task_id"]
    assert server.api.step(task_id)["name"] == "execute_shell"
    assert server.api.step(task_id)["name"] == "finish"  # the command ran; the task goes on, its sandbox warm
    client = docker.from_env()
    try:
        mine = {"label": [LABEL, f"{TASK_LABEL}={task_id}"]}
        assert len(client.containers.list(all=True, filters=mine)) == 1
        code, _ = terminate(server)
        assert code == 0
        assert client.containers.list(all=True, filters=mine) == []
    finally:
        client.close()


def test_the_clients_stop_fails_a_server_that_did_not_exit_0(server_env: dict[str, str], tmp_path: Path) -> None:
    """Server.stop() is what checks that every other test's server stopped gracefully: a crash must fail it."""
    server = Server(server_env, tmp_path / "serve.stderr")
    server.proc.send_signal(signal.SIGKILL)  # a crash, not the test's own Server.kill()
    server.proc.wait()
    with pytest.raises(AssertionError, match="serve exited -9, not 0"):
        server.stop()
