"""One task's sandbox driven by two server processes in turn (tests/executors/elsewhere.py is the other one): one
container throughout, found again by its name and adopted, the shell's folder and variables carried in the task's
stored state, the previous owner's shell ended; a race to create it ends with one container; the cleanup and idle
timer of the process that made it spare it once another adopted it; one made with other settings is replaced."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sandbox_helpers import IMAGE, small_sandbox, task_containers

from autogpt_ls.executors.docker import DockerExecutor
from autogpt_ls.executors.sandbox_adopt import remove_orphans
from autogpt_ls.executors.sandbox_container import OWNER
from autogpt_ls.executors.shell_state import shell_argv
from autogpt_ls.task_models import SavedShell

ELSEWHERE = Path(__file__).with_name("elsewhere.py")


def elsewhere(
    sandbox: DockerExecutor, line: str, saved: SavedShell | None, workspace_mode: str = "bind"
) -> dict[str, Any]:
    """Run `line` for the same task in another process, from the stored state `saved`."""
    spec = {
        "workspace": str(sandbox.workspace.root),
        "task_id": sandbox.task_id,
        "image": IMAGE,
        "limits": dataclasses.asdict(sandbox.limits),
        "saved": saved.model_dump() if saved else None,
        "line": line,
        "workspace_mode": workspace_mode,
    }
    done = subprocess.run(
        [sys.executable, str(ELSEWHERE), json.dumps(spec)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-3000:]
    outcome: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return outcome


def ids(client: object, task_id: str) -> list[str]:
    return [c.id for c in task_containers(client, task_id)]  # type: ignore[attr-defined]


def stored(outcome: dict[str, Any]) -> SavedShell:
    return SavedShell.model_validate(outcome["saved"])


async def test_two_processes_drive_one_container_in_turn_and_the_shell_state_follows(
    docker_client: object, workspace: Path, request: pytest.FixtureRequest
) -> None:
    a = small_sandbox(workspace, request)
    root = str(a.workspace.root)
    try:
        a.resume(None)
        first = await a.run(shell_argv("mkdir -p sub && cd sub && export X=1"), timeout=60)
        assert first.exit_code == 0, first.output
        [container] = ids(docker_client, a.task_id)
        assert a.shell is not None and a.shell.session is not None
        old_shell = a.shell.session
        b = elsewhere(a, "pwd; echo $X; export Y=2", a.saved_shell())
        assert b["exit_code"] == 0 and b["output"].splitlines() == [f"{root}/sub", "1"], b
        assert b["container"] == container and ids(docker_client, a.task_id) == [container]
        assert old_shell.exit_code() == 137  # the adopter ended this process's shell: it cannot interfere
        assert b["saved"]["by"] not in ("", OWNER)

        a.resume(stored(b))  # this process's shell is stale: it starts a new one in the same container
        back = await a.run(shell_argv("pwd; echo $X $Y"), timeout=60)
        assert back.exit_code == 0 and back.output.splitlines() == [f"{root}/sub", "1 2"], back.output
        assert a._container is not None and a._container.id == container
        assert ids(docker_client, a.task_id) == [container]
        saved = a.saved_shell()
        assert saved is not None and saved.by == OWNER and saved.env["Y"] == "2"
        assert elsewhere(a, "echo $Y", saved)["output"] == "2\n"

        await a.close()  # the task ended in this process: its container goes, whoever drove it last
        assert ids(docker_client, a.task_id) == []
    finally:
        await a.close()


async def test_two_processes_creating_the_container_at_once_end_with_one(
    docker_client: object, workspace: Path, request: pytest.FixtureRequest
) -> None:
    one, two = small_sandbox(workspace, request), small_sandbox(workspace, request)
    try:
        await asyncio.gather(asyncio.to_thread(one._ensure_container), asyncio.to_thread(two._ensure_container))
        [container] = ids(docker_client, one.task_id)
        assert one._container is not None and two._container is not None
        assert one._container.id == two._container.id == container
        ran = await two.run(["echo", "one"], timeout=60)
        assert ran.exit_code == 0 and ran.output == "one\n", ran.output
    finally:
        await one.close()
        await two.close()
    assert ids(docker_client, one.task_id) == []


async def test_the_makers_cleanup_and_idle_timer_spare_a_container_another_process_adopted(
    docker_client: object, workspace: Path, request: pytest.FixtureRequest
) -> None:
    a = small_sandbox(workspace, request, idle_seconds=1.0)
    try:
        made = elsewhere(a, "mkdir -p sub && cd sub && export WHO=maker", None)  # its maker exits: a dead label
        a.resume(stored(made))
        mine = await a.run(shell_argv("pwd; echo $WHO"), timeout=60)
        assert mine.output.splitlines() == [f"{a.workspace.root}/sub", "maker"], mine.output
        assert a._container is not None and a._container.id == made["container"]
        remove_orphans(docker_client)  # its maker is dead, but a live process adopted it
        assert ids(docker_client, a.task_id) == [made["container"]]

        other = elsewhere(a, "true", a.saved_shell())  # adopted by another process meanwhile
        assert other["container"] == made["container"]
        for _ in range(300):  # past this process's idle time (due while the other one ran; late on a busy machine)
            if a._idle_timer is None and a._retiring is not None:
                break
            await asyncio.sleep(0.1)
        assert a._idle_timer is None and a._retiring is not None
        assert await a._wake() == ""  # the timer fired but removed nothing: another process drove it since
        assert a._container is None and ids(docker_client, a.task_id) == [made["container"]]

        a.resume(stored(other))
        back = await a.run(shell_argv("echo $WHO"), timeout=60)
        assert back.output == "maker\n" and a._container is not None and a._container.id == made["container"]
        elsewhere(a, "true", a.saved_shell())
        await a.close(ended=False)  # this process stops, the task lives on: the adopter's container stays
        assert ids(docker_client, a.task_id) == [made["container"]]
    finally:
        await a.close()
    assert ids(docker_client, a.task_id) == []


async def test_a_container_made_with_other_settings_is_replaced_and_the_agent_told(
    docker_client: object, workspace: Path, request: pytest.FixtureRequest
) -> None:
    a, b = small_sandbox(workspace, request), small_sandbox(workspace, request, network=True)
    try:
        assert (await a.run(["true"], timeout=60)).exit_code == 0
        [first] = ids(docker_client, a.task_id)
        replaced = await b.run(["echo", "on"], timeout=60)
        assert replaced.output.startswith(
            "[sandbox] the task's container was made with other settings (network); it was replaced"
        ), replaced.output
        assert replaced.output.endswith("on\n")
        [second] = ids(docker_client, a.task_id)
        assert second != first
    finally:
        await a.close()
        await b.close()


async def test_a_container_whose_owner_cannot_be_recorded_is_replaced_not_left_stuck(
    docker_client: object, workspace: Path, request: pytest.FixtureRequest
) -> None:
    a = small_sandbox(workspace, request)
    try:
        full = await a.run(shell_argv("head -c 64000000 /dev/zero >/tmp/fill; df -k /tmp | tail -1"), timeout=60)
        [first] = ids(docker_client, a.task_id)
        # its /tmp is full: no room to record the new owner
        b = elsewhere(a, "ls /tmp/fill 2>/dev/null || echo fresh", a.saved_shell())
        assert b["output"].startswith("[sandbox] the task's container could not be taken over"), (full, b)
        assert "owner could not be recorded: sh: " in b["output"]
        assert b["output"].endswith("\nfresh\n") and ids(docker_client, a.task_id) == [b["container"]] != [first]
    finally:
        await a.close()
