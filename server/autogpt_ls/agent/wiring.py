"""The parts a task's Agent is built from, shared by the process: one provider per model, one executor per task
(kept warm between steps), the tools (with the MCP servers'), the shell policy and the checkpoint repositories."""

from __future__ import annotations

import functools
import logging
import shutil
from pathlib import Path

from autogpt_ls.agent import placement
from autogpt_ls.agent.approval import ApprovalRules
from autogpt_ls.agent.compaction import Summarizer
from autogpt_ls.agent.conversation import Conversation
from autogpt_ls.agent.editor import DiagnosticsFeed, DiagnosticsSource
from autogpt_ls.agent.events import EventSink
from autogpt_ls.agent.loop import Agent
from autogpt_ls.agent.rules import read_rules
from autogpt_ls.checkpoints import CheckpointRepos, Checkpoints
from autogpt_ls.executors.base import Executor
from autogpt_ls.llm.base import ChatProvider
from autogpt_ls.llm.context import context_window
from autogpt_ls.llm.registry import make_provider
from autogpt_ls.secrets_mask import SecretMask
from autogpt_ls.settings import Settings, env_files
from autogpt_ls.store import Store
from autogpt_ls.task_models import ExecutorName, Rule, Task
from autogpt_ls.tools import mcp
from autogpt_ls.tools.base import Buffers, ShellPolicy, Tool, no_buffers
from autogpt_ls.tools.image import image_tools
from autogpt_ls.tools.mcp import McpHub, McpStart
from autogpt_ls.tools.registry import ToolRegistry
from autogpt_ls.tools.web import web_tools
from autogpt_ls.workspace import Workspace

log = logging.getLogger(__name__)


@functools.cache
def _git_installed() -> bool:
    """Checkpoints are a git repository: without git, steps run as before and cannot be undone (said once)."""
    if shutil.which("git") is None:
        log.warning("git is not installed, so steps cannot be undone (CHECKPOINTS needs git)")
        return False
    return True


def configured_tools(settings: Settings) -> list[Tool]:
    """The tools the user's settings turn on: the web tools (WEB_TOOLS) and generate_image (IMAGE_PROVIDER)."""
    return [*web_tools(settings), *image_tools(settings)]


class Wiring:
    """Builds each task's Agent from the process's parts; front ends read its tools and secrets and give it the
    editor's buffers and diagnostics."""

    def __init__(self, settings: Settings, store: Store) -> None:
        self.settings = settings
        self._store = store
        self.secrets = SecretMask(settings.secrets())  # masked in every tool's output and on screen
        # The store, the logs and the .env files we read hold state and secrets: no tool path may reach them.
        # Per-task workspaces (data_dir/workspaces) are the one part of the data folder tools may use.
        self._forbidden = (
            settings.data_dir / "db",
            settings.data_dir / "logs",
            settings.data_dir / "checkpoints",
            settings.data_dir / "stages",
            *env_files(),
        )
        self.tools = ToolRegistry.default(settings.disabled, extra=configured_tools(settings))
        self.shell = ShellPolicy(
            mode=settings.shell_command_control,
            allowlist=settings.shell_allowlist,
            denylist=settings.shell_denylist,
            timeout_seconds=settings.shell_timeout_seconds,
        )
        self.approval = ApprovalRules.of(settings.auto_approve, settings.auto_approve_commands)
        self._providers: dict[str, ChatProvider] = {}
        self._executors: dict[str, Executor] = {}  # outlive a step-driven Agent: a sandbox stays warm between steps
        self._engine: bool | None = None  # whether a Docker engine answers, asked once per process
        self._checkpoint_repos = CheckpointRepos(
            settings.data_dir / "checkpoints", int(settings.checkpoint_max_file_mb * 1e6), settings.checkpoint_watch
        )
        self.buffers: Buffers = no_buffers  # an editor front end shows agents its open buffers
        self._mcp: list[McpHub] = []  # every hub started; a task keeps the tools it began with until it ends
        self.diagnostics: DiagnosticsSource | None = None  # and, if it can, what its tools report after an edit

    async def connect_mcp(self, workspace: Path | None) -> McpStart:
        """Start the configured MCP servers (the workspace's own once trusted) and offer their tools."""
        started = await mcp.connect(self.settings, workspace)
        if started.hub is not None:
            self._mcp.append(started.hub)
            extra = [*configured_tools(self.settings), *started.hub.tools()]
            self.tools = ToolRegistry.default(self.settings.disabled, extra=extra)
        return started

    def provider(self, model: str) -> ChatProvider:
        if model not in self._providers:
            self._providers[model] = make_provider(self.settings, model)
        return self._providers[model]

    def _summarizers(self, task: Task) -> list[Summarizer]:
        """FAST_LLM writes a task's summaries, the smart model when it is unset or fails."""
        models = [m for m in (task.config.fast_llm, task.config.smart_llm) if m]
        return [Summarizer(model, self.provider(model)) for model in dict.fromkeys(models)]

    def agent(self, task: Task, emit: EventSink) -> Agent:
        s = self.settings
        llm = Conversation(
            task,
            store=self._store,
            provider=self.provider(task.config.smart_llm),
            tools=self.tools,
            native_tools=s.llm_tool_calling,
            emit=emit,
            summarizers=self._summarizers(task),
            window=context_window(task.config.smart_llm, s.context_window, s.local_model_context),
            rules=self._rules(task),
        )
        return Agent(
            llm,
            store=self._store,
            executor=self._executor(task),
            shell=self.shell,
            emit=emit,
            buffers=lambda path: self.buffers(path),
            secrets=self.secrets,
            checkpoints=self.checkpoints(task),
            auto_commit=s.git_auto_commit,
            approval=self.approval,
        )

    def _rules(self, task: Task) -> tuple[Rule, ...]:
        """The project's rules as the task read them at its start, kept with it: a restart, or an HTTP step (a new
        driver each), sends the same fixed prefix even if AGENTS.md was edited meanwhile."""
        if task.state.rules is None:
            task.state.rules = list(read_rules(self.workspace(task), self.settings.rules_files))
        return tuple(task.state.rules)

    def checkpoints(self, task: Task) -> Checkpoints | None:
        if not self.settings.checkpoints:
            return None
        if not _git_installed():
            return None
        return self._checkpoint_repos.get(Path(task.workspace))

    def default_executor(self, folder: Path) -> ExecutorName:
        """EXECUTOR for a task in `folder` (`auto` asks the Docker engine once per process)."""
        if self.settings.executor == "auto" and self._engine is None:
            from autogpt_ls.executors.docker import engine_answers

            self._engine = engine_answers()
        return placement.choose(self.settings, folder, bool(self._engine))

    def workspace(self, task: Task) -> Workspace:
        """The task's folder as every front end and tool must see it: the store, logs and .env out of reach."""
        return Workspace(task.workspace, forbidden=self._forbidden)

    def _executor(self, task: Task) -> Executor:
        if task.id not in self._executors:
            workspace = self.workspace(task)
            choice = task.config.executor or self.default_executor(workspace.root)
            self._executors[task.id] = placement.build(choice, self.settings, task, workspace)
        return self._executors[task.id]

    async def close_executor(self, task_id: str, *, ended: bool = True) -> None:
        executor = self._executors.pop(task_id, None)
        if executor is not None:
            await executor.close(ended=ended)

    def diagnostics_feed(self) -> DiagnosticsFeed | None:
        if self.diagnostics is None:
            return None
        return DiagnosticsFeed(self.diagnostics, self.settings.diagnostics_wait_ms / 1000)

    async def aclose(self) -> None:
        """Stop the MCP servers, close the executors (their tasks live on: another process may drive them next)
        and the providers; the store is the Runtime's."""
        for hub in self._mcp:
            await hub.aclose()
        for task_id in list(self._executors):
            await self.close_executor(task_id, ended=False)
        for provider in self._providers.values():
            await provider.aclose()
