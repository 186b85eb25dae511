"""kill -9 in the middle of a task, then --resume: the task finishes and no approved step runs twice."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_run import FINISH, GOAL, WRITE, last_observation

from fakes.openai_server import FakeOpenAI, tool_call

pytestmark = pytest.mark.each_store  # on the SQLite file, and on PostgreSQL


def start(agent_env: dict[str, str], workspace: Path, *args: str) -> subprocess.Popen[str]:
    argv = [sys.executable, "-m", "autogpt_ls", "run", *args, "--workspace", str(workspace)]
    return subprocess.Popen(
        argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=agent_env
    )


def read_until(proc: subprocess.Popen[str], marker: str) -> str:
    """Read the agent's output until `marker` appears (the prompt has no newline, so read by character)."""
    assert proc.stdout is not None
    seen = ""
    deadline = time.monotonic() + 30
    while marker not in seen:
        assert time.monotonic() < deadline, seen
        char = proc.stdout.read(1)
        assert char, f"agent exited early: {seen}"
        seen += char
    return seen


def task_id(output: str) -> str:
    match = re.search(r"Task ([0-9a-f]{32}):", output)
    assert match, output
    return match.group(1)


def killed_at_first_proposal(fake: FakeOpenAI, agent_env: dict[str, str], workspace: Path) -> str:
    """Start the goal, kill -9 the agent while it waits for approval of writing the file; the task's id."""
    fake.script(WRITE)
    proc = start(agent_env, workspace, GOAL)
    tid = task_id(read_until(proc, "Approve?"))
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    return tid


def test_kill_while_a_command_runs_then_resume(
    cli, fake: FakeOpenAI, workspace: Path, agent_env: dict[str, str]
) -> None:
    env = agent_env | {"EXECUTE_LOCAL_COMMANDS": "True"}
    fake.script(WRITE, tool_call("execute_shell", {"command_line": "echo ran >> count.txt; sleep 60"}))
    proc = start(env, workspace, GOAL)
    assert proc.stdin is not None
    tid = task_id(read_until(proc, "Approve?"))
    proc.stdin.write("y\n")
    proc.stdin.flush()
    read_until(proc, "Approve?")
    proc.stdin.write("y\n")
    proc.stdin.flush()
    deadline = time.monotonic() + 20
    while not (workspace / "count.txt").exists():
        assert time.monotonic() < deadline
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()

    fake.script(FINISH)
    run = cli("--resume", tid, answers="y\n", env=env)
    assert run.code == 0, run.out + run.err
    assert (workspace / "count.txt").read_text() == "ran\n"  # the approved command did not run again
    assert "interrupted" in last_observation(fake.requests[-1])
    assert (workspace / "answer.txt").read_text() == "Washington\n"
    assert run.out.count("Approve?") == 1


def test_kill_while_waiting_for_approval_then_resume(
    cli, fake: FakeOpenAI, workspace: Path, agent_env: dict[str, str]
) -> None:
    tid = killed_at_first_proposal(fake, agent_env, workspace)
    assert not (workspace / "answer.txt").exists()

    fake.script(FINISH)
    run = cli("--resume", tid, answers="y\ny\n")
    assert run.code == 0, run.out + run.err
    assert "+Washington" in run.out  # the pending proposal is shown again, not re-asked of the LLM
    assert (workspace / "answer.txt").read_text() == "Washington\n"
    assert len(fake.requests) == 2


def test_a_stopped_task_resumes_and_a_finished_one_does_not(cli, fake: FakeOpenAI, workspace: Path) -> None:
    fake.script(WRITE)
    first = cli(GOAL, answers="n\n")
    assert first.code == 3
    tid = task_id(first.out)
    fake.script(WRITE, FINISH)
    second = cli("--resume", tid, answers="y\ny\n")
    assert second.code == 0, second.out
    assert "rejected this action" in str(fake.requests[1]["messages"])
    third = cli("--resume", tid)
    assert third.code == 2
    assert "already finished" in third.err


def test_a_task_driven_elsewhere_is_refused(cli, fake: FakeOpenAI, workspace: Path, agent_env: dict[str, str]) -> None:
    fake.script(WRITE)
    proc = start(agent_env, workspace, GOAL)
    try:
        tid = task_id(read_until(proc, "Approve?"))
        run = cli("--resume", tid)
        assert run.code == 1
        assert "being driven by another process" in run.err
    finally:
        proc.kill()
        proc.wait()


def test_unknown_task_id(cli) -> None:
    run = cli("--resume", "0" * 32)
    assert run.code == 2
    assert "no task" in run.err


def test_a_pending_proposal_of_a_since_disabled_tool_goes_back_to_the_llm(
    cli, fake: FakeOpenAI, workspace: Path, agent_env: dict[str, str]
) -> None:
    tid = killed_at_first_proposal(fake, agent_env, workspace)

    fake.script(FINISH)
    run = cli("--resume", tid, answers="y\n", env=agent_env | {"DISABLED_COMMANDS": "write_file"})
    assert run.code == 0, run.out + run.err
    assert "The tool 'write_file' is no longer available." in last_observation(fake.requests[-1])
    assert not (workspace / "answer.txt").exists()
