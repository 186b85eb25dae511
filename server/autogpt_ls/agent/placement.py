"""Where a task's commands run: the choice of executor for a workspace, and building it from the settings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from autogpt_ls.executors.base import Executor
from autogpt_ls.executors.local import LocalExecutor
from autogpt_ls.settings import ConfigError, Settings
from autogpt_ls.task_models import ExecutorName, Task
from autogpt_ls.workspace import Workspace


def choose(settings: Settings, folder: Path, engine: bool) -> ExecutorName:
    """EXECUTOR for a task in `folder`. `auto`: local when we already run in a container or no Docker engine
    answers; else the workspace's devcontainer when it has a devcontainer.json, else the Docker sandbox."""
    if settings.executor != "auto":
        return settings.executor
    if settings.in_container or settings.in_devcontainer or not engine:
        return "local"
    from autogpt_ls.executors.devcontainer_config import config_file

    return "devcontainer" if config_file(folder) is not None else "docker"


def check(executor: ExecutorName, network: bool, folder: Path | None) -> None:
    """A task's executor fits its options (and its folder, unless the folder is new: files may be added later)."""
    if network and executor != "docker":
        raise ConfigError("network access is only for commands in the Docker sandbox: use --executor docker")
    if executor == "devcontainer" and folder is not None:
        from autogpt_ls.executors.devcontainer_config import CONFIG_FILES, config_file

        if config_file(folder) is None:
            raise ConfigError(f"the devcontainer executor needs {' or '.join(CONFIG_FILES)} in {folder}")


def staging(settings: Settings, asked: bool | None, executor: ExecutorName) -> dict[str, Any]:
    """A task's config on staging (`asked`, else SANDBOX_STAGE_CHANGES): whether its commands are staged, and, when
    asked to be but they cannot, why (said at its start). A copied workspace (sandbox_copy) needs no overlay: its
    changes come back to review anyway."""
    from autogpt_ls.executors.sandbox_copy import workspace_mode

    if not (settings.sandbox_stage_changes if asked is None else asked):
        return {"stage_changes": False}
    reason = None
    if executor != "docker":
        reason = f"commands run with the {executor} executor; only the Docker sandbox can stage them"
    elif workspace_mode(settings.sandbox_workspace) == "bind":
        from autogpt_ls.executors.stages import unavailable

        reason = unavailable()
    if reason is None:
        return {"stage_changes": True}
    note = f"Staging is off for this task: {reason}. Commands change the workspace directly, as without it."
    return {"stage_changes": False, "staging_note": note}


def build(choice: ExecutorName, settings: Settings, task: Task, workspace: Workspace) -> Executor:
    """The task's executor, with the settings it was made for."""
    if choice == "devcontainer":
        from autogpt_ls.executors.devcontainer import DevcontainerExecutor
        from autogpt_ls.executors.devcontainer_config import Approvals

        return DevcontainerExecutor(
            workspace,
            secrets=settings.secrets(),
            background_jobs=task.config.background_jobs,
            # in the store's folder, which no tool can reach
            approvals=Approvals(settings.data_dir / "db" / "devcontainer-approvals.json"),
            network=settings.devcontainer_network,
        )
    if choice == "docker":
        from autogpt_ls.executors.docker import DockerExecutor, SandboxLimits
        from autogpt_ls.executors.sandbox_copy import workspace_mode

        s = settings
        sandbox = DockerExecutor(
            workspace,
            task_id=task.id,
            image=s.sandbox_image,
            network=task.config.network,
            limits=SandboxLimits(memory=s.sandbox_memory, cpus=s.sandbox_cpus, pids=s.sandbox_pids),
            idle_seconds=s.sandbox_idle_seconds,
            background_jobs=task.config.background_jobs,
            workspace_mode=workspace_mode(s.sandbox_workspace),
        )
        if task.config.stage_changes:
            from autogpt_ls.executors.staging import Stager

            sandbox.stager = Stager(sandbox, s.data_dir / "stages")
        return sandbox
    return LocalExecutor(
        workspace,
        allow_commands=settings.commands_allowed_locally,
        background_jobs=task.config.background_jobs,
        place="in this devcontainer" if settings.in_devcontainer else "on this machine",
    )
