"""What a devcontainer's commands can reach and what they get: DEVCONTAINER_NETWORK=none, the user's shell
environment (userEnvProbe), and what a killed server left running in the shared container (real CLI, real engine)."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from dc_helpers import devcontainers

from autogpt_ls.executors.devcontainer import DevcontainerExecutor
from autogpt_ls.executors.devcontainer_env import run_probe
from autogpt_ls.executors.devcontainer_procs import OWNER_ID
from autogpt_ls.workspace import Workspace
from fakes import SECRET_KEY
from fakes.openai_server import FakeOpenAI, tool_call

sys.path.insert(0, str(Path(__file__).parents[1] / "cli"))
from test_resume import read_until, start, task_id
from test_run import FINISH, last_observation

pytestmark = pytest.mark.timeout(900)  # first builds on vfs storage, on a busy machine


def executor(folder: Path, **options: object) -> DevcontainerExecutor:
    return DevcontainerExecutor(Workspace(folder), secrets=[SECRET_KEY], **options)  # type: ignore[arg-type]


@pytest.fixture
def host_service() -> Iterator[int]:
    """A service on this machine's loopback: the port of a listening socket (connections wait in its backlog)."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        yield server.getsockname()[1]


def reach(port: int) -> list[str]:
    return ["python3", "-c", f"import socket; socket.create_connection(('127.0.0.1', {port}), 5); print('reached')"]


async def test_network_none_for_a_container_we_create_and_vs_code_shares_it(
    dev_workspace: Path, docker_client: object, devcontainer_cli: list[str], host_service: int
) -> None:
    config = dev_workspace / ".devcontainer" / "devcontainer.json"
    config.write_text(config.read_text().replace('"--network=none"', '"--network=host"'))  # the project's choice
    first = executor(dev_workspace)
    res = await first.run(reach(host_service), timeout=60)
    assert res.exit_code == 0 and res.output.endswith("reached\n"), res.output  # the host's own loopback
    await first.close()

    existing = executor(dev_workspace, network="none")  # a container that exists keeps its network, and says so
    assert 'which exists already and keeps its network ("host")' in existing.where()
    res = await existing.run(reach(host_service), timeout=60)
    assert res.exit_code == 0 and 'keeps its network ("host")' in existing.where()
    [container] = devcontainers(docker_client, dev_workspace)
    container.remove(force=True)  # the user removes it: the next one is created without a network

    fresh = executor(dev_workspace, network="none")
    assert fresh.where().endswith(f"(/workspaces/{dev_workspace.name}), with no network (DEVCONTAINER_NETWORK=none)")
    res = await fresh.run(
        ["sh", "-c", "ls /sys/class/net; " + " ".join(f'"{a}"' for a in reach(host_service))], timeout=60
    )
    assert res.exit_code == 1 and "\nlo\nTraceback" in res.output and "ConnectionRefusedError" in res.output
    assert "reached" not in res.output
    [container] = devcontainers(docker_client, dev_workspace)
    assert container.attrs["HostConfig"]["NetworkMode"] == "none"
    assert container.labels["devcontainer.config_file"] == str(config)  # the labels VS Code looks for
    assert (dev_workspace / ".created").read_text() == "created\ncreated\n"  # built from the project's config
    # What "Reopen in Container" runs (the plain CLI, no override) finds and reuses the same container.
    plain = subprocess.run(
        [*devcontainer_cli, "up", "--workspace-folder", str(dev_workspace)], capture_output=True, text=True, timeout=600
    )
    assert json.loads(plain.stdout.strip().splitlines()[-1])["containerId"] == container.id, plain.stderr[-2000:]
    await fresh.close()


async def test_commands_get_the_users_shell_environment(dev_workspace: Path, docker_client: object) -> None:
    ex = executor(dev_workspace)
    line = 'echo "$PROFILE_MARK $BASHRC_MARK $REMOTE_MARK $MARKER_ENV"'
    res = await ex.run(["sh", "-c", line], timeout=60)
    assert res.exit_code == 0, res.output
    # userEnvProbe's default (loginInteractiveShell): profile.d and ~/.bashrc; remoteEnv wins over what they set
    assert res.output.endswith("from-profile-d from-bashrc remote-from-containerEnv from-containerEnv\n")
    [container] = devcontainers(docker_client, dev_workspace)
    probes = {
        how: run_probe(docker_client, container.id, "root", how, "probe-token")  # type: ignore[arg-type]
        for how in ("loginShell", "interactiveShell", "none")
    }
    assert probes["loginShell"]["PROFILE_MARK"] == "from-profile-d" and "BASHRC_MARK" not in probes["loginShell"]
    assert probes["interactiveShell"]["BASHRC_MARK"] == "from-bashrc"
    assert "PROFILE_MARK" not in probes["interactiveShell"]
    assert probes["none"] == {}
    assert probes["loginShell"]["MARKER_ENV"] == "from-containerEnv"  # the container's own env is part of it
    await ex.close()


def container_processes(container: object) -> str:
    out = container.exec_run(["sh", "-c", "cat /proc/[0-9]*/cmdline | tr '\\0' ' '"])  # type: ignore[attr-defined]
    return str(out.output.decode())


def test_kill_9_during_a_command_then_resume(
    cli, fake: FakeOpenAI, dev_workspace: Path, agent_env: dict[str, str], docker_client: object
) -> None:
    env = agent_env | {"EXECUTOR": "devcontainer"}
    fake.script(tool_call("execute_shell", {"command_line": "echo ran >> count.txt; sleep 4711"}))
    proc = start(env, dev_workspace, "Count")
    assert proc.stdin is not None
    tid = task_id(read_until(proc, "Approve?"))
    proc.stdin.write("y\n")  # the command, and the devcontainer's first start with it
    proc.stdin.flush()
    deadline = time.monotonic() + 600  # a first build
    while not (dev_workspace / "count.txt").exists():
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.1)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    [container] = devcontainers(docker_client, dev_workspace)
    assert "sleep 4711" in container_processes(container)  # a kill -9 skips the timeout and the end of the task
    # Not ours to end: a process we did not start, and one of a server that still runs (this test's process).
    container.exec_run(["sleep", "4712"], detach=True)  # type: ignore[attr-defined]
    container.exec_run(  # type: ignore[attr-defined]
        ["sleep", "4713"], detach=True, environment={"AUTOGPT_COMMAND": "live", "AUTOGPT_OWNER": OWNER_ID}
    )

    fake.script(tool_call("execute_shell", {"command_line": "cat count.txt"}), FINISH)
    run = cli("--resume", tid, answers="y\ny\n", env=env, timeout=600)
    assert run.code == 0, run.out + run.err
    assert "interrupted" in last_observation(fake.requests[-2])  # reported to the LLM, not run again
    seen = last_observation(fake.requests[-1])
    assert seen.endswith("\nran\n") and "a server that is gone had left running" in seen  # swept at the next start
    left = container_processes(container)
    assert "sleep 4711" not in left and "sleep 4712" in left and "sleep 4713" in left
