"""autogpt-ls itself inside a devcontainer (VS Code's "Reopen in Container", Codespaces): commands run right there."""

from __future__ import annotations

from pathlib import Path

import pytest

from autogpt_ls.agent.runtime import Runtime
from autogpt_ls.changes import CommandPreview
from autogpt_ls.settings import Settings
from fakes.openai_server import FakeOpenAI, tool_call


@pytest.mark.parametrize("variable", ["REMOTE_CONTAINERS", "CODESPACES"])
async def test_inside_a_devcontainer_commands_run_locally_and_the_proposal_says_so(
    variable: str, fake: FakeOpenAI, data_dir: Path, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(variable, "true")
    (workspace / ".devcontainer.json").write_text("{}")  # the one we are in: no container inside it
    settings = Settings(openai_base_url=fake.base_url, smart_llm="openai/gpt-4o-mini", data_dir=data_dir)
    settings = settings.model_copy(update={"executor": "auto"})
    fake.script(tool_call("execute_shell", {"command_line": "echo here"}))
    runtime = Runtime(settings)
    try:
        task = await runtime.new_task("run it", workspace)
        assert task.config.executor == "local"
        async with runtime.driving(task.id) as driver:
            pending = await driver.advance()
            preview = pending.preview  # type: ignore[union-attr]
        assert isinstance(preview, CommandPreview)
        assert preview.where == f"in this devcontainer, in {workspace}"
        assert driver.agent.executor.commands_allowed() is None  # no EXECUTE_LOCAL_COMMANDS needed there
    finally:
        await runtime.aclose()
