"""The sandbox through the real CLI: chosen by default when an engine answers, and the app image runs a goal."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sandbox_helpers import task_containers

from fakes import SECRET_KEY
from fakes.openai_server import FakeOpenAI, tool_call

sys.path.insert(0, str(Path(__file__).parents[1] / "cli"))
from test_run import FINISH, GOAL, WRITE, last_observation


def test_python_runs_in_the_sandbox_when_an_engine_answers(
    docker_client: object, cli, fake: FakeOpenAI, workspace: Path, agent_env: dict[str, str]
) -> None:
    code = "import os, socket; open('made.txt', 'w').write(socket.gethostname()); print(os.getcwd())"
    fake.script(tool_call("execute_python_code", {"code": code}), FINISH)
    run = cli(GOAL, answers="y\ny\n", env=agent_env | {"EXECUTOR": "auto"})
    assert run.code == 0, run.out + run.err
    assert "runs in a Docker sandbox (autogpt-ls-sandbox:1, no network" in run.out
    assert last_observation(fake.requests[1]) == f"Exit code: 0\n{workspace}\n"
    assert (workspace / "made.txt").read_text() == "sandbox"  # the sandbox's hostname: it ran there
    task_id = run.out.split("Task ", 1)[1].split(":", 1)[0]
    assert task_containers(docker_client, task_id) == []  # removed when the task ended


def test_network_is_refused_without_the_sandbox(cli, fake: FakeOpenAI) -> None:
    run = cli(GOAL, "--executor", "local", "--network")
    assert run.code == 2 and "--executor docker" in run.err
    assert not fake.requests


@pytest.mark.timeout(1500)
def test_the_app_image_runs_a_goal(app_image: str, fake: FakeOpenAI, tmp_path: Path) -> None:
    workspace = tmp_path / "project"
    workspace.mkdir()
    fake.script(WRITE, tool_call("execute_shell", {"command_line": "tr a-z A-Z < answer.txt"}), FINISH)
    env = {"OPENAI_BASE_URL": fake.base_url, "OPENAI_API_KEY": SECRET_KEY, "SMART_LLM": "openai/gpt-4o-mini"}
    name = f"autogpt-ls-app-test-{tmp_path.name}"
    argv = ["docker", "run", "--rm", "--name", name, "-i", "--network", "host", "-v", f"{workspace}:/workspace"]
    argv += [arg for name, value in env.items() for arg in ("-e", f"{name}={value}")]
    try:
        run = subprocess.run(
            [*argv, app_image, "run", GOAL], input="y\ny\ny\n", capture_output=True, text=True, timeout=300
        )
    finally:  # `--rm` is the client's job: a client killed by a timeout leaves the container behind
        subprocess.run(["docker", "rm", "-f", name], capture_output=True)
    assert run.returncode == 0, run.stdout + run.stderr
    assert (workspace / "answer.txt").read_text() == "Washington\n"
    assert "runs on this machine, in /workspace" in run.stdout  # in its own container, the local executor runs
    assert last_observation(fake.requests[2]) == "Exit code: 0\nWASHINGTON\n"


@pytest.mark.timeout(1500)
def test_the_app_image_runs_a_goal_offline_with_the_embedded_model(app_image: str, tmp_path: Path) -> None:
    """No key and no network at all: the image's own embedded model does the work."""
    workspace = tmp_path / "offline"
    workspace.mkdir()
    name = f"autogpt-ls-app-offline-{tmp_path.name}"
    argv = ["docker", "run", "--rm", "--name", name, "--network", "none", "-v", f"{workspace}:/workspace", app_image]
    try:
        run = subprocess.run(
            [*argv, "run", "--continuous", "--continuous-limit", "6", GOAL], capture_output=True, text=True, timeout=600
        )
    finally:
        subprocess.run(["docker", "rm", "-f", name], capture_output=True)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "model: local/smollm2-135m" in run.stdout
    assert any("Washington" in p.read_text() for p in workspace.glob("*.txt")), run.stdout
