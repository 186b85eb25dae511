"""A folder swapped for a symlink out while the agent writes there: nothing lands outside, the task goes on."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from autogpt_ls.agent.runtime import Runtime
from autogpt_ls.models import Decision, DecisionKind, Step, TaskStatus
from autogpt_ls.settings import Settings
from fakes.openai_server import FakeOpenAI, Reply, tool_call
from swapper import STOP, plant, swapper_argv

UNLISTED = "The file was not listed as an artifact"


@pytest.fixture
async def runtime(fake: FakeOpenAI, data_dir: Path) -> AsyncIterator[Runtime]:
    rt = Runtime(
        Settings(openai_base_url=fake.base_url, smart_llm="openai/gpt-4o-mini", data_dir=data_dir, max_steps=None)
    )
    yield rt
    await rt.aclose()


async def approve(_step: Step) -> Decision:
    return Decision(kind=DecisionKind.APPROVE)


async def test_a_write_whose_folder_is_swapped_away_is_an_observation(
    runtime: Runtime, fake: FakeOpenAI, workspace: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    plant(workspace, outside)
    observations: list[str] = []

    def model(request: dict[str, Any]) -> Reply:
        """Writes into race/ until a write's bookkeeping met the swapped folder (or 400 tries), then finishes."""
        observations.append(str(request["messages"][-1]["content"]))
        if UNLISTED in observations[-1] or len(observations) > 400:
            return tool_call("finish", {"reason": "done"})
        if "refused" in observations[-1]:  # the check met the symlink: look around, as a model would (three
            return tool_call("list_folder", {"folder": "."})  # refusals in a row would end the task)
        return tool_call("write_file", {"filename": "race/x.txt", "contents": "written by the agent\n"})

    fake.responder = model
    swapper = subprocess.Popen(swapper_argv(sys.executable, workspace), stdout=subprocess.PIPE, text=True)
    try:
        assert swapper.stdout is not None and swapper.stdout.readline() == "started\n"
        task = await runtime.agent(runtime.new_task("Write race/x.txt", workspace)).run(approve)
    finally:
        (workspace / STOP).touch()
        out, _ = swapper.communicate(timeout=30)
    assert swapper.returncode == 0 and out.startswith("swaps="), out
    assert task.status == TaskStatus.FINISHED, task
    unlisted = [o for o in observations if UNLISTED in o]
    assert unlisted and "leads outside the workspace (through a symlink to" in unlisted[0], observations[-3:]
    assert unlisted[0].startswith("Error: Wrote 21 characters to race/x.txt.")
    assert list(outside.iterdir()) == []
