"""A real Docker engine (started by scripts/setup.d/20-docker.sh) and a sandbox executor per test."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from dc_helpers import DEVCONTAINER, remove_devcontainers
from remote_engine import RemoteEngine, remote_engine_started
from sandbox_helpers import IMAGE, small_sandbox

from autogpt_ls.executors.docker import DockerExecutor, engine_answers

ROOT = Path(__file__).parents[2]


@pytest.fixture(scope="session")
def docker_client() -> Iterator[object]:
    reason = os.environ.get("AUTOGPT_DOCKER_UNAVAILABLE")
    if reason:
        pytest.skip(f"no Docker engine here: {reason}")
    if not engine_answers():
        pytest.skip("no Docker engine answers; ./test.sh installs and starts one (scripts/setup.d/20-docker.sh)")
    import docker

    client = docker.from_env()
    try:
        client.images.get(IMAGE)
    except docker.errors.ImageNotFound:
        pytest.skip(f"the sandbox image {IMAGE} is not built; run scripts/sandbox-image.sh")
    yield client
    client.close()


@pytest.fixture(scope="session")
def remote_engine(docker_client: object) -> Iterator[RemoteEngine]:
    """A second dockerd over TLS on a loopback port, with the sandbox image loaded (once per session)."""
    with remote_engine_started(docker_client, IMAGE) as engine:  # type: ignore[arg-type]
        yield engine


@pytest.fixture
def on_remote_engine(remote_engine: RemoteEngine, monkeypatch: pytest.MonkeyPatch) -> RemoteEngine:
    """The test's Docker clients (ours: executors/engine.client) reach the second engine, as DOCKER_HOST says."""
    for key, value in remote_engine.env.items():
        monkeypatch.setenv(key, value)
    return remote_engine


@pytest.fixture(scope="session")
def app_image(docker_client: object) -> str:
    """The root Dockerfile built as a user would (scripts/build-image.sh); a cold build takes minutes on vfs."""
    build = subprocess.run(
        [str(ROOT / "scripts" / "build-image.sh"), "autogpt-ls:test"], capture_output=True, text=True, timeout=1500
    )
    assert build.returncode == 0, build.stderr[-3000:]
    return "autogpt-ls:test"


@pytest.fixture
async def sandbox(
    docker_client: object, workspace: Path, request: pytest.FixtureRequest
) -> AsyncIterator[DockerExecutor]:
    executor = small_sandbox(workspace, request)
    yield executor
    await executor.close()


@pytest.fixture(scope="session")
def devcontainer_cli(docker_client: object) -> list[str]:
    """The real Dev Containers CLI (./test.sh installs it into the cache: scripts/setup.d/25-devcontainer.sh)."""
    from autogpt_ls.executors.devcontainer_cli import find_cli

    found = find_cli()
    if found is None:
        pytest.skip("the Dev Containers CLI is not installed; ./test.sh installs it (scripts/setup.d)")
    return found


@pytest.fixture
def dev_workspace(devcontainer_cli: list[str], tmp_path: Path) -> Iterator[Path]:
    """A workspace with the tests' devcontainer.json; the containers and image the CLI made for it go afterwards."""
    folder = tmp_path / f"dc-{tmp_path.name[-24:].lower().replace('_', '-')}"
    folder.mkdir()
    shutil.copytree(DEVCONTAINER, folder / ".devcontainer")
    yield folder
    remove_devcontainers(folder)
