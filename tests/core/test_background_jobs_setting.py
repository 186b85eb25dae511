"""ALLOW_BACKGROUND_JOBS: fixed in the task's config when it is created (a task resumed after the setting changed
keeps it), told to the agent in its prompt, and honoured by the executor: allowed, a process a command left runs
on, listed, until the task ends; otherwise it ends with its command."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from autogpt_ls.agent.driver import interact
from autogpt_ls.agent.prompt import BACKGROUND_JOBS, NO_BACKGROUND_JOBS
from autogpt_ls.agent.runtime import Runtime
from autogpt_ls.models import Decision, DecisionKind
from autogpt_ls.settings import Settings
from autogpt_ls.task_models import TaskStatus
from fakes.openai_server import FakeOpenAI, tool_call

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="commands are tracked with Linux's subreapers")

# A daemon in a session of its own; the command returns once it runs (it tells its pid through a FIFO).
START = "mkfifo ready; setsid sh -c 'echo $$ >ready; exec sleep 1000' & read pid <ready; echo $pid >pid"
CHECK = "grep -qs '^State:.[^Z]' /proc/$(cat pid)/status && echo running || echo gone"


async def approve(_step: object) -> Decision:
    return Decision(kind=DecisionKind.APPROVE)


def settings(fake: FakeOpenAI, data_dir: Path, allowed: bool) -> Settings:
    return Settings(
        openai_base_url=fake.base_url,
        smart_llm="openai/gpt-4o-mini",
        data_dir=data_dir,
        executor="local",
        execute_local_commands=True,
        allow_background_jobs=allowed,
    )


@pytest.mark.parametrize("allowed", [True, False])
async def test_a_task_keeps_the_setting_it_was_created_with(
    fake: FakeOpenAI, data_dir: Path, workspace: Path, allowed: bool
) -> None:
    creator = Runtime(settings(fake, data_dir, allowed))
    task_id = (await creator.new_task("keep a server running", workspace)).id
    await creator.aclose()
    fake.script(
        tool_call("execute_shell", {"command_line": START}),
        tool_call("execute_shell", {"command_line": CHECK}),
        tool_call("finish", {"reason": "done"}),
    )
    runtime = Runtime(settings(fake, data_dir, not allowed))  # the setting changed before the task ran
    try:
        async with runtime.driving(task_id) as driver:
            ended = await interact(driver, approve)
        started, checked = (s.result.output for s in (await runtime.store.get_steps(task_id))[:2] if s.result)
    finally:
        await runtime.aclose()
    assert ended.status == TaskStatus.FINISHED
    prompt = fake.requests[0]["messages"][0]["content"]
    pid = int((workspace / "pid").read_text())
    if allowed:
        assert BACKGROUND_JOBS in prompt and NO_BACKGROUND_JOBS not in prompt
        assert "still running until the task ends" in started and f"\n  {pid} " in started
        assert checked.endswith("running\n")
    else:
        assert NO_BACKGROUND_JOBS in prompt and "still running" not in started
        assert checked.endswith("gone\n")
    assert not Path(f"/proc/{pid}").exists()  # ended with the task at the latest
