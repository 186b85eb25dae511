"""Staging asked for where it cannot work: the task says why at its start, and its commands run as without it."""

from __future__ import annotations

from pathlib import Path

import pytest

from autogpt_ls.agent.runtime import Runtime
from autogpt_ls.settings import Settings
from autogpt_ls.terminal import Terminal


async def test_the_local_executor_cannot_stage_and_says_so_at_the_start(
    data_dir: Path, workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    runtime = Runtime(Settings(smart_llm="openai/gpt-4o-mini", openai_api_key="k", data_dir=data_dir))
    try:
        task = await runtime.new_task("goal", workspace, executor="local", stage_changes=True)
        assert not task.config.stage_changes
        assert "Staging is off for this task" in task.config.staging_note
        assert "local executor" in task.config.staging_note
        Terminal(runtime.tools).say_start(task)
        assert "Staging is off for this task" in capsys.readouterr().out
        plain = await runtime.new_task("goal", workspace, executor="local")
        assert not plain.config.stage_changes and plain.config.staging_note == ""  # not asked: nothing said
    finally:
        await runtime.aclose()


async def test_a_remote_engine_cannot_stage(data_dir: Path, workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", "tcp://127.0.0.1:9")
    runtime = Runtime(Settings(smart_llm="openai/gpt-4o-mini", openai_api_key="k", data_dir=data_dir))
    try:
        task = await runtime.new_task("goal", workspace, executor="docker", stage_changes=True)
        assert not task.config.stage_changes and "remote (DOCKER_HOST=tcp://127.0.0.1:9)" in task.config.staging_note
    finally:
        await runtime.aclose()
