"""The devcontainer executor as the front ends choose it: `--executor devcontainer`, `auto`, the Agent Protocol."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Literal

import pytest
from dc_helpers import devcontainers

from autogpt_ls.agent.runtime import Runtime
from autogpt_ls.settings import ConfigError, Settings
from fakes.openai_server import FakeOpenAI, tool_call

sys.path.insert(0, str(Path(__file__).parents[1] / "cli"))
sys.path.insert(0, str(Path(__file__).parents[1] / "http"))
from apclient import Server
from test_run import FINISH, last_observation

pytestmark = pytest.mark.timeout(600)


def test_a_goal_runs_its_commands_in_the_devcontainer(
    cli, fake: FakeOpenAI, dev_workspace: Path, agent_env: dict[str, str], docker_client: object
) -> None:
    script = "import os; print(os.getcwd(), os.environ['MARKER_ENV'])"
    fake.script(
        tool_call("execute_shell", {"command_line": "dc-marker"}),
        tool_call("write_file", {"filename": "sub/where.py", "contents": script}),
        tool_call("execute_python_file", {"filename": "sub/where.py"}),
        FINISH,
    )
    run = cli("Run the marker", "--workspace", str(dev_workspace), "--executor", "devcontainer", answers="y\n" * 4)
    assert run.code == 0, run.out + run.err
    folder = f"/workspaces/{dev_workspace.name}"
    assert f'runs in the devcontainer "autogpt-ls-test" ({folder})' in run.out
    assert "approving this also approves the devcontainer's first start" in run.out  # asked once, with the command
    assert last_observation(fake.requests[1]).endswith("\nmarker says from-containerEnv\n")
    assert last_observation(fake.requests[3]) == f"Exit code: 0\n{folder} from-containerEnv\n"  # mapped path
    [container] = devcontainers(docker_client, dev_workspace)
    assert container.status == "running"  # the workspace's: left for the next task and the editor

    fake.script(tool_call("execute_shell", {"command_line": "cat .created"}), FINISH)
    again = cli("Again", "--workspace", str(dev_workspace), "--executor", "devcontainer", answers="y\n" * 2)
    assert again.code == 0, again.out + again.err
    assert "first start" not in again.out  # the same configuration: not asked again
    assert last_observation(fake.requests[-1]).endswith("\ncreated\n")  # the same container: created once
    assert [c.id for c in devcontainers(docker_client, dev_workspace)] == [container.id]


def _settings(fake: FakeOpenAI, data_dir: Path, executor: Literal["auto", "docker"]) -> Settings:
    return Settings(openai_base_url=fake.base_url, smart_llm="openai/gpt-4o-mini", data_dir=data_dir, executor=executor)


async def test_auto_chooses_per_workspace(
    fake: FakeOpenAI, data_dir: Path, dev_workspace: Path, workspace: Path
) -> None:
    runtime = Runtime(_settings(fake, data_dir, "auto"))
    try:
        with_config = await runtime.new_task("goal", dev_workspace)
        without = await runtime.new_task("goal", workspace)
        assert (with_config.config.executor, without.config.executor) == ("devcontainer", "docker")
        (dev_workspace / ".devcontainer").rename(dev_workspace / "elsewhere")
        (dev_workspace / ".devcontainer.json").write_text("{}")  # the other place the CLI looks
        assert (await runtime.new_task("goal", dev_workspace)).config.executor == "devcontainer"
        with pytest.raises(ConfigError, match=r"devcontainer\.json"):
            await runtime.new_task("goal", workspace, executor="devcontainer")
    finally:
        await runtime.aclose()


async def test_the_agent_protocol_takes_the_executor_in_additional_input(
    fake: FakeOpenAI, agent_env: dict[str, str], data_dir: Path, tmp_path: Path
) -> None:
    server = Server(agent_env, tmp_path / "serve.stderr")
    try:
        body = {"input": "goal", "additional_input": {"executor": "devcontainer"}}
        task_id = server.api.ok("POST", "/agent/tasks", body)["task_id"]
        bad = server.api.post("/agent/tasks", {"input": "goal", "additional_input": {"executor": "vm"}})
        assert bad.status == 422 and "additional_input.executor" in bad.body["message"]
    finally:
        server.stop()
    runtime = Runtime(_settings(fake, data_dir, "docker"))
    try:
        task = await runtime.store.get_task(task_id)
        assert task is not None and task.config.executor == "devcontainer"  # recorded with the task
    finally:
        await runtime.aclose()
