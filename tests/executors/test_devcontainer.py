"""The devcontainer executor against the real Dev Containers CLI and the real engine (tests/executors/devcontainer)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from dc_helpers import devcontainers

from autogpt_ls.executors.devcontainer import DevcontainerExecutor
from autogpt_ls.executors.devcontainer_config import Approvals
from autogpt_ls.workspace import Workspace
from fakes import SECRET_KEY

pytestmark = pytest.mark.timeout(600)  # a first build on vfs storage takes a while


def executor(folder: Path, **options: object) -> DevcontainerExecutor:
    return DevcontainerExecutor(Workspace(folder), secrets=[SECRET_KEY], **options)  # type: ignore[arg-type]


async def test_commands_run_inside_with_its_env_user_and_folder(
    dev_workspace: Path, docker_client: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", SECRET_KEY)  # the devcontainer.json asks for it with ${localEnv:...}
    ex = executor(dev_workspace)
    folder = f"/workspaces/{dev_workspace.name}"
    assert ex.where() == f'in the devcontainer "autogpt-ls-test" ({folder})'  # before it is up: from the config
    res = await ex.run(["sh", "-c", 'dc-marker; pwd; id -un; echo "[$FROM_HOST] $REMOTE_MARK"'], timeout=60)
    assert res.exit_code == 0, res.output
    assert res.output.endswith(f"marker says from-containerEnv\n{folder}\nroot\n[] remote-from-containerEnv\n")
    assert ex.where() == f'in the devcontainer "autogpt-ls-test" ({folder})'
    [container] = devcontainers(docker_client, dev_workspace)
    assert container.attrs["HostConfig"]["NetworkMode"] == "none"
    assert (dev_workspace / ".created").read_text() == "created\n"  # postCreateCommand ran in the mounted folder
    await ex.close()
    container.reload()
    assert container.status == "running"  # the workspace's container outlives the task


async def test_streaming_timeout_and_the_container_survives(dev_workspace: Path, docker_client: object) -> None:
    ex = executor(dev_workspace)
    streamed: list[str] = []
    first = asyncio.Event()

    def on_output(text: str) -> None:
        streamed.append(text)
        if "first" in text:
            first.set()

    line = "echo first; while [ ! -e go ]; do sleep 0.05; done; echo second"
    running = asyncio.create_task(ex.run(["sh", "-c", line], timeout=120, on_output=on_output))
    await asyncio.wait_for(first.wait(), 600)  # printed while the command still waits (after a first build)
    assert not running.done()
    (dev_workspace / "go").touch()
    res = await running
    assert res.exit_code == 0 and res.output.endswith("first\nsecond\n")
    assert "".join(streamed).endswith("first\nsecond\n")

    # A process in a session of its own and one in the background: both die with the command at its timeout.
    line = "setsid sleep 4711 & sleep 4712 & echo started; sleep 4713"
    res = await ex.run(["sh", "-c", line], timeout=2)
    assert res.timed_out and res.exit_code is None and res.output.startswith("started\n")
    left = await ex.run(["sh", "-c", "cat /proc/[0-9]*/cmdline | tr '\\0' ' '"], timeout=30)
    assert left.exit_code == 0 and "sleep 471" not in left.output
    [container] = devcontainers(docker_client, dev_workspace)
    assert container.status == "running"
    await ex.close()


async def test_a_second_task_reuses_the_container(dev_workspace: Path, docker_client: object) -> None:
    first, second = executor(dev_workspace), executor(dev_workspace)
    assert (await first.run(["sh", "-c", "hostname"], timeout=60)).exit_code == 0
    res = await second.run(["sh", "-c", "hostname"], timeout=60)
    assert res.exit_code == 0
    [container] = devcontainers(docker_client, dev_workspace)
    assert res.output.endswith(container.attrs["Config"]["Hostname"] + "\n")
    assert (dev_workspace / ".created").read_text() == "created\n"  # lifecycle commands ran once


async def test_a_stopped_container_is_started_again(dev_workspace: Path, docker_client: object) -> None:
    ex = executor(dev_workspace)
    assert (await ex.run(["true"], timeout=60)).exit_code == 0
    [container] = devcontainers(docker_client, dev_workspace)
    container.stop(timeout=1)
    res = await ex.run(["sh", "-c", "echo again"], timeout=60)
    assert res.exit_code == 0 and res.output.endswith("again\n")
    container.reload()
    assert container.status == "running" and [c.id for c in devcontainers(docker_client, dev_workspace)] == [
        container.id
    ]


async def test_a_broken_build_is_an_error_in_the_output_and_can_be_retried(dev_workspace: Path) -> None:
    dockerfile = dev_workspace / ".devcontainer" / "Dockerfile"
    good = dockerfile.read_text()
    # Not a RUN that fails: the classic builder would leave that step's container behind.
    dockerfile.write_text(good + "BREAK the-build\n")
    ex = executor(dev_workspace)
    res = await ex.run(["true"], timeout=60)
    assert res.exit_code is None
    assert res.output.startswith("[devcontainer] `devcontainer up` failed")
    assert "unknown instruction: BREAK" in res.output
    dockerfile.write_text(good)  # the user fixes it; the same task's next command goes on
    res = await ex.run(["sh", "-c", "dc-marker"], timeout=60)
    assert res.exit_code == 0 and res.output.endswith("marker says from-containerEnv\n")


async def test_a_broken_devcontainer_json_is_an_error_in_the_output(dev_workspace: Path) -> None:
    (dev_workspace / ".devcontainer" / "devcontainer.json").write_text("{ not json")
    ex = executor(dev_workspace)
    assert "cannot read" in ex.where()
    res = await ex.run(["true"], timeout=60)
    assert res.exit_code is None and res.output.startswith("[devcontainer] `devcontainer up` failed")


async def test_the_first_start_is_shown_in_full_until_approved(dev_workspace: Path, tmp_path: Path) -> None:
    approvals = Approvals(tmp_path / "approvals.json")
    ex = executor(dev_workspace, approvals=approvals)
    where = ex.where()
    assert "approving this also approves the devcontainer's first start" in where
    assert "RUN printf" in where  # the Dockerfile in full
    assert 'postCreateCommand (in the container): "echo created >> .created"' in where
    assert (await ex.run(["true"], timeout=60)).exit_code == 0  # the approved command: the first start with it
    again = executor(dev_workspace, approvals=approvals)  # a second task on the same workspace: not asked again
    assert again.where() == f'in the devcontainer "autogpt-ls-test" (/workspaces/{dev_workspace.name})'
    config = dev_workspace / ".devcontainer" / "devcontainer.json"
    config.write_text(
        config.read_text().replace('"postCreateCommand"', '"postStartCommand": "true", "postCreateCommand"')
    )
    changed = executor(dev_workspace, approvals=approvals)
    assert 'postStartCommand (in the container): "true"' in changed.where()  # a changed configuration: asked again
    config.write_text(config.read_text().replace('"true"', '"date"'))  # changed after it was shown
    res = await changed.run(["true"], timeout=60)
    assert res.exit_code is None and "changed since this command was proposed" in res.output
