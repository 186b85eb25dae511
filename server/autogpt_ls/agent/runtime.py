"""Everything a front end needs to start, resume and drive tasks; built once per process from Settings."""

from __future__ import annotations

import asyncio
import functools
import logging
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from autogpt_ls.agent import placement, undo
from autogpt_ls.agent.approval import ApprovalRules
from autogpt_ls.agent.compaction import Summarizer
from autogpt_ls.agent.driver import Driver
from autogpt_ls.agent.editor import DiagnosticsFeed, DiagnosticsSource
from autogpt_ls.agent.errors import InvalidInput, NotFound, TaskBusy, TaskOver
from autogpt_ls.agent.events import Event, EventSink, log_event
from autogpt_ls.agent.lease import leased
from autogpt_ls.agent.loop import Agent
from autogpt_ls.agent.rules import read_rules
from autogpt_ls.checkpoints import CheckpointRepos, Checkpoints
from autogpt_ls.executors.base import Executor
from autogpt_ls.llm.base import ChatProvider
from autogpt_ls.llm.context import context_window
from autogpt_ls.llm.pricing import PRICES
from autogpt_ls.llm.registry import make_provider, smart_model, split_model
from autogpt_ls.models import EditorContext, new_id
from autogpt_ls.secrets_mask import SecretMask
from autogpt_ls.settings import ConfigError, Settings, env_files
from autogpt_ls.store import Store, lease_owner_id, open_store
from autogpt_ls.task_models import AIProfile, ExecutorName, Limits, PromptSettings, Rule, Task, TaskConfig, TaskStatus
from autogpt_ls.tools import mcp
from autogpt_ls.tools.base import Buffers, ShellPolicy, Tool, no_buffers
from autogpt_ls.tools.image import image_tools
from autogpt_ls.tools.mcp import McpHub, McpStart
from autogpt_ls.tools.registry import ToolRegistry
from autogpt_ls.tools.web import web_tools
from autogpt_ls.workspace import Workspace

DRIVERS_GRACE = 5.0  # seconds aclose() waits for cancelled drivers to save their state and release their leases
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


class Runtime:
    """Holds the store, the tools and one provider per model; front ends hold a Runtime, not agent state."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.secrets = SecretMask(settings.secrets())  # masked in every tool's output and on screen
        self.store: Store = open_store(settings)
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
        self._owner = lease_owner_id()
        # the tasks this process drives now (at most one driver each), and the asyncio task driving each
        self._driving: dict[str, asyncio.Task[object] | None] = {}
        self._executors: dict[str, Executor] = {}  # outlive a step-driven Agent: a sandbox stays warm between steps
        self._engine: bool | None = None  # whether a Docker engine answers, asked once per process
        self._checkpoint_repos = CheckpointRepos(
            settings.data_dir / "checkpoints", int(settings.checkpoint_max_file_mb * 1e6), settings.checkpoint_watch
        )
        self._listeners: list[EventSink] = [log_event]
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

    def subscribe(self, listener: EventSink) -> None:
        """Front ends listen to every task's events; the activity log is the first listener."""
        self._listeners.append(listener)

    def _emit(self, event: Event) -> None:
        for listener in self._listeners:
            listener(event)

    async def new_task(
        self,
        goal: str,
        workspace: Path | None = None,
        *,
        smart_llm: str | None = None,
        fast_llm: str | None = None,
        continuous: bool = False,
        continuous_limit: int | None = None,
        profile: AIProfile | None = None,
        prompt: PromptSettings | None = None,
        executor: ExecutorName | None = None,
        network: bool = False,
        stage_changes: bool | None = None,
        context: EditorContext | None = None,
    ) -> Task:
        """Validate the configuration up front (ConfigError names the setting) and store a new task."""
        if not goal.strip():
            raise ConfigError("the goal is empty: give a goal, or ai_goals in --ai-settings")
        model, fast = self._models(smart_llm, fast_llm)
        task_id = new_id()
        folder = self._folder(workspace, task_id)
        executor = executor or self.default_executor(Path(folder))
        placement.check(executor, network, Path(folder) if workspace is not None else None)
        s = self.settings
        config = TaskConfig(
            smart_llm=model,
            fast_llm=fast,
            continuous=continuous,
            continuous_limit=continuous_limit if continuous_limit is not None else s.continuous_limit,
            limits=Limits(max_steps=s.max_steps, max_cost_usd=s.max_cost_usd, max_seconds=s.max_seconds),
            profile=profile or AIProfile(ai_goals=[goal]),
            prompt=prompt or PromptSettings(),
            executor=executor,
            network=network,
            background_jobs=s.allow_background_jobs,
            **placement.staging(s, stage_changes, executor),
        )
        task = Task(id=task_id, goal=goal, workspace=folder, config=config, context=context)
        await self.store.add_task(task)
        return task

    def _models(self, smart_llm: str | None, fast_llm: str | None) -> tuple[str, str | None]:
        """The task's smart and fast models as provider/model, checked against the cost limit."""
        model = smart_model(self.settings.model_copy(update={"smart_llm": smart_llm or self.settings.smart_llm}))
        fast = fast_llm or self.settings.fast_llm
        if self.settings.max_cost_usd is not None and model not in PRICES:
            raise ConfigError(f"MAX_COST_USD is set, but {model} has no known price, so its cost cannot be limited")
        return model, "/".join(split_model(fast)) if fast else None

    def _folder(self, workspace: Path | None, task_id: str) -> str:
        """The task's workspace; without one, its own folder under the data folder (as Agent Protocol tasks get)."""
        if workspace is None:
            workspace = self.settings.data_dir / "workspaces" / task_id
            workspace.mkdir(parents=True)
        if not workspace.is_dir():
            raise ConfigError(f"the workspace {workspace} is not an existing folder")
        return str(workspace.resolve())

    def provider(self, model: str) -> ChatProvider:
        if model not in self._providers:
            self._providers[model] = make_provider(self.settings, model)
        return self._providers[model]

    def _summarizers(self, task: Task) -> list[Summarizer]:
        """FAST_LLM writes a task's summaries, the smart model when it is unset or fails."""
        models = [m for m in (task.config.fast_llm, task.config.smart_llm) if m]
        return [Summarizer(model, self.provider(model)) for model in dict.fromkeys(models)]

    def _agent(self, task: Task) -> Agent:
        s = self.settings
        return Agent(
            task,
            store=self.store,
            provider=self.provider(task.config.smart_llm),
            tools=self.tools,
            executor=self._executor(task),
            shell=self.shell,
            native_tools=self.settings.llm_tool_calling,
            emit=self._emit,
            buffers=lambda path: self.buffers(path),
            secrets=self.secrets,
            checkpoints=self._checkpoints(task),
            summarizers=self._summarizers(task),
            window=context_window(task.config.smart_llm, s.context_window, s.local_model_context),
            rules=self._rules(task),
            auto_commit=s.git_auto_commit,
            approval=self.approval,
        )

    def _rules(self, task: Task) -> tuple[Rule, ...]:
        """The project's rules as the task read them at its start, kept with it: a restart, or an HTTP step (a new
        driver each), sends the same fixed prefix even if AGENTS.md was edited meanwhile."""
        if task.state.rules is None:
            task.state.rules = list(read_rules(self.workspace(task), self.settings.rules_files))
        return tuple(task.state.rules)

    def _checkpoints(self, task: Task) -> Checkpoints | None:
        if not self.settings.checkpoints:
            return None
        if not _git_installed():
            return None
        return self._checkpoint_repos.get(Path(task.workspace))

    async def checkpoint_file(self, task_id: str, step_id: str, path: str, side: str) -> bytes | None:
        """A file a step changed, as it was before or after that step (for a diff against the checkpoint)."""
        task = await self.store.get_task(task_id)
        step = next((s for s in await self.store.get_steps(task_id) if s.id == step_id), None) if task else None
        if task is None or step is None:
            raise NotFound(f"no step {step_id!r} in task {task_id!r}")
        checkpoints = self._checkpoints(task)
        if checkpoints is None:
            raise InvalidInput("checkpoints are off (CHECKPOINTS=False, or git is not installed)")
        return await undo.file_at(checkpoints, step, path, side)

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

    async def _close_executor(self, task_id: str, *, ended: bool = True) -> None:
        executor = self._executors.pop(task_id, None)
        if executor is not None:
            await executor.close(ended=ended)

    @asynccontextmanager
    async def driving(self, task_id: str, *, resume: bool = False, step_driven: bool = False) -> AsyncIterator[Driver]:
        """The task's driver, while this process holds its lease (renewed meanwhile) and drives it nowhere else.

        `resume` restarts a stopped or failed task. The task and its steps are read after the lease is taken,
        so a task another process drove a moment ago goes on from where it left it. The executor outlives the
        driver while the task runs (a sandbox stays warm between HTTP steps) and is closed when it ends.
        """
        if task_id in self._driving:
            raise TaskBusy(f"task {task_id} is already running here; its pending step takes the next decision")
        async with leased(self.store, task_id, self._owner):
            self._driving[task_id] = asyncio.current_task()
            task: Task | None = None
            try:
                task = await self._startable(task_id, resume)
                agent = self._agent(task)
                pending = await agent.recover()
                yield Driver(agent, pending, step_driven=step_driven, diagnostics=self._diagnostics_feed())
            finally:
                if task is None or task.status != TaskStatus.RUNNING:
                    await self._close_executor(task_id)
                self._driving.pop(task_id, None)

    def _diagnostics_feed(self) -> DiagnosticsFeed | None:
        if self.diagnostics is None:
            return None
        return DiagnosticsFeed(self.diagnostics, self.settings.diagnostics_wait_ms / 1000)

    async def _startable(self, task_id: str, resume: bool) -> Task:
        task = await self.store.get_task(task_id)
        if task is None:
            raise NotFound(f"no task {task_id!r} in {self.store.location}")
        if task.status == TaskStatus.RUNNING:
            return task
        if resume and task.status == TaskStatus.FINISHED:
            raise TaskOver(f"task {task_id} already finished: {task.end_reason}")
        if not resume:
            raise TaskOver(f"task {task_id} has ended ({task.status}: {task.end_reason}); it takes no more steps")
        task.status, task.end_reason = TaskStatus.RUNNING, ""
        await self.store.save_task(task)
        return task

    async def aclose(self) -> None:
        """Close everything, once the drivers still unwinding are done: a step cancelled at shutdown saves its
        state and releases its task's lease through the store, so that another process takes the task at once."""
        drivers = [t for t in self._driving.values() if t is not None and t is not asyncio.current_task()]
        if drivers:
            await asyncio.wait(drivers, timeout=DRIVERS_GRACE)
        for hub in self._mcp:
            await hub.aclose()
        for task_id in list(self._executors):  # the tasks live on: another process may drive them next
            await self._close_executor(task_id, ended=False)
        for provider in self._providers.values():
            await provider.aclose()
        await self.store.close()
