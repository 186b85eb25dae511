"""The core in-process, as the LSP and HTTP front ends will use it: think / decide, events, conflicts."""

from __future__ import annotations

import asyncio
import dataclasses
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from autogpt_ls.agent.driver import Pending, interact
from autogpt_ls.agent.errors import TaskBusy
from autogpt_ls.agent.events import Event, ProposalMade, TaskEnded
from autogpt_ls.agent.runtime import Runtime
from autogpt_ls.changes import ChangeSet, CommandPreview
from autogpt_ls.models import Decision, DecisionKind, StepStatus
from autogpt_ls.settings import Settings
from autogpt_ls.task_models import TaskStatus
from fakes.openai_server import FakeOpenAI, tool_call


@pytest.fixture
async def runtime(fake: FakeOpenAI, data_dir: Path) -> AsyncIterator[Runtime]:
    settings = Settings(
        openai_base_url=fake.base_url, smart_llm="openai/gpt-4o-mini", data_dir=data_dir, execute_local_commands=True
    )
    rt = Runtime(settings)
    yield rt
    await rt.aclose()


async def test_one_driver_per_task_and_an_approved_step_runs_once(
    runtime: Runtime, fake: FakeOpenAI, workspace: Path
) -> None:
    fake.script(tool_call("execute_shell", {"command_line": "echo ran >> count.txt"}))
    task = await runtime.new_task("count", workspace)
    other_runtime = Runtime(runtime.settings)  # another front end, e.g. the HTTP server in another process
    async with runtime.driving(task.id) as driver:
        pending = await driver.advance()
        assert isinstance(pending, Pending) and pending.step.status == StepStatus.AWAITING
        with pytest.raises(TaskBusy, match="being driven by another process"):
            async with other_runtime.driving(task.id):
                pass
        step, approve = pending.step, Decision(kind=DecisionKind.APPROVE)
        results = await asyncio.gather(
            driver.agent.decide(step.model_copy(deep=True), approve),
            driver.agent.decide(step.model_copy(deep=True), approve),
            return_exceptions=True,
        )
        assert sum(isinstance(r, TaskBusy) for r in results) == 1
        assert (workspace / "count.txt").read_text() == "ran\n"
        with pytest.raises(TaskBusy):
            await driver.agent.decide(step, approve)
    await other_runtime.aclose()


async def test_a_new_workspaces_shadow_repository_is_set_up_while_the_llm_thinks(
    runtime: Runtime, fake: FakeOpenAI, workspace: Path
) -> None:
    """The first write's checkpoint then starts with no `git init` of its own."""
    hold = threading.Event()
    fake.script(dataclasses.replace(tool_call("write_file", {"filename": "a.txt", "contents": "a"}), hold=hold))
    task = await runtime.new_task("write", workspace)
    checkpoints = runtime.wiring.checkpoints(task)
    assert checkpoints is not None and not checkpoints.set_up
    async with runtime.driving(task.id) as driver:
        thinking = asyncio.create_task(driver.advance())
        deadline = time.monotonic() + 10
        while not checkpoints.set_up and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        assert checkpoints.set_up and not thinking.done()  # set up while the reply is still streaming
        hold.set()
        pending = await thinking
        assert isinstance(pending, Pending)
        await driver.advance(Decision(kind=DecisionKind.APPROVE))
    steps = await runtime.store.get_steps(task.id)
    assert steps[0].changes is not None and steps[0].changes.files == ["a.txt"]


async def test_events_carry_previews_and_the_end(runtime: Runtime, fake: FakeOpenAI, workspace: Path) -> None:
    (workspace / "a.txt").write_text("old\n")
    fake.script(
        tool_call("write_file", {"filename": "a.txt", "contents": "new\n"}),
        tool_call("execute_shell", {"command_line": "cat a.txt"}),
        tool_call("finish", {"reason": "done"}),
    )
    events: list[Event] = []
    task = await runtime.new_task("edit", workspace)

    async def approve(_step: object) -> Decision:
        return Decision(kind=DecisionKind.APPROVE)

    runtime.subscribe(events.append)
    async with runtime.driving(task.id) as driver:
        ended = await interact(driver, approve)
    assert ended.status == TaskStatus.FINISHED and ended.end_reason == "done"
    previews = [e.preview for e in events if isinstance(e, ProposalMade)]
    assert isinstance(previews[0], ChangeSet) and [(f.before, f.after) for f in previews[0].files] == [
        ("old\n", "new\n")
    ]
    assert isinstance(previews[1], CommandPreview) and previews[1].command == "cat a.txt"
    assert isinstance(events[-1], TaskEnded)
    outputs = "".join(e.text for e in events if e.type == "command_output")
    assert outputs == "new\n"
    artifacts = await runtime.store.list_artifacts(task.id)
    assert [a.relative_path for a in artifacts] == ["a.txt"]
