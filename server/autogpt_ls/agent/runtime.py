"""Everything a front end needs to start, resume and drive tasks; built once per process from Settings."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from autogpt_ls.agent import placement, undo
from autogpt_ls.agent.driver import Driver
from autogpt_ls.agent.errors import InvalidInput, NotFound, TaskBusy, TaskOver
from autogpt_ls.agent.events import Event, EventSink, log_event
from autogpt_ls.agent.lease import leased
from autogpt_ls.agent.wiring import Wiring
from autogpt_ls.llm.pricing import PRICES
from autogpt_ls.llm.registry import smart_model, split_model
from autogpt_ls.models import EditorContext, new_id
from autogpt_ls.settings import ConfigError, Settings
from autogpt_ls.store import Store, lease_owner_id, open_store
from autogpt_ls.task_models import AIProfile, ExecutorName, Limits, PromptSettings, Task, TaskConfig, TaskStatus

DRIVERS_GRACE = 5.0  # seconds aclose() waits for cancelled drivers to save their state and release their leases


class Runtime:
    """Holds the store and the tasks this process drives; front ends hold a Runtime, not agent state. What a
    task's Agent is built from (tools, providers, executors) is its `wiring`."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.store: Store = open_store(settings)
        self.wiring = Wiring(settings, self.store)
        self._owner = lease_owner_id()
        # the tasks this process drives now (at most one driver each), and the asyncio task driving each
        self._driving: dict[str, asyncio.Task[object] | None] = {}
        self._listeners: list[EventSink] = [log_event]

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
        executor = executor or self.wiring.default_executor(Path(folder))
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

    async def checkpoint_file(self, task_id: str, step_id: str, path: str, side: str) -> bytes | None:
        """A file a step changed, as it was before or after that step (for a diff against the checkpoint)."""
        task = await self.store.get_task(task_id)
        step = next((s for s in await self.store.get_steps(task_id) if s.id == step_id), None) if task else None
        if task is None or step is None:
            raise NotFound(f"no step {step_id!r} in task {task_id!r}")
        checkpoints = self.wiring.checkpoints(task)
        if checkpoints is None:
            raise InvalidInput("checkpoints are off (CHECKPOINTS=False, or git is not installed)")
        return await undo.file_at(checkpoints, step, path, side)

    @asynccontextmanager
    async def driving(self, task_id: str, *, resume: bool = False, step_driven: bool = False) -> AsyncIterator[Driver]:
        """The task's driver, while this process holds its lease (renewed meanwhile) and drives it nowhere else.

        `resume` restarts a stopped or failed task. The task is read by the statement that takes the lease, its
        steps right after it (one round trip on PostgreSQL), so a task another process drove a moment ago goes on
        from where it left it. The executor outlives the driver while the task runs (a sandbox stays warm between
        HTTP steps) and is closed when it ends.
        """
        if task_id in self._driving:
            raise TaskBusy(f"task {task_id} is already running here; its pending step takes the next decision")
        # listed until the lease is released: aclose() waits for a cancelled driver until then, not just until
        # its own cleanup, or the store closes under the lease's release
        self._driving[task_id] = asyncio.current_task()
        try:
            async with leased(self.store, task_id, self._owner) as (stored, steps):
                task: Task | None = None
                try:
                    task = await self._startable(stored, resume)
                    agent = self.wiring.agent(task, self._emit)
                    pending = await agent.recover(steps)
                    yield Driver(agent, pending, step_driven=step_driven, diagnostics=self.wiring.diagnostics_feed())
                finally:
                    if task is None or task.status != TaskStatus.RUNNING:
                        await self.wiring.close_executor(task_id)
        finally:
            self._driving.pop(task_id, None)

    async def _startable(self, task: Task, resume: bool) -> Task:
        if task.status == TaskStatus.RUNNING:
            return task
        if resume and task.status == TaskStatus.FINISHED:
            raise TaskOver(f"task {task.id} already finished: {task.end_reason}")
        if not resume:
            raise TaskOver(f"task {task.id} has ended ({task.status}: {task.end_reason}); it takes no more steps")
        task.status, task.end_reason = TaskStatus.RUNNING, ""
        await self.store.save_task(task)
        return task

    async def aclose(self) -> None:
        """Close everything, once the drivers still unwinding are done: a step cancelled at shutdown saves its
        state and releases its task's lease through the store, so that another process takes the task at once."""
        drivers = [t for t in self._driving.values() if t is not None and t is not asyncio.current_task()]
        if drivers:
            await asyncio.wait(drivers, timeout=DRIVERS_GRACE)
        await self.wiring.aclose()
        await self.store.close()
