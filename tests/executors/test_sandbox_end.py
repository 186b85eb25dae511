"""A task's end removes its sandbox container whichever process made it, and asks the engine nothing when the task
never had one: a command step's claim stores the task's shell state with it (agent/loop), so a task stored
without one never ran a command anywhere (the hot path of bench/ap_scale.py: every task's last step)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from engine_proxy import engine_proxy
from sandbox_helpers import IMAGE, sandbox_runtime, task_containers

from autogpt_ls.agent.driver import Pending, interact
from autogpt_ls.agent.runtime import Runtime
from autogpt_ls.executors.docker import DockerExecutor
from autogpt_ls.models import Decision, DecisionKind
from autogpt_ls.task_models import SavedShell, TaskStatus
from autogpt_ls.workspace import Workspace
from fakes.openai_server import FakeOpenAI, tool_call

APPROVE = Decision(kind=DecisionKind.APPROVE)
FINISH = tool_call("finish", {"reason": "done"})


async def approve(_step: object) -> Decision:
    return APPROVE


@pytest.fixture
async def runtime(docker_client: object, fake: FakeOpenAI, data_dir: Path) -> AsyncIterator[Runtime]:
    async with sandbox_runtime(fake, data_dir) as rt:
        yield rt


async def test_a_task_that_never_ran_a_command_ends_without_an_engine_request(
    runtime: Runtime, fake: FakeOpenAI, workspace: Path, docker_client: object
) -> None:
    fake.script(FINISH, tool_call("execute_shell", {"command_line": "true"}), FINISH)
    with engine_proxy() as proxy:
        idle = await runtime.new_task("nothing to run", workspace)
        async with runtime.driving(idle.id) as driver:
            assert (await interact(driver, approve)).status == TaskStatus.FINISHED
        assert proxy.requests() == []

        ran = await runtime.new_task("run one command", workspace)  # the same end, after a command, does ask
        async with runtime.driving(ran.id) as driver:
            assert (await interact(driver, approve)).status == TaskStatus.FINISHED
        asked = proxy.requests()
    assert any(r.startswith("DELETE /containers/") for r in asked), asked
    assert task_containers(docker_client, ran.id) == []


async def test_a_container_whose_command_was_claimed_elsewhere_goes_with_the_task_ended_here(
    runtime: Runtime, fake: FakeOpenAI, workspace: Path, docker_client: object
) -> None:
    fake.script(tool_call("execute_shell", {"command_line": "touch started; sleep 1"}))
    task = await runtime.new_task("run one command", workspace)
    async with runtime.driving(task.id) as driver:
        pending = await driver.advance()
        assert isinstance(pending, Pending)
        running = asyncio.ensure_future(driver.agent.decide(pending.step, APPROVE))  # the step alone, no next one
        while not (workspace / "started").exists():
            await asyncio.sleep(0.05)
        claimed = await runtime.store.get_task(task.id)  # as a process that died during the command left it
        assert claimed is not None and claimed.state.shell == SavedShell()
        await running
    [container] = task_containers(docker_client, task.id)

    # Another process, which never ran a command of the task, ends it from that stored state.
    ender = DockerExecutor(Workspace(task.workspace), task_id=task.id, image=IMAGE)
    ender.resume(claimed.state.shell)
    await ender.close()
    assert task_containers(docker_client, task.id) == [], container
