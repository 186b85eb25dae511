"""The devcontainer executor as the front ends choose it: `--executor devcontainer`, `auto`, the Agent Protocol."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Literal

import pytest
from dc_helpers import DEVCONTAINER, devcontainers, remove_devcontainers

from autogpt_ls.agent.runtime import Runtime
from autogpt_ls.executors.devcontainer import DevcontainerExecutor
from autogpt_ls.settings import ConfigError, Settings
from autogpt_ls.workspace import Workspace
from fakes.openai_server import FakeOpenAI, tool_call

sys.path.insert(0, str(Path(__file__).parents[1] / "cli"))
sys.path.insert(0, str(Path(__file__).parents[1] / "http"))
sys.path.insert(0, str(Path(__file__).parents[1] / "lsp"))
from apclient import Server
from lsp_client import next_progress, start_client
from test_agent_over_lsp import request
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
    run = cli(
        "Run the marker",
        "--workspace",
        str(dev_workspace),
        "--executor",
        "devcontainer",
        answers="y\n" * 4,
        timeout=600,
    )
    assert run.code == 0, run.out + run.err
    folder = f"/workspaces/{dev_workspace.name}"
    assert f'runs in the devcontainer "autogpt-ls-test" ({folder})' in run.out
    assert "approving this also approves the devcontainer's first start" in run.out  # asked once, with the command
    start = f"Starting the devcontainer of {dev_workspace.name}"
    assert f"{start}: devcontainer up: build or reuse..." in run.out  # its progress: begun, and how it ended
    assert re.search(rf"{start}: up in \d+\.\d s\n", run.out), run.out
    assert last_observation(fake.requests[1]).endswith("\nmarker says from-containerEnv\n")
    assert last_observation(fake.requests[3]) == f"Exit code: 0\n{folder} from-containerEnv\n"  # mapped path
    [container] = devcontainers(docker_client, dev_workspace)
    assert container.status == "running"  # the workspace's: left for the next task and the editor

    fake.script(tool_call("execute_shell", {"command_line": "cat .created"}), FINISH)
    again = cli(
        "Again", "--workspace", str(dev_workspace), "--executor", "devcontainer", answers="y\n" * 2, timeout=600
    )
    assert again.code == 0, again.out + again.err
    assert "first start" not in again.out  # the same configuration: not asked again
    assert last_observation(fake.requests[-1]).endswith("\ncreated\n")  # the same container: created once
    assert [c.id for c in devcontainers(docker_client, dev_workspace)] == [container.id]


def test_an_approval_rule_never_approves_a_first_start_unseen(
    cli, fake: FakeOpenAI, dev_workspace: Path, agent_env: dict[str, str], docker_client: object
) -> None:
    """AUTO_APPROVE_COMMANDS lets `dc-marker` run unasked, but its first run would start the devcontainer, whose
    initializeCommand runs on the host: that proposal is asked, and `n` starts nothing."""
    fake.script(tool_call("execute_shell", {"command_line": "dc-marker"}), FINISH)
    env = agent_env | {"AUTO_APPROVE_COMMANDS": "dc-marker"}
    argv = ("Run the marker", "--workspace", str(dev_workspace), "--executor", "devcontainer")
    run = cli(*argv, answers="n\n", env=env, timeout=600)
    assert run.code == 3, run.out + run.err  # stopped at the question
    assert "approving this also approves the devcontainer's first start" in run.out
    assert "approved automatically" not in run.out
    assert devcontainers(docker_client, dev_workspace) == []  # nothing was started


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
    fake: FakeOpenAI, agent_env: dict[str, str], data_dir: Path, tmp_path: Path, devcontainer_cli: list[str]
) -> None:
    server = Server(agent_env, tmp_path / "serve.stderr")
    try:
        body = {"input": "goal", "additional_input": {"executor": "devcontainer"}}
        task_id = server.api.ok("POST", "/agent/tasks", body)["task_id"]
        bad = server.api.post("/agent/tasks", {"input": "goal", "additional_input": {"executor": "vm"}})
        assert bad.status == 422 and "additional_input.executor" in bad.body["message"]
        folder = data_dir / "workspaces" / task_id
        try:
            await _steps_in_the_devcontainer(server, task_id, folder, fake)
        finally:
            remove_devcontainers(folder)
    finally:
        server.stop()
    runtime = Runtime(_settings(fake, data_dir, "docker"))
    try:
        task = await runtime.store.get_task(task_id)
        assert task is not None and task.config.executor == "devcontainer"  # recorded with the task
    finally:
        await runtime.aclose()


async def _steps_in_the_devcontainer(server: Server, task_id: str, folder: Path, fake: FakeOpenAI) -> None:
    """The client uploads the devcontainer.json; the step that runs a command says how the start went."""
    for file in DEVCONTAINER.iterdir():
        assert server.api.upload(task_id, file.name, file.read_bytes(), relative_path=".devcontainer").status == 200
    # Built in this process first: an HTTP request waits 60 s at most, a first build here can take longer.
    assert (await DevcontainerExecutor(Workspace(folder), secrets=[]).run(["true"], timeout=60)).exit_code == 0
    fake.script(tool_call("execute_shell", {"command_line": "dc-marker"}), FINISH)
    proposal = server.api.step(task_id)
    assert proposal["name"] == "execute_shell", proposal
    # Where it runs, and the first start it approves in full, as in the other front ends' proposals
    assert f'The command runs in the devcontainer "autogpt-ls-test" (/workspaces/{task_id})' in proposal["output"]
    assert "first start, which runs:\n.devcontainer/devcontainer.json:" in proposal["output"]
    ran = server.api.step(task_id)  # approves it, and the first start with it
    assert re.search(r"\[devcontainer\] up in \d+\.\d s; commands run in ", ran["output"]), ran["output"]
    assert "marker says from-containerEnv" in ran["output"]


async def test_the_editor_shows_the_start_as_progress(
    fake: FakeOpenAI, agent_env: dict[str, str], dev_workspace: Path, docker_client: object
) -> None:
    client, inbox = await start_client(agent_env | {"EXECUTOR": "devcontainer"}, dev_workspace, "visual-studio-code")
    try:
        fake.script(tool_call("execute_shell", {"command_line": "dc-marker"}), FINISH)
        await request(client, "agent/run", {"goal": "Run the marker"})
        proposal = await inbox.next("agent/proposal")
        await request(client, "agent/approveStep", {"taskId": proposal["taskId"], "stepId": proposal["stepId"]})
        assert "marker says" in (await inbox.next("agent/stepCompleted", timeout=600))["step"]["result"]["output"]
        token = f"prepare-{proposal['stepId']}"
        while not [r for r in client.progress_reports.get(token, []) if r.kind == "end"]:
            await next_progress(client)
        begin, *reports, end = client.progress_reports[token]
        assert begin.kind == "begin" and begin.title == f"Starting the devcontainer of {dev_workspace.name}"
        assert reports[0].message == "devcontainer up: build or reuse"
        assert any(r.message.startswith("Step ") for r in reports)  # the build's own lines, as it goes
        assert re.fullmatch(r"up in \d+\.\d s", end.message)
    finally:
        await client.shutdown_session()
        await client.stop()
