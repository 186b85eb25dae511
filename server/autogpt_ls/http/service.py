"""The Agent Protocol's service over the core: tasks, one driver call per step, and files in and out.

A step-driven client sends one request per step whose input is its verdict on the pending proposal: the request
takes the task's lease for its length (a 409 when another process drives the task), turns the input into a
decision and makes one `advance` call. The routes convert HTTP to these calls and the reports back.
"""

from __future__ import annotations

import os
from typing import Any, get_args

from autogpt_ls.agent.decisions import from_step_input, from_step_options
from autogpt_ls.agent.driver import Pending
from autogpt_ls.agent.errors import Forbidden, InvalidInput, NotFound
from autogpt_ls.agent.rules import listing
from autogpt_ls.agent.runtime import Runtime
from autogpt_ls.changes import CommandPreview
from autogpt_ls.http.reports import Page, StepReport, TaskReport, reports, wrote_files
from autogpt_ls.settings import ConfigError
from autogpt_ls.store import Artifact
from autogpt_ls.task_models import ExecutorName, Task
from autogpt_ls.workspace import PathOutsideWorkspace, Workspace

MAX_UPLOAD_BYTES = 64 * 1024 * 1024


class Service:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.store = runtime.store

    # -- tasks
    async def create_task(self, goal: str | None, options: dict[str, Any] | None = None) -> TaskReport:
        """A new task in its own workspace folder, as every task created over a protocol gets.

        `options` is the request's additional_input: `executor` chooses where its commands run, `stage_changes`
        whether the sandbox stages them (their file changes are a step's proposal of their own)."""
        if not (goal or "").strip():
            raise InvalidInput("input: a task needs a goal; send it as the task's input")
        executor = (options or {}).get("executor")
        if executor is not None and executor not in get_args(ExecutorName):
            raise InvalidInput(
                f"additional_input.executor: one of {', '.join(get_args(ExecutorName))}, not {executor!r}"
            )
        staged = (options or {}).get("stage_changes")
        if staged is not None and not isinstance(staged, bool):
            raise InvalidInput(f"additional_input.stage_changes: true or false, not {staged!r}")
        try:
            task = await self.runtime.new_task(goal or "", executor=executor, stage_changes=staged)
        except ConfigError as e:
            raise InvalidInput(str(e)) from None
        return TaskReport(task=task, artifacts=[])

    async def _task(self, task_id: str) -> Task:
        task = await self.store.get_task(task_id)
        if task is None:
            raise NotFound(f"no task {task_id!r}")
        return task

    async def task(self, task_id: str) -> TaskReport:
        return TaskReport(task=await self._task(task_id), artifacts=await self.store.list_artifacts(task_id))

    async def tasks(self, offset: int, limit: int) -> Page[TaskReport]:
        """Newest first, like the store lists them."""
        items = [
            TaskReport(task=t, artifacts=await self.store.list_artifacts(t.id))
            for t in await self.store.list_tasks(limit=limit, offset=offset)
        ]
        return Page(items=items, total=await self.store.count_tasks())

    # -- steps
    async def steps(self, task_id: str, offset: int, limit: int) -> Page[StepReport]:
        task = await self._task(task_id)
        steps = await self.store.get_steps(task_id)
        indexes = range(offset, min(offset + limit, len(steps)))
        artifacts = await self.store.list_artifacts(task_id)
        return Page(items=reports(task, steps, indexes, self.runtime.wiring.tools, artifacts), total=len(steps))

    async def step_report(self, task_id: str, step_id: str) -> StepReport:
        task = await self._task(task_id)
        steps = await self.store.get_steps(task_id)
        for i, step in enumerate(steps):
            if step.id == step_id:
                artifacts = await self.store.list_artifacts(task_id)
                return reports(task, steps, [i], self.runtime.wiring.tools, artifacts)[0]
        raise NotFound(f"task {task_id} has no step {step_id!r}")

    async def step(self, task_id: str, text: str, options: dict[str, Any] | None = None) -> StepReport:
        """Decide the pending proposal with `text` (or undo/redo, by `options`), run the steps approval rules (or
        `y -N` credit) approve after it, and return at the next proposal that needs a decision, listing them."""
        rewind = from_step_options(options or {})
        # no read of the task first: `driving` reads it under the lease (NotFound, or TaskOver once it has ended)
        async with self.runtime.driving(task_id, step_driven=True) as driver:
            pending = driver.pending
            kind = driver.agent.tool_of(pending).kind if pending else None
            decision = rewind or (from_step_input(text, kind) if pending and kind else None)
            since = pending.index if pending else len(driver.agent.steps())
            rules = listing(driver.agent.rules) if since == 0 and not pending else ""  # said at the task's start
            outcome = await driver.advance(decision)
            steps = driver.agent.steps()
            artifacts = await self.store.list_artifacts(task_id) if wrote_files(steps[since:]) else []
            report = reports(driver.task, steps, [len(steps) - 1], self.runtime.wiring.tools, artifacts, since)[0]
        if rules:
            report = report.model_copy(update={"output": f"{rules}\n\n{report.output}"})
        if isinstance(outcome, Pending) and isinstance(outcome.preview, CommandPreview):
            # as every proposal says, before it is approved: where the command runs (a first start in full)
            return report.model_copy(update={"output": f"{report.output}\n\nThe command runs {outcome.preview.where}"})
        return report

    # -- files in and out
    async def artifacts(self, task_id: str, offset: int, limit: int) -> Page[Artifact]:
        await self._task(task_id)
        artifacts = await self.store.list_artifacts(task_id)
        return Page(items=artifacts[offset : offset + limit], total=len(artifacts))

    def _workspace(self, task: Task) -> Workspace:
        try:
            return self.runtime.wiring.workspace(task)
        except (OSError, NotADirectoryError):
            raise NotFound(f"the workspace of task {task.id} no longer exists") from None

    async def add_file(self, task_id: str, folder: str | None, filename: str | None, data: bytes) -> Artifact:
        """Put an uploaded file into the task's workspace (in `folder`, relative to it) and list it as an artifact."""
        task = await self._task(task_id)
        if len(data) > MAX_UPLOAD_BYTES:
            raise InvalidInput(f"the file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB")
        name = os.path.basename((filename or "").replace("\\", "/")) or "upload"
        workspace = self._workspace(task)
        try:
            relative = workspace.write_bytes(os.path.join(folder or "", name), data)
        except PathOutsideWorkspace as e:
            raise Forbidden(str(e)) from None
        except (OSError, ValueError) as e:
            raise InvalidInput(f"cannot store {name!r} in {folder or 'the workspace'}: {e}") from None
        return await self.store.add_artifact(task_id, relative, agent_created=False)

    async def artifact_file(self, task_id: str, artifact_id: str) -> tuple[Artifact, bytes]:
        """An artifact and its file's contents, read confined to the workspace like every other file access."""
        task = await self._task(task_id)
        artifact = await self.store.get_artifact(artifact_id)
        if artifact is None or artifact.task_id != task_id:
            raise NotFound(f"task {task_id} has no artifact {artifact_id!r}")
        try:
            return artifact, self._workspace(task).read_bytes(artifact.relative_path)
        except PathOutsideWorkspace as e:
            raise Forbidden(str(e)) from None
        except OSError:
            raise NotFound(f"the file of artifact {artifact_id} ({artifact.relative_path}) no longer exists") from None
