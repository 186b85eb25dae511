"""A hostile loop in the real sandbox swaps a workspace folder with a symlink to a host folder while the agent's file
tools work there (issue 13): no operation may reach the host folder, whichever state each one meets."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sandbox_helpers import task_containers

from autogpt_ls.agent.loop import REFUSALS
from autogpt_ls.executors.docker import DockerExecutor
from autogpt_ls.tools.base import ToolContext
from autogpt_ls.tools.registry import ToolRegistry
from swapper import STOP, plant, swapper_argv

TRIES = 800  # 200 of each kind of call
CANARY = "the workspace's own canary\n"


def calls(i: int) -> tuple[str, dict[str, Any]]:
    """The i-th call, as the agent would make it: write, read, list and edit, all inside race/."""
    return [
        ("write_file", {"filename": f"race/x-{i}.txt", "contents": f"try {i}\n"}),
        ("read_file", {"filename": "race/canary.txt"}),
        ("list_folder", {"folder": "race"}),
        ("replace_in_file", {"filename": "race/canary.txt", "old_text": "canary", "new_text": "canary"}),
    ][i % 4]


async def attempt(ctx: ToolContext, name: str, arguments: dict[str, Any]) -> tuple[bool, str]:
    """Check, then run, as the loop does; a refusal is the observation the LLM would read."""
    tool = ToolRegistry.default().get(name)
    assert tool is not None
    try:
        args = tool.validate(arguments)
        tool.check(ctx, args)
        result = await tool.run(ctx, args)
    except REFUSALS as e:
        return False, str(e)
    assert result.ok, result.output
    return True, result.output


@contextlib.contextmanager
def swapper_in(sandbox: DockerExecutor, docker_client: Any) -> Iterator[dict[str, Any]]:
    """The swapper running in the task's container (docker exec, as a command the user approved could start it);
    stopped on the way out, its output and exit code then in the dict."""
    workspace = sandbox.workspace.root
    api = docker_client.api
    [container] = task_containers(docker_client, sandbox.task_id)
    exec_id = api.exec_create(container.id, swapper_argv("python3", workspace), user=sandbox.user)["Id"]
    output = api.exec_start(exec_id, stream=True)
    first = b""
    while b"\n" not in first:  # the engine's chunks need not be lines
        first += next(output)
    assert first.startswith(b"started\n"), first
    report: dict[str, Any] = {}
    try:
        yield report
    finally:
        (workspace / STOP).touch()
        report["output"] = (first + b"".join(output)).decode().removeprefix("started\n")
        report["exit_code"] = api.exec_inspect(exec_id)["ExitCode"]


@pytest.fixture
async def planted(sandbox: DockerExecutor, tmp_path: Path) -> Path:
    outside = tmp_path / "host"
    outside.mkdir()
    (outside / "canary.txt").write_text("HOST SECRET canary\n")
    (outside / "host-only.txt").write_text("HOST SECRET\n")
    plant(sandbox.workspace.root, outside)
    assert (await sandbox.run(["true"], timeout=60)).exit_code == 0  # the container is up
    return outside


async def test_file_tools_never_act_outside_while_a_folder_is_swapped(
    sandbox: DockerExecutor, docker_client: Any, planted: Path
) -> None:
    host_before = {p.name: (p.read_text(), p.stat().st_mtime_ns) for p in planted.iterdir()}
    ctx = ToolContext(executor=sandbox)
    with swapper_in(sandbox, docker_client) as swapper:
        outcomes = [(i, *await attempt(ctx, *calls(i))) for i in range(TRIES)]
    assert swapper["exit_code"] == 0 and swapper["output"].startswith("swaps="), swapper
    # Nothing reached the host folder: no file written or changed there, none of its contents or names returned.
    assert {p.name: (p.read_text(), p.stat().st_mtime_ns) for p in planted.iterdir()} == host_before
    leaks = [(i, out) for i, _, out in outcomes if "HOST SECRET" in out or "host-only" in out]
    assert leaks == []
    # Each call either worked inside the workspace or was refused, saying why.
    refusal = f"leads outside the workspace (through a symlink to {planted}); refused."
    for i, ok, output in outcomes:
        if not ok:
            assert output.startswith("Path 'race") and output.endswith(refusal), (i, output)
        elif calls(i)[0] == "read_file":
            assert output == CANARY
        elif calls(i)[0] == "list_folder":
            assert all(line.startswith("race/") for line in output.splitlines()), output
    written = {name for _, _, names in os.walk(sandbox.workspace.root) for name in names if name.startswith("x-")}
    assert written == {f"x-{i}.txt" for i, ok, _ in outcomes if ok and i % 4 == 0}
    done = sum(ok for _, ok, _ in outcomes)
    assert 0 < done < TRIES, f"{done} of {TRIES} calls succeeded: the swapper did not race them"
