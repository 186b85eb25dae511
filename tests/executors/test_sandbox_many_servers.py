"""Two `autogpt-ls serve` processes on one store drive a task's sandbox in turn: the second adopts the container
the first started (one throughout) and its shell goes on in the folder and with the variables the first left; a
server started after both stopped restores them from the store; the task's end removes the container."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from sandbox_helpers import task_containers

from fakes.openai_server import FakeOpenAI, tool_call

sys.path.insert(0, str(Path(__file__).parents[1] / "http"))
from apclient import Server

pytestmark = pytest.mark.each_store


def shell(line: str):  # type: ignore[no-untyped-def]
    return tool_call("execute_shell", {"command_line": line})


def observation(fake: FakeOpenAI, request: int) -> str:
    """What the agent was told of the command before the LLM request `request` (0-based)."""
    return str(fake.requests[request]["messages"][-1]["content"])


def test_servers_take_turns_in_one_container_and_a_restart_keeps_the_shell_state(
    docker_client: object, fake: FakeOpenAI, agent_env: dict[str, str], tmp_path: Path, data_dir: Path
) -> None:
    fake.script(
        shell("mkdir -p sub && cd sub && export X=1"),
        shell("pwd; echo $X; export Y=2"),
        shell("pwd; echo $X $Y"),
        tool_call("finish", {"reason": "done"}),
    )
    env = agent_env | {"EXECUTOR": "docker"}
    servers = [Server(env, tmp_path / "serve.stderr"), Server(env, tmp_path / "serve.stderr")]
    one, two = servers
    try:
        task_id = one.api.create("Move into a folder and remember a variable")
        sub = data_dir / "workspaces" / task_id / "sub"
        one.api.step(task_id)  # proposes the first command
        one.api.step(task_id)  # runs it on the first server, in the container it starts
        [container] = task_containers(docker_client, task_id)
        two.api.step(task_id)  # runs the second on the other server: it adopts that container
        assert observation(fake, 2) == f"Exit code: 0\n{sub}\n1\n"
        assert [c.id for c in task_containers(docker_client, task_id)] == [container.id]  # type: ignore[attr-defined]
        one.stop()
        two.stop()  # it drove the container last: it removes it; the task and its shell state live on
        assert task_containers(docker_client, task_id) == []

        three = Server(env, tmp_path / "serve.stderr")
        servers.append(three)
        three.api.step(task_id)  # runs the third command in a new container, with the stored state
        assert observation(fake, 3) == f"Exit code: 0\n{sub}\n1 2\n"
        assert len(task_containers(docker_client, task_id)) == 1
        assert three.api.step(task_id)["is_last"] is True
        assert task_containers(docker_client, task_id) == []  # removed when the task finished
    finally:
        for server in servers:
            server.stop()
