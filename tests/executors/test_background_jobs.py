"""Processes a command starts end when it returns, on the local executor and in the real sandbox; a fork bomb that
fills the sandbox's pids limit gets the container replaced and the agent told; allowed background jobs survive,
are listed, and end when the executor closes."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sandbox_helpers import small_sandbox, task_containers

from autogpt_ls.executors.base import Executor
from autogpt_ls.executors.docker import DockerExecutor
from autogpt_ls.executors.local import LocalExecutor
from autogpt_ls.workspace import Workspace

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="commands are tracked with Linux's subreapers")

# Each starts a process that leaves the command's session or its parent, tells its pid through a FIFO once it
# runs, and is still sleeping when the command returns.
DAEMON = (
    "import os\n"
    "if os.fork(): os._exit(0)\n"
    "os.setsid()\n"
    "if os.fork(): os._exit(0)\n"
    "open('ready', 'w').write(str(os.getpid()))\n"
    "os.execvp('sleep', ['sleep', '1000'])"
)
ESCAPES = {
    "setsid nohup": "setsid nohup sh -c 'echo $$ >ready; exec sleep 1000' >/dev/null 2>&1 &",
    "nohup holding the output": "nohup sh -c 'echo $$ >ready; exec sleep 1000' &",
    "daemonizing double fork": f'{{python}} -c "{DAEMON}" &',
}
STATE = "s=$(grep -s '^State:' /proc/{pid}/status); case $s in ''|*zombie*) echo gone;; *) echo running;; esac"


def started(executor: Executor, escape: str) -> list[str]:
    line = ESCAPES[escape].format(python=executor.python)
    return ["/bin/sh", "-c", f"rm -f ready; mkfifo ready; {line} read pid <ready; echo pid=$pid"]


def pid_in(output: str) -> int:
    return int(next(line for line in output.splitlines() if line.startswith("pid=")).removeprefix("pid="))


@pytest.fixture(params=["local", "docker"])
async def executor(request: pytest.FixtureRequest, workspace: Path) -> AsyncIterator[Executor]:
    opened = _open(request, workspace, background_jobs=False)
    yield opened
    await opened.close()


@pytest.fixture(params=["local", "docker"])
async def lenient(request: pytest.FixtureRequest, workspace: Path) -> AsyncIterator[Executor]:
    """An executor for a task that allows background jobs."""
    opened = _open(request, workspace, background_jobs=True)
    yield opened
    await opened.close()


def _open(request: pytest.FixtureRequest, workspace: Path, *, background_jobs: bool) -> Executor:
    if request.param == "docker":
        request.getfixturevalue("docker_client")  # skips without an engine
        return small_sandbox(workspace, request, background_jobs=background_jobs)
    return LocalExecutor(Workspace(workspace), allow_commands=True, background_jobs=background_jobs)


@pytest.mark.parametrize("escape", list(ESCAPES))
async def test_a_process_that_left_the_command_ends_when_it_returns(executor: Executor, escape: str) -> None:
    assert (await executor.run(["true"], timeout=120)).exit_code == 0  # the sandbox's start is not timed below
    started_at = time.monotonic()
    res = await executor.run(started(executor, escape), timeout=30)
    assert (res.exit_code, res.timed_out) == (0, False), res
    assert time.monotonic() - started_at < 15  # the process holding the output does not keep the command waiting
    pid = pid_in(res.output)
    res = await executor.run(["/bin/sh", "-c", STATE.format(pid=pid)], timeout=30)
    assert res.output == "gone\n"
    if isinstance(executor, LocalExecutor):  # and it is not left behind as a zombie of the server
        assert not Path(f"/proc/{pid}").exists()


async def test_a_command_past_its_timeout_is_ended_with_what_left_its_session(workspace: Path) -> None:
    local = LocalExecutor(Workspace(workspace), allow_commands=True)
    line = f"rm -f ready; mkfifo ready; {ESCAPES['setsid nohup']} read pid <ready; echo pid=$pid; sleep 50"
    res = await local.run(["/bin/sh", "-c", line], timeout=2)
    assert res.timed_out and res.exit_code is None
    assert not Path(f"/proc/{pid_in(res.output)}").exists()


async def test_a_tree_of_processes_ends_with_its_command(executor: Executor) -> None:
    """32 processes, each in a session of its own, forking while the command runs and still there when it returns."""
    tree = 't() { if [ $1 -lt 5 ]; then setsid bash -c "t $(($1 + 1))" & t $(($1 + 1)); else exec sleep 4242.13; fi; }'
    count = "for p in /proc/[0-9]*; do tr -d '\\0' <$p/cmdline; echo; done 2>/dev/null | grep -c '^sleep4242.13$'"
    line = f'{tree}; export -f t; t 0 & until [ "$({count})" -ge 32 ]; do sleep 0.1; done; {count}'
    res = await executor.run(["/bin/bash", "-c", line], timeout=60)
    assert (res.exit_code, res.output) == (0, "32\n"), res
    res = await executor.run(["/bin/sh", "-c", count], timeout=30)
    assert res.output == "0\n"


async def test_a_fork_bomb_gets_the_sandbox_replaced_and_the_agent_told(
    sandbox: DockerExecutor, docker_client: object
) -> None:
    assert (await sandbox.run(["true"], timeout=60)).exit_code == 0
    (first,) = task_containers(docker_client, sandbox.task_id)
    # The command waits, with shell builtins only, until the cgroup has refused a fork at the pids limit (64).
    bomb = (
        "for f in /sys/fs/cgroup/pids.events /sys/fs/cgroup/pids/pids.events; do [ -r $f ] && e=$f; done; "
        "bash -c ':(){ :|:& };:'; until read -r k v <$e && [ $v -gt 0 ]; do :; done"
    )
    started_at = time.monotonic()
    res = await sandbox.run(["/bin/sh", "-c", bomb], timeout=60)
    assert not res.timed_out and time.monotonic() - started_at < 60
    assert "reached the sandbox's limit of 64 processes" in res.output and "container was replaced" in res.output
    for _ in range(3):  # the issue saw three commands in a row fail with "Cannot fork"
        res = await sandbox.run(["/bin/sh", "-c", "echo alive | cat"], timeout=60)
        assert (res.exit_code, res.output) == (0, "alive\n")
    (second,) = task_containers(docker_client, sandbox.task_id)
    assert second.id != first.id  # type: ignore[attr-defined]


async def test_the_fork_bomb_of_the_issue_leaves_the_next_commands_working(sandbox: DockerExecutor) -> None:
    # It may be ended before it fills the pids limit, or fill it (the container is replaced, see above); bash
    # retries a refused fork for a while, so it may even reach its timeout (the container goes too).
    started_at = time.monotonic()
    await sandbox.run(["bash", "-c", ":(){ :|:& };:"], timeout=20)
    assert time.monotonic() - started_at < 40
    for _ in range(3):
        res = await sandbox.run(["/bin/sh", "-c", "echo alive | cat"], timeout=60)
        assert (res.exit_code, res.output) == (0, "alive\n")


async def test_a_job_still_writing_when_the_line_returns_cannot_garble_its_report(sandbox: DockerExecutor) -> None:
    # The fork bomb above writes "fork: retry" lines until it is killed; the report after the line once took them
    # for processes left running and missed the pids limit. `yes` writes as fast as the stream takes it.
    for _ in range(5):
        res = await sandbox.run(["/bin/sh", "-c", "yes noise & sleep 0.2"], timeout=60)
        lines = [line for line in res.output.splitlines() if not line.startswith("[... output truncated")]
        assert res.exit_code == 0 and all(line in "noise" for line in lines), [x for x in lines if x not in "noise"]
    assert (await sandbox.run(["/bin/sh", "-c", "echo alive | cat"], timeout=60)).output == "alive\n"


async def test_allowed_background_jobs_are_listed_and_end_with_the_executor(lenient: Executor) -> None:
    res = await asyncio.wait_for(lenient.run(started(lenient, "setsid nohup"), timeout=30), 60)
    assert res.exit_code == 0, res
    pid = pid_in(res.output)
    assert "still running until the task ends" in res.output and f"\n  {pid} " in res.output
    res = await lenient.run(["/bin/sh", "-c", STATE.format(pid=pid)], timeout=30)
    assert res.output.startswith("running\n")
    await asyncio.wait_for(lenient.close(), 60)
    if isinstance(lenient, LocalExecutor):
        assert not Path(f"/proc/{pid}").exists()
    else:
        assert task_containers(lenient._docker(), lenient.task_id) == []  # type: ignore[attr-defined]
