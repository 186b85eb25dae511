"""Staging asked for where it cannot work: the task says why at its start, and its commands run as without it; a
remote engine stages a copied workspace (SANDBOX_WORKSPACE)."""

from __future__ import annotations

from pathlib import Path

import pytest

from autogpt_ls.agent import placement
from autogpt_ls.agent.runtime import Runtime
from autogpt_ls.executors.docker import DockerExecutor
from autogpt_ls.settings import Settings
from autogpt_ls.terminal import Terminal
from autogpt_ls.workspace import Workspace


async def test_the_local_executor_cannot_stage_and_says_so_at_the_start(
    data_dir: Path, workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    runtime = Runtime(Settings(smart_llm="openai/gpt-4o-mini", openai_api_key="k", data_dir=data_dir))
    try:
        task = await runtime.new_task("goal", workspace, executor="local", stage_changes=True)
        assert not task.config.stage_changes
        assert "Staging is off for this task" in task.config.staging_note
        assert "local executor" in task.config.staging_note
        Terminal(runtime.wiring.tools).say_start(task)
        assert "Staging is off for this task" in capsys.readouterr().out
        plain = await runtime.new_task("goal", workspace, executor="local")
        assert not plain.config.stage_changes and plain.config.staging_note == ""  # not asked: nothing said
    finally:
        await runtime.aclose()


async def test_a_remote_engine_stages_a_copied_workspace_but_cannot_overlay_a_bound_one(
    data_dir: Path, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCKER_HOST", "tcp://127.0.0.1:9")
    for mode, staged in (("auto", True), ("copy", True), ("bind", False)):  # auto: a tcp:// engine gets a copy
        settings = Settings(
            smart_llm="openai/gpt-4o-mini", openai_api_key="k", data_dir=data_dir, sandbox_workspace=mode
        )
        runtime = Runtime(settings)
        try:
            task = await runtime.new_task("goal", workspace, executor="docker", stage_changes=True)
            assert task.config.stage_changes is staged, mode
            note = task.config.staging_note
            assert ("remote (DOCKER_HOST=tcp://127.0.0.1:9)" in note) is not staged, note
            sandbox = placement.build("docker", settings, task, Workspace(workspace))
            assert isinstance(sandbox, DockerExecutor) and (sandbox.copy is not None) is (mode != "bind")
        finally:
            await runtime.aclose()
