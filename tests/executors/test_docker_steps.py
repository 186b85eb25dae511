"""A step-driven front end (the Agent Protocol server) keeps a task's sandbox warm between steps."""

from __future__ import annotations

import sys
from pathlib import Path

from sandbox_helpers import task_containers

from fakes.openai_server import FakeOpenAI, tool_call

sys.path.insert(0, str(Path(__file__).parents[1] / "http"))
from apclient import Server


def shell(line: str):  # type: ignore[no-untyped-def]
    return tool_call("execute_shell", {"command_line": line})


def test_the_sandbox_outlives_steps_and_goes_with_the_task(
    docker_client: object, fake: FakeOpenAI, agent_env: dict[str, str], tmp_path: Path
) -> None:
    fake.script(shell("echo warm > /tmp/mark"), shell("cat /tmp/mark"), tool_call("finish", {"reason": "done"}))
    server = Server(agent_env | {"EXECUTOR": "docker"}, tmp_path / "serve.stderr")
    try:
        task_id = server.api.create("Leave a mark in /tmp and read it back")
        between_steps = []
        for _ in range(10):
            step = server.api.step(task_id)
            if step["is_last"]:
                break
            if len(fake.requests) == 2:  # the first command ran; its container waits for the next step
                between_steps.append(len(task_containers(docker_client, task_id)))
        assert between_steps and set(between_steps) == {1}
        # /tmp is the container's own tmpfs: reading the mark back proves both commands ran in one container.
        assert fake.requests[2]["messages"][-1]["content"] == "Exit code: 0\nwarm\n"
        assert step["is_last"] and task_containers(docker_client, task_id) == []  # removed when the task ended
    finally:
        server.stop()


def test_undo_takes_back_what_a_sandboxed_command_changed(
    docker_client: object, fake: FakeOpenAI, agent_env: dict[str, str], tmp_path: Path, data_dir: Path
) -> None:
    """The checkpoints are taken on the host around the command, whichever executor runs it."""
    finish = tool_call("finish", {"reason": "done"})
    fake.script(shell("echo new > made.txt && rm keep.txt && mkdir d && mv moved.txt d/"), finish, finish)
    server = Server(agent_env | {"EXECUTOR": "docker"}, tmp_path / "serve.stderr")
    try:
        task_id = server.api.create("Rearrange the files")
        folder = data_dir / "workspaces" / task_id
        (folder / "keep.txt").write_text("keep\n")
        (folder / "moved.txt").write_text("moved\n")
        first = server.api.step(task_id)
        ran = server.api.step(task_id)
        assert "Files changed: d/moved.txt, keep.txt, made.txt, moved.txt" in ran["output"]
        assert sorted(str(p.relative_to(folder)) for p in folder.rglob("*")) == ["d", "d/moved.txt", "made.txt"]
        body = {"additional_input": {"rollback_to": first["step_id"]}}
        undone = server.api.ok("POST", f"/agent/tasks/{task_id}/steps", body)
        assert "The user undid step 1" in undone["output"]
        assert sorted(p.name for p in folder.iterdir()) == ["keep.txt", "moved.txt"]
        assert (folder / "moved.txt").read_text() == "moved\n"
    finally:
        server.stop()
