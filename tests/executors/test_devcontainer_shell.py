"""The devcontainer's persistent shell against the real Dev Containers CLI and the real engine: state carries
over as in a terminal, a timeout interrupts only the command, a shell that ends is replaced with the agent told,
and the task's end ends its shell while the shared container runs on."""

from __future__ import annotations

import asyncio
from pathlib import Path

import docker.errors
import pytest
from dc_helpers import devcontainers

from autogpt_ls.executors.devcontainer import DevcontainerExecutor
from autogpt_ls.executors.shell_state import shell_argv
from autogpt_ls.workspace import Workspace
from fakes import SECRET_KEY

pytestmark = pytest.mark.timeout(600)  # a first build on vfs storage takes a while
OURS = "for p in /proc/[0-9]*; do tr '\\0' ' ' <$p/cmdline 2>/dev/null; echo; done | grep -c '^sleep 471[0-9] $' || :"


async def test_the_shell_keeps_its_state_and_ends_with_the_task(dev_workspace: Path, docker_client: object) -> None:
    ex = DevcontainerExecutor(Workspace(dev_workspace), secrets=[SECRET_KEY])
    folder = f"/workspaces/{dev_workspace.name}"

    async def sh(line: str, timeout: float = 60) -> tuple[int | None, str]:
        res = await ex.run(shell_argv(line), timeout=timeout)
        return res.exit_code, res.output

    code, out = await sh("mkdir -p sub && cd sub && export STEP=one", timeout=600)  # the first brings it up
    assert code == 0, out
    assert await sh('pwd; echo "$STEP $REMOTE_MARK"') == (0, f"{folder}/sub\none remote-from-containerEnv\n")
    res = await ex.run(["python3", "-c", "import os; print(os.getcwd(), os.environ['STEP'])"], timeout=60)
    assert res.output == f"{folder} one\n"
    # Past its timeout the command is interrupted; the shell, its folder and variables stay; what it started ends.
    code, out = await sh("setsid sleep 4711 & sleep 4712 & echo started; sleep 4713", timeout=2)
    assert code is None and "started\n" in out and "the shell keeps its state" in out
    assert await sh(f'echo "$STEP"; pwd; {OURS}') == (0, f"one\n{folder}/sub\n0\n")
    # A line that ends the shell: a new one, at the workspace folder, and the agent told.
    code, out = await sh("exit 3")
    assert code == 3 and "its state was reset" in out
    assert await sh('pwd; echo "${STEP:-unset}"') == (0, f"{folder}\nunset\n")
    await ex.close()
    [container] = devcontainers(docker_client, dev_workspace)
    container.reload()
    assert container.status == "running"  # the workspace's container outlives the task, its shell does not
    shells = container.exec_run(["sh", "-c", "grep -l AUTOGPT_COMMAND= /proc/[0-9]*/environ | wc -l"]).output
    assert shells.strip() == b"0"


async def test_an_interrupt_that_cannot_reach_the_shell_is_an_error(dev_workspace: Path, docker_client: object) -> None:
    """The interrupt's exec is checked, as the sandbox's is: aimed at a shell killed from outside (its process
    group gone), it raises, so past a timeout the ladder goes on to the kill at once instead of waiting."""
    ex = DevcontainerExecutor(Workspace(dev_workspace), secrets=[SECRET_KEY])
    try:
        assert (await ex.run(shell_argv("true"), timeout=600)).exit_code == 0
        [container] = devcontainers(docker_client, dev_workspace)
        assert ex.shell.session is not None
        killed = container.exec_run(["sh", "-c", 'kill -9 "$1"', "sh", ex.shell.session.pid])  # type: ignore[attr-defined]
        assert killed.exit_code == 0, killed.output
        with pytest.raises(docker.errors.DockerException, match=r"kill -INT .* failed \(1\): .*No such process"):
            await asyncio.to_thread(ex.shell.interrupt)
    finally:
        await ex.close()
