"""The sandbox image, a small sandbox and a task's containers, for the executor tests: a module of its own name,
since every test folder's `conftest` is one module name and `from conftest import` gets whichever came last."""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from autogpt_ls.agent.runtime import Runtime
from autogpt_ls.executors.docker import LABEL, TASK_LABEL, DockerExecutor, SandboxLimits
from autogpt_ls.settings import Settings
from autogpt_ls.workspace import Workspace
from fakes.openai_server import FakeOpenAI

IMAGE = os.environ.get("SANDBOX_IMAGE", "autogpt-ls-sandbox:1")


def small_sandbox(workspace: Path, request: pytest.FixtureRequest, **options: Any) -> DockerExecutor:
    """A sandbox with small limits (pids 64, so a fork bomb hits it fast), named after the test."""
    return DockerExecutor(
        Workspace(workspace),
        task_id=f"test-{request.node.name}"[:40],
        image=IMAGE,
        limits=SandboxLimits(memory="192m", cpus=1.0, pids=64, tmp_size="16m"),
        max_output=4_000,
        **options,
    )


def task_containers(client: object, task_id: str) -> list[object]:
    """The containers of one task, running or not, found the way the executor labels them."""
    return client.containers.list(all=True, filters={"label": [LABEL, f"{TASK_LABEL}={task_id}"]})  # type: ignore[attr-defined]


@contextlib.asynccontextmanager
async def sandbox_runtime(fake: FakeOpenAI, data_dir: Path, **settings: Any) -> AsyncIterator[Runtime]:
    """A Runtime whose tasks run in the Docker sandbox, thinking with the fake LLM, closed afterwards."""
    llm = {"openai_base_url": fake.base_url, "smart_llm": "openai/gpt-4o-mini"}
    runtime = Runtime(Settings(data_dir=data_dir, executor="docker", sandbox_image=IMAGE, **llm, **settings))
    try:
        yield runtime
    finally:
        await runtime.aclose()
