"""The core in-process, as the LSP and HTTP front ends will use it: think / decide, events, conflicts."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from autogpt_ls.agent.events import Event, ProposalMade, TaskEnded
from autogpt_ls.agent.loop import StepConflict
from autogpt_ls.agent.runtime import Runtime
from autogpt_ls.models import Decision, DecisionKind, StepStatus, TaskStatus
from autogpt_ls.settings import Settings
from autogpt_ls.tools.base import CommandPreview, FileChange
from fakes.openai_server import FakeOpenAI, tool_call


@pytest.fixture
async def runtime(fake: FakeOpenAI, data_dir: Path) -> AsyncIterator[Runtime]:
    settings = Settings(
        openai_base_url=fake.base_url, smart_llm="openai/gpt-4o-mini", data_dir=data_dir, execute_local_commands=True
    )
    rt = Runtime(settings)
    yield rt
    await rt.aclose()


async def test_two_front_ends_approving_one_step_run_it_once(
    runtime: Runtime, fake: FakeOpenAI, workspace: Path
) -> None:
    fake.script(tool_call("execute_shell", {"command_line": "echo ran >> count.txt"}))
    task = runtime.new_task("count", workspace)
    editor = runtime.agent(task)
    other_runtime = Runtime(runtime.settings)  # another front end, e.g. the HTTP server in another process
    http = other_runtime.agent(other_runtime.store.get_task(task.id))  # type: ignore[arg-type]
    step = await editor.think()
    assert step.status == StepStatus.AWAITING
    approve = Decision(kind=DecisionKind.APPROVE)
    results = await asyncio.gather(
        editor.decide(step.model_copy(deep=True), approve),
        http.decide(step.model_copy(deep=True), approve),
        return_exceptions=True,
    )
    assert sum(isinstance(r, StepConflict) for r in results) == 1
    assert (workspace / "count.txt").read_text() == "ran\n"
    with pytest.raises(StepConflict):
        await editor.decide(step, approve)
    await other_runtime.aclose()


async def test_events_carry_previews_and_the_end(runtime: Runtime, fake: FakeOpenAI, workspace: Path) -> None:
    (workspace / "a.txt").write_text("old\n")
    fake.script(
        tool_call("write_file", {"filename": "a.txt", "contents": "new\n"}),
        tool_call("execute_shell", {"command_line": "cat a.txt"}),
        tool_call("finish", {"reason": "done"}),
    )
    events: list[Event] = []
    task = runtime.new_task("edit", workspace)

    async def approve(_step: object) -> Decision:
        return Decision(kind=DecisionKind.APPROVE)

    runtime.subscribe(events.append)
    ended = await runtime.drive(task, approve)
    assert ended.status == TaskStatus.FINISHED and ended.end_reason == "done"
    previews = [e.preview for e in events if isinstance(e, ProposalMade)]
    assert isinstance(previews[0], FileChange) and (previews[0].before, previews[0].after) == ("old\n", "new\n")
    assert isinstance(previews[1], CommandPreview) and previews[1].command == "cat a.txt"
    assert isinstance(events[-1], TaskEnded)
    outputs = "".join(e.text for e in events if e.type == "command_output")
    assert outputs == "new\n"
    artifacts = runtime.store.list_artifacts(task.id)
    assert [a.relative_path for a in artifacts] == ["a.txt"]
