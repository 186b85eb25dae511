"""A folder swapped for a symlink out while the agent writes there: nothing lands outside, the task goes on."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from autogpt_ls.agent.driver import interact
from autogpt_ls.agent.runtime import Runtime
from autogpt_ls.models import Decision, DecisionKind, Step
from autogpt_ls.settings import Settings
from autogpt_ls.task_models import TaskStatus
from fakes.openai_server import FakeOpenAI, Reply, tool_call
from swapper import STOP, plant, swapper_argv


@pytest.fixture
async def runtime(fake: FakeOpenAI, data_dir: Path) -> AsyncIterator[Runtime]:
    rt = Runtime(
        Settings(openai_base_url=fake.base_url, smart_llm="openai/gpt-4o-mini", data_dir=data_dir, max_steps=None)
    )
    yield rt
    await rt.aclose()


async def approve(_step: Step) -> Decision:
    return Decision(kind=DecisionKind.APPROVE)


async def test_writes_into_a_folder_swapped_meanwhile_stay_inside_and_the_task_goes_on(
    runtime: Runtime, fake: FakeOpenAI, workspace: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    plant(workspace, outside)
    observations: list[str] = []

    def model(request: dict[str, Any]) -> Reply:
        """Writes into race/ 200 times while it is swapped back and forth, then finishes."""
        observations.append(str(request["messages"][-1]["content"]))
        if len(observations) > 200:
            return tool_call("finish", {"reason": "done"})
        if "refused" in observations[-1]:  # the check met the symlink: look around, as a model would (three
            return tool_call("list_folder", {"folder": "."})  # refusals in a row would end the task)
        return tool_call("write_file", {"filename": "race/x.txt", "contents": "written by the agent\n"})

    fake.responder = model
    swapper = subprocess.Popen(swapper_argv(sys.executable, workspace), stdout=subprocess.PIPE, text=True)
    try:
        assert swapper.stdout is not None and swapper.stdout.readline() == "started\n"
        task_id = (await runtime.new_task("Write race/x.txt", workspace)).id
        async with runtime.driving(task_id) as driver:
            task = await interact(driver, approve)
    finally:
        (workspace / STOP).touch()
        out, _ = swapper.communicate(timeout=30)
    assert swapper.returncode == 0 and out.startswith("swaps="), out
    assert task.status == TaskStatus.FINISHED, task
    assert list(outside.iterdir()) == []
    assert any(o.startswith("Wrote 21 characters to race/x.txt.") for o in observations)
    assert not any("internal error" in o for o in observations)
    # the artifact is the file the write reported (inside the workspace), not its path resolved again later
    assert [a.relative_path for a in await runtime.store.list_artifacts(task.id)] == ["race/x.txt"]
