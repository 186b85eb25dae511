"""Staged commands against the real engine: a command runs on an overlay of the workspace, its file changes come
back as the next proposal, and only an approval applies them (all or nothing, one checkpoint, the owner's files)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sandbox_helpers import IMAGE, sandbox_runtime

from autogpt_ls.agent.driver import Driver, Ended, Pending
from autogpt_ls.agent.runtime import Runtime
from autogpt_ls.changes import ChangeSet
from autogpt_ls.executors.overlay_scan import PREVIEW_BYTES
from autogpt_ls.executors.sandbox_container import TASK_LABEL
from autogpt_ls.lsp import previews
from autogpt_ls.models import Decision, DecisionKind, StepStatus
from fakes.openai_server import FakeOpenAI, tool_call

sys.path.insert(0, str(Path(__file__).parents[1] / "http"))
from apclient import Server

pytestmark = pytest.mark.timeout(900)  # each staged command creates a container: seconds to a minute on vfs storage
OWNER = (1000, 1000)
APPROVE = Decision(kind=DecisionKind.APPROVE)
FINISH = tool_call("finish", {"reason": "done"})


def shell(line: str):  # type: ignore[no-untyped-def]
    return tool_call("execute_shell", {"command_line": line})


@pytest.fixture
async def runtime(docker_client: object, fake: FakeOpenAI, data_dir: Path) -> AsyncIterator[Runtime]:
    async with sandbox_runtime(fake, data_dir, sandbox_stage_changes=True) as rt:
        yield rt


@pytest.fixture
def owned(workspace: Path) -> Path:
    """The workspace of another user than the server's (root here), with three files."""
    (workspace / "a.txt").write_text("a\n")
    (workspace / "c.txt").write_text("c\n")
    (workspace / "keep.txt").write_text("keep\n")
    for path in [workspace, *workspace.rglob("*")]:
        os.chown(path, *OWNER)
    return workspace


def tree(folder: Path) -> dict[str, tuple[bytes, int, int, int]]:
    """Every file's bytes, mode and owner: to show a workspace byte-identical."""
    found = {}
    for path in sorted(folder.rglob("*")):
        st = path.lstat()
        found[str(path.relative_to(folder))] = (
            b"" if path.is_dir() else path.read_bytes(),
            st.st_mode,
            st.st_uid,
            st.st_gid,
        )
    return found


async def command_then_review(driver: Driver) -> tuple[Pending, Pending]:
    """Approve the proposed command; its change set is the next proposal."""
    command = await driver.advance()
    assert isinstance(command, Pending) and command.step.proposal.tool_call.name == "execute_shell"  # type: ignore[union-attr]
    review = await driver.advance(APPROVE)
    assert isinstance(review, Pending) and review.step.proposal.tool_call.name == "apply_staged_changes"  # type: ignore[union-attr]
    return command, review


def listed(review: Pending) -> list[tuple[str, str]]:
    assert isinstance(review.preview, ChangeSet)
    return [(f.path, f.change) for f in review.preview.files]


async def test_the_change_set_lists_exactly_what_the_command_did_and_approval_applies_it_as_one_undoable_step(
    runtime: Runtime, fake: FakeOpenAI, owned: Path, docker_client: object
) -> None:
    fake.script(
        shell("echo changed > a.txt; echo new > b.txt; rm c.txt; mkdir -p d/e && echo deep > d/e/f"), FINISH, FINISH
    )
    task = await runtime.new_task("change files", owned)
    async with runtime.driving(task.id) as driver:
        command, review = await command_then_review(driver)
        assert command.step.id != review.step.id
        assert "Exit code: 0" in driver.agent.steps()[0].result.output  # type: ignore[union-attr]
        assert listed(review) == [
            ("a.txt", "modified"),
            ("b.txt", "created"),
            ("c.txt", "deleted"),
            ("d/e/f", "created"),
        ]
        assert "echo changed > a.txt" in review.step.proposal.thoughts  # type: ignore[union-attr]
        assert sorted(p.name for p in owned.iterdir()) == ["a.txt", "c.txt", "keep.txt"]  # nothing applied yet
        edit = previews.workspace_edit(review.preview, lambda _uri: None)  # type: ignore[arg-type]
        kinds = [type(op).__name__ for op in edit.document_changes or []]
        assert kinds == [
            "TextDocumentEdit",
            "CreateFile",
            "TextDocumentEdit",
            "DeleteFile",
            "CreateFile",
            "TextDocumentEdit",
        ]
        finish = await driver.advance(APPROVE)
        assert isinstance(finish, Pending) and finish.step.proposal.tool_call.name == "finish"  # type: ignore[union-attr]
        applied = driver.agent.steps()[1]
        assert applied.status == StepStatus.DONE and applied.result and applied.result.ok
        assert applied.changes is not None and applied.changes.files == ["a.txt", "b.txt", "c.txt", "d/e/f"]
        assert (owned / "a.txt").read_text() == "changed\n" and (owned / "d/e/f").read_text() == "deep\n"
        assert not (owned / "c.txt").exists()
        for name in ("a.txt", "b.txt", "d", "d/e", "d/e/f"):
            st = (owned / name).stat()
            assert (st.st_uid, st.st_gid) == OWNER, name
        told = fake.requests[1]["messages"]
        assert "applied 4 file change(s)" in told[-1]["content"] and told[-1]["role"] == "user"
        undone = await driver.advance(Decision(kind=DecisionKind.UNDO))  # the change set was one step: undone whole
        assert isinstance(undone, Pending) and driver.agent.steps()[1].status == StepStatus.UNDONE
        assert isinstance(await driver.advance(APPROVE), Ended)  # finish: the task's stages go with it
    assert (owned / "a.txt").read_text() == "a\n" and (owned / "c.txt").read_text() == "c\n"
    assert not (owned / "b.txt").exists() and not (owned / "d").exists()
    assert not (runtime.settings.data_dir / "stages" / task.id).exists()
    assert engine_leftovers(docker_client, task.id) == ([], [])


def engine_leftovers(client: object, task_id: str) -> tuple[list[object], list[object]]:
    """The task's stage volumes and containers, found by their labels."""
    label = {"label": f"{TASK_LABEL}={task_id}"}
    return client.volumes.list(filters=label), client.containers.list(all=True, filters=label)  # type: ignore[attr-defined]


async def test_feedback_discards_the_change_set_and_the_workspace_stays_byte_identical(
    runtime: Runtime, fake: FakeOpenAI, owned: Path
) -> None:
    fake.script(shell("echo changed > a.txt; echo new > b.txt; rm c.txt; chmod 600 keep.txt"), FINISH)
    before = tree(owned)
    task = await runtime.new_task("change files", owned)
    async with runtime.driving(task.id) as driver:
        _, review = await command_then_review(driver)
        assert listed(review) == [
            ("a.txt", "modified"),
            ("b.txt", "created"),
            ("c.txt", "deleted"),
            ("keep.txt", "modified"),
        ]
        await driver.advance(Decision(kind=DecisionKind.FEEDBACK, text="do not touch c.txt"))
        assert tree(owned) == before
        told = fake.requests[1]["messages"][-1]["content"]
        assert "discarded the file changes" in told and "do not touch c.txt" in told
        stage = review.step.proposal.tool_call.arguments["stage"]  # type: ignore[union-attr]
        assert not (runtime.settings.data_dir / "stages" / task.id / stage).exists()


async def test_a_command_that_fails_halfway_shows_what_it_changed_and_a_huge_file_is_cut_in_the_preview_only(
    runtime: Runtime, fake: FakeOpenAI, owned: Path
) -> None:
    fake.script(shell("seq 1 400000 > big.txt && echo part >> a.txt && false && echo never > never.txt"), FINISH)
    task = await runtime.new_task("generate", owned)
    async with runtime.driving(task.id) as driver:
        _, review = await command_then_review(driver)
        assert driver.agent.steps()[0].result.exit_code == 1  # type: ignore[union-attr]
        assert listed(review) == [("a.txt", "modified"), ("big.txt", "created")]
        assert isinstance(review.preview, ChangeSet)
        big = review.preview.files[1]
        assert big.truncated and big.after is not None and len(big.after) < PREVIEW_BYTES + 200
        assert "applied whole" in big.after
        await driver.advance(APPROVE)
    expected = "".join(f"{i}\n" for i in range(1, 400001))
    assert (owned / "big.txt").read_text() == expected and (owned / "a.txt").read_text() == "a\npart\n"
    assert not (owned / "never.txt").exists()


async def test_the_next_command_sees_the_applied_changes_and_keeps_the_shells_folder_and_variables(
    runtime: Runtime, fake: FakeOpenAI, owned: Path
) -> None:
    fake.script(
        shell("mkdir sub && cd sub && echo first > f.txt && export MARK=kept"),
        shell("pwd; cat f.txt; echo $MARK; echo second > g.txt"),
        FINISH,
    )
    task = await runtime.new_task("two commands", owned)
    async with runtime.driving(task.id) as driver:
        await command_then_review(driver)
        second = await driver.advance(APPROVE)  # the first change set applied; the second command proposed
        assert isinstance(second, Pending) and second.step.proposal.tool_call.name == "execute_shell"  # type: ignore[union-attr]
        review = await driver.advance(APPROVE)
        output = driver.agent.steps()[2].result.output  # type: ignore[union-attr]
        assert f"{owned}/sub\nfirst\nkept\n" in output
        assert listed(review) == [("sub/g.txt", "created")]  # type: ignore[arg-type]
        await driver.advance(APPROVE)
    assert (owned / "sub/g.txt").read_text() == "second\n"


async def test_a_file_the_user_changed_meanwhile_is_a_conflict_and_nothing_is_applied(
    runtime: Runtime, fake: FakeOpenAI, owned: Path
) -> None:
    fake.script(shell("echo agent > a.txt; echo new > b.txt"), FINISH)
    task = await runtime.new_task("conflict", owned)
    async with runtime.driving(task.id) as driver:
        await command_then_review(driver)
        (owned / "a.txt").write_text("the user's edit\n")
        await driver.advance(APPROVE)
        result = driver.agent.steps()[1].result
        assert result is not None and not result.ok
        assert "Nothing of the change set" in result.output and "a.txt" in result.output
    assert (owned / "a.txt").read_text() == "the user's edit\n" and not (owned / "b.txt").exists()


def test_a_crash_between_the_command_and_the_decision_leaves_no_stage_behind(
    docker_client: object, fake: FakeOpenAI, agent_env: dict[str, str], owned: Path, data_dir: Path
) -> None:
    """kill -9 while the change set waits; the resumed task's LLM is told the changes were discarded."""
    fake.script(shell("echo crash > a.txt"), FINISH)
    env = agent_env | {"EXECUTOR": "docker", "SANDBOX_STAGE_CHANGES": "true", "SANDBOX_IMAGE": IMAGE}
    argv = [sys.executable, "-m", "autogpt_ls", "run", "change a.txt", "--workspace", str(owned)]
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
    assert proc.stdin is not None and proc.stdout is not None
    task_id = proc.stdout.readline().split()[1].rstrip(":")
    proc.stdin.write("y\n")
    proc.stdin.flush()
    assert any("apply_staged_changes" in line for line in proc.stdout)
    proc.kill()
    proc.wait()
    stages = data_dir / "stages" / task_id
    assert any(stages.iterdir())  # the crash left its stage
    resumed = subprocess.run(
        [*argv, "--resume", task_id], input="y\n", text=True, capture_output=True, env=env, timeout=600
    )
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    told = [m["content"] for m in fake.requests[-1]["messages"] if m["role"] == "user"]
    assert "were discarded" in told[-1]
    assert (owned / "a.txt").read_text() == "a\n"
    assert not stages.exists() and engine_leftovers(docker_client, task_id) == ([], [])


def test_over_the_agent_protocol_the_steps_output_lists_the_change_set_and_the_next_input_decides(
    docker_client: object, fake: FakeOpenAI, agent_env: dict[str, str], tmp_path: Path, data_dir: Path
) -> None:
    fake.script(shell("echo new > b.txt"), FINISH)
    env = agent_env | {"EXECUTOR": "docker", "SANDBOX_IMAGE": IMAGE}
    server = Server(env, tmp_path / "serve.stderr")
    try:
        body = {"input": "make b.txt", "additional_input": {"stage_changes": True}}
        task = server.api.ok("POST", "/agent/tasks", body)
        assert task["stage_changes"] is True and task["staging_note"] == ""
        task_id = task["task_id"]
        server.api.step(task_id)  # the command is proposed
        review = server.api.step(task_id)  # it ran, staged: its change set is the next proposal
        assert "Exit code: 0" in review["output"] and "created b.txt" in review["output"]
        assert review["additional_output"]["proposal"]["name"] == "apply_staged_changes"
        assert not (data_dir / "workspaces" / task_id / "b.txt").exists()
        server.api.step(task_id, "not now")  # feedback: discarded
        assert not (data_dir / "workspaces" / task_id / "b.txt").exists()
        assert "not now" in fake.requests[1]["messages"][-1]["content"]
    finally:
        server.stop()
