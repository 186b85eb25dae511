"""Copy mode through a whole task (Runtime, driver, checkpoints, the fake LLM): a command's changes come back within
its step, so its checkpoint records them and undo restores them, which the next command sees; a staged task's
change set is reviewed, applied with the workspace owner's ownership and undone as with an overlay."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sandbox_helpers import sandbox_runtime, task_containers
from test_staging import APPROVE, FINISH, OWNER, command_then_review, listed, owned, shell

from autogpt_ls.agent.driver import Ended, Pending
from autogpt_ls.agent.runtime import Runtime
from autogpt_ls.models import Decision, DecisionKind, StepStatus
from fakes.openai_server import FakeOpenAI

__all__ = ["owned"]  # the fixture, from test_staging
pytestmark = pytest.mark.timeout(600)
LINE = "echo changed > a.txt; echo new > b.txt; rm c.txt; mkdir -p d/e && echo deep > d/e/f"
CHANGED = ["a.txt", "b.txt", "c.txt", "d/e/f"]


@pytest.fixture(params=[False, True], ids=["applied", "staged"])
async def runtime(
    request: pytest.FixtureRequest, docker_client: object, fake: FakeOpenAI, data_dir: Path
) -> AsyncIterator[Runtime]:
    async with sandbox_runtime(fake, data_dir, sandbox_workspace="copy", sandbox_stage_changes=request.param) as rt:
        yield rt


async def test_a_tasks_command_changes_come_back_in_its_step_and_undo_reaches_the_container(
    runtime: Runtime, fake: FakeOpenAI, owned: Path, docker_client: object
) -> None:
    staged = runtime.settings.sandbox_stage_changes
    fake.script(shell(LINE), shell("cat a.txt; ls"), shell("cat a.txt; ls"), FINISH)  # the undo drops the first cat
    task = await runtime.new_task("change files", owned)
    assert task.config.stage_changes is staged
    async with runtime.driving(task.id) as driver:
        if staged:
            _, review = await command_then_review(driver)
            assert listed(review) == [
                (p, c) for p, c in zip(CHANGED, ["modified", "created", "deleted", "created"], strict=True)
            ]
            assert sorted(p.name for p in owned.iterdir()) == ["a.txt", "c.txt", "keep.txt"]  # nothing applied yet
        else:
            assert isinstance(await driver.advance(), Pending)
        listing = await driver.advance(APPROVE)  # the command (or its change set) is approved: `cat` proposed next
        index = 1 if staged else 0
        applied = driver.agent.steps()[index]
        assert applied.status == StepStatus.DONE and applied.changes is not None and applied.result is not None
        assert applied.changes.files == CHANGED  # the step's checkpoint saw what came back
        assert staged or "copied back 4 changed file(s)" in applied.result.output, applied.result.output
        assert (owned / "a.txt").read_text() == "changed\n" and not (owned / "c.txt").exists()
        for name in ("a.txt", "b.txt", "d", "d/e", "d/e/f"):
            st = (owned / name).stat()
            assert (st.st_uid, st.st_gid) == OWNER, name
        assert isinstance(listing, Pending) and listing.step.proposal.tool_call.name == "execute_shell"  # type: ignore[union-attr]
        undone = await driver.advance(Decision(kind=DecisionKind.UNDO))
        assert isinstance(undone, Pending) and driver.agent.steps()[index].status == StepStatus.UNDONE
        assert (owned / "a.txt").read_text() == "a\n" and (owned / "c.txt").exists() and not (owned / "d").exists()
        assert undone.step.proposal.tool_call.name == "execute_shell"  # type: ignore[union-attr]  # asked again
        finish = await driver.advance(APPROVE)  # `cat a.txt; ls` runs on the container, the undo pushed first
        assert isinstance(finish, Pending) and finish.step.proposal.tool_call.name == "finish", finish  # type: ignore[union-attr]
        ran = driver.agent.steps()[-2].result  # the last is the pending finish
        assert ran is not None, driver.agent.steps()
        lines = ran.output.splitlines()
        assert "a" in lines and "c.txt" in lines and "keep.txt" in lines, ran.output  # the undo reached the container
        assert "changed" not in lines and "b.txt" not in lines and "d" not in lines, ran.output
        assert isinstance(await driver.advance(APPROVE), Ended)
    assert task_containers(docker_client, task.id) == []
