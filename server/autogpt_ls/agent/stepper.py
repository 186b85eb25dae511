"""Driving a task one request at a time, as the Agent Protocol (and any request/response front end) does.

The interactive driver (`Agent.run`) loops and awaits a callback for each decision. A step-driven client
instead sends one request per step whose input is its verdict on the pending proposal, so the Stepper turns
one request into the core's two moves: `decide` the pending proposal (empty input approves, other text is
feedback, or the answer to an `ask_user` question), then `think` the next one. It knows no transport: it
raises typed errors and returns reports that a front end converts to its own shapes.

A task is driven by one process at a time. The Stepper holds the task's lease in the store for the length
of a step only (with a heartbeat), so a task can move between the editor and HTTP clients between steps,
and a step posted while the editor drives the task is refused instead of running an action twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel

from autogpt_ls.agent.loop import MAX_CONSECUTIVE_FAILURES, Agent, StepConflict
from autogpt_ls.agent.prompt import observation
from autogpt_ls.agent.runtime import LEASE_TTL, Runtime
from autogpt_ls.llm.base import LLMError
from autogpt_ls.models import Decision, DecisionKind, Step, StepStatus, Task, TaskStatus, Usage
from autogpt_ls.settings import ConfigError
from autogpt_ls.store import Artifact, LeaseHeld, lease_owner_id
from autogpt_ls.tools.base import ToolKind
from autogpt_ls.workspace import PathOutsideWorkspace, Workspace

T = TypeVar("T")
MAX_UPLOAD_BYTES = 64 * 1024 * 1024
_SHOWN_ARGS = 300  # characters of a tool call's arguments quoted in a step's text output


class StepperError(Exception):
    """A request the core refuses; the message is written for the client."""


class NotFound(StepperError):
    """No such task, step or artifact (or the artifact's file is gone)."""


class Invalid(StepperError):
    """Well-formed input the core cannot use (an empty goal, an upload too large)."""


class Forbidden(StepperError):
    """An upload path outside the task's workspace."""


class TaskBusy(StepperError):
    """Another process, or another request of this one, is driving the task right now."""


class TaskOver(StepperError):
    """The task has ended; it takes no more steps."""


class LLMUnavailable(StepperError):
    """The LLM could not be reached after retries; the task is unchanged and the step can be posted again."""


def decision_for(kind: ToolKind, text: str) -> Decision:
    """A step's input as a decision: the answer to ask_user, approval when empty, feedback otherwise."""
    if kind == "ask_user":
        return Decision(kind=DecisionKind.ANSWER, text=text.strip())
    if not text.strip():
        return Decision(kind=DecisionKind.APPROVE)
    return Decision(kind=DecisionKind.FEEDBACK, text=text.strip())


class ProposalReport(BaseModel):
    """The action the agent proposes and waits on."""

    thoughts: str
    name: str
    arguments: dict[str, Any]


class ActionReport(BaseModel):
    """What happened to an earlier proposal: run (with its result), feedback instead, or an unusable reply."""

    name: str | None
    arguments: dict[str, Any]
    status: StepStatus
    ok: bool
    result: str


class StepReport(BaseModel):
    """One stored step as a step-driven client sees it: the outcome of the action decided by the request that
    produced it, then the agent's next proposal; or, for the step that ended the task, how it ended."""

    step_id: str
    task_id: str
    name: str | None
    input: str | None
    status: Literal["running", "completed"]
    output: str
    proposal: ProposalReport | None
    last_action: ActionReport | None
    usage: Usage
    task_cumulative_usage: Usage
    llm_seconds: float
    is_last: bool
    task_status: TaskStatus
    artifacts: list[Artifact]
    created_at: datetime


class TaskReport(BaseModel):
    task: Task
    artifacts: list[Artifact]


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int


def _call_text(name: str, arguments: dict[str, Any]) -> str:
    args = json.dumps(arguments, ensure_ascii=False)
    return f"{name}({args if len(args) <= _SHOWN_ARGS else args[:_SHOWN_ARGS] + '...'})"


def _outcome(step: Step) -> ActionReport:
    call = step.proposal.tool_call if step.proposal else None
    return ActionReport(
        name=call.name if call else None,
        arguments=call.arguments if call else {},
        status=step.status,
        ok=step.status in (StepStatus.DONE, StepStatus.FEEDBACK) and (step.result is None or step.result.ok),
        result=observation(step),
    )


def _usable(step: Step) -> bool:
    return step.proposal is not None and step.status != StepStatus.INVALID


def _artifact_path(task: Task, filename: str) -> str:
    """The store's relative path of a file a write tool was given (absolute paths inside the workspace too)."""
    path = Path(filename)
    if path.is_absolute():
        return os.path.relpath(path, task.workspace)
    return os.path.normpath(path)


class Stepper:
    """Step-driven access to the runtime's tasks: create, step, read, and move files in and out."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.store = runtime.store
        self._owner = lease_owner_id()
        self._busy: set[str] = set()

    # -- tasks
    def create_task(self, goal: str | None) -> TaskReport:
        """A new task in its own workspace folder, as every task created over a protocol gets."""
        if not (goal or "").strip():
            raise Invalid("input: a task needs a goal; send it as the task's input")
        try:
            task = self.runtime.new_task(goal or "")
        except ConfigError as e:
            raise Invalid(str(e)) from None
        return TaskReport(task=task, artifacts=[])

    def _task(self, task_id: str) -> Task:
        task = self.store.get_task(task_id)
        if task is None:
            raise NotFound(f"no task {task_id!r}")
        return task

    def task(self, task_id: str) -> TaskReport:
        return TaskReport(task=self._task(task_id), artifacts=self.store.list_artifacts(task_id))

    def tasks(self, offset: int, limit: int) -> Page[TaskReport]:
        """Newest first, like the store lists them."""
        tasks = self.store.list_tasks(limit=limit, offset=offset)
        items = [TaskReport(task=t, artifacts=self.store.list_artifacts(t.id)) for t in tasks]
        return Page(items=items, total=self.store.count_tasks())

    # -- reading steps
    def steps(self, task_id: str, offset: int, limit: int) -> Page[StepReport]:
        task = self._task(task_id)
        steps = self.store.get_steps(task_id)
        reports = self._reports(task, steps, range(offset, min(offset + limit, len(steps))))
        return Page(items=reports, total=len(steps))

    def step_report(self, task_id: str, step_id: str) -> StepReport:
        task = self._task(task_id)
        steps = self.store.get_steps(task_id)
        for i, step in enumerate(steps):
            if step.id == step_id:
                return self._reports(task, steps, [i])[0]
        raise NotFound(f"task {task_id} has no step {step_id!r}")

    def _reports(self, task: Task, steps: list[Step], indexes: range | list[int]) -> list[StepReport]:
        if not indexes:
            return []
        by_path = {a.relative_path: a for a in self.store.list_artifacts(task.id)}
        totals: list[Usage] = []
        total = Usage()
        for step in steps[: max(indexes) + 1]:
            total = total + step.usage
            totals.append(total)
        return [self._report(task, steps, i, totals[i], by_path) for i in indexes]

    def _report(
        self, task: Task, steps: list[Step], i: int, cumulative: Usage, by_path: dict[str, Artifact]
    ) -> StepReport:
        step = steps[i]
        is_last = task.status != TaskStatus.RUNNING and i == len(steps) - 1
        closing = is_last and step.status != StepStatus.AWAITING
        # The action this step's request decided: the step itself when it ended the task, else the latest
        # earlier step that had a usable proposal (unusable replies in between are reports of their own).
        acted = step if closing else next((s for s in reversed(steps[:i]) if _usable(s)), None)
        proposal = None if closing or step.status == StepStatus.INVALID else step.proposal
        lines: list[str] = []
        last_action = _outcome(acted) if acted is not None else None
        if acted is not None and acted.proposal is not None and last_action is not None:
            lines.append(f"{_call_text(acted.proposal.tool_call.name, acted.proposal.tool_call.arguments)}: ")
            lines[-1] += last_action.result
        if step.status == StepStatus.INVALID and step.result is not None:
            lines.append(f"The LLM's reply could not be used: {step.result.output}")
        if proposal is not None:
            call = proposal.tool_call
            if proposal.thoughts:
                lines.append(proposal.thoughts)
            tool = self.runtime.tools.get(call.name)
            if tool is not None and tool.kind == "ask_user":
                lines.append(f"The agent asks: {call.arguments.get('question', '')} (answer as the next input)")
            else:
                lines.append(
                    f"Proposed: {_call_text(call.name, call.arguments)}. "
                    "Post an empty step to run it, or text as feedback."
                )
        if is_last:
            lines.append(f"Task {task.status}: {task.end_reason}")
        artifacts = []
        if acted is not None and acted.proposal is not None and acted.status == StepStatus.DONE:
            filename = acted.proposal.tool_call.arguments.get("filename")
            if isinstance(filename, str) and (found := by_path.get(_artifact_path(task, filename))):
                artifacts.append(found)
        return StepReport(
            step_id=step.id,
            task_id=task.id,
            name=step.proposal.tool_call.name if step.proposal else None,
            input=acted.decision.text if acted is not None and acted.decision and acted.decision.text else None,
            status="running" if step.status == StepStatus.EXECUTING else "completed",
            output="\n\n".join(lines),
            proposal=ProposalReport(
                thoughts=proposal.thoughts, name=proposal.tool_call.name, arguments=proposal.tool_call.arguments
            )
            if proposal
            else None,
            last_action=last_action,
            usage=step.usage,
            task_cumulative_usage=cumulative,
            llm_seconds=step.llm_seconds,
            is_last=is_last,
            task_status=task.status,
            artifacts=artifacts,
            created_at=step.created_at,
        )

    # -- driving
    async def step(self, task_id: str, text: str) -> StepReport:
        """Decide the pending proposal with `text`, then propose the next action (or end the task)."""
        task = self._task(task_id)
        if task.status != TaskStatus.RUNNING:
            raise TaskOver(f"task {task_id} has ended ({task.status}: {task.end_reason}); it takes no more steps")
        async with self._driving(task_id):
            task = self._task(task_id)  # what the last driver left, now that we hold the lease
            if task.status != TaskStatus.RUNNING:
                raise TaskOver(f"task {task_id} has ended ({task.status}: {task.end_reason})")
            agent = self.runtime.agent(task)
            await self._advance(agent, text)
            steps = agent.steps()
            return self._reports(agent.task, steps, [len(steps) - 1])[0]

    async def _advance(self, agent: Agent, text: str) -> None:
        pending = agent.recover()
        try:
            if pending is not None:
                try:
                    await agent.decide(pending, decision_for(agent.tool_of(pending).kind, text))
                except StepConflict as e:
                    raise TaskBusy(str(e)) from None
            while agent.task.status == TaskStatus.RUNNING:
                if reason := agent.limit_reached():
                    agent.end(TaskStatus.STOPPED, reason)
                    break
                step = await agent.think()
                if step.status != StepStatus.INVALID:
                    break
                if agent.task.state.consecutive_failures >= MAX_CONSECUTIVE_FAILURES:
                    agent.end(
                        TaskStatus.FAILED,
                        f"{MAX_CONSECUTIVE_FAILURES} unusable LLM replies in a row; "
                        f"the last: {step.result.output if step.result else ''}",
                    )
        except TimeoutError:
            agent.end(TaskStatus.STOPPED, f"time limit reached ({agent.task.config.limits.max_seconds:g} s)")
        except LLMError as e:
            raise LLMUnavailable(f"{e}; the task is unchanged, post the step again to retry") from None

    @asynccontextmanager
    async def _driving(self, task_id: str) -> AsyncIterator[None]:
        """Hold the task's lease (renewed while a step runs) and a per-process guard for one step."""
        if task_id in self._busy:
            raise TaskBusy(f"a step of task {task_id} is already running; post the next one when it returns")
        try:
            self.store.acquire_lease(task_id, self._owner, LEASE_TTL)
        except LeaseHeld as e:
            raise TaskBusy(f"{e}; steps cannot be posted for it until that process stops driving it") from None
        self._busy.add(task_id)

        async def heartbeat() -> None:
            while True:
                await asyncio.sleep(LEASE_TTL / 3)
                self.store.renew_lease(task_id, self._owner, LEASE_TTL)

        beat = asyncio.create_task(heartbeat())
        try:
            yield
        finally:
            beat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await beat
            await self.runtime.release(task_id)
            self._busy.discard(task_id)
            self.store.release_lease(task_id, self._owner)

    # -- files in and out
    def artifacts(self, task_id: str, offset: int, limit: int) -> Page[Artifact]:
        self._task(task_id)
        artifacts = self.store.list_artifacts(task_id)
        return Page(items=artifacts[offset : offset + limit], total=len(artifacts))

    def _workspace(self, task: Task) -> Workspace:
        try:
            return self.runtime.workspace(task)
        except (OSError, NotADirectoryError):
            raise NotFound(f"the workspace of task {task.id} no longer exists") from None

    def add_file(self, task_id: str, folder: str | None, filename: str | None, data: bytes) -> Artifact:
        """Put an uploaded file into the task's workspace (in `folder`, relative to it) and list it as an artifact."""
        task = self._task(task_id)
        if len(data) > MAX_UPLOAD_BYTES:
            raise Invalid(f"the file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB")
        name = os.path.basename((filename or "").replace("\\", "/")) or "upload"
        workspace = self._workspace(task)
        try:
            relative = workspace.write_bytes(os.path.join(folder or "", name), data)
        except PathOutsideWorkspace as e:
            raise Forbidden(str(e)) from None
        except (OSError, ValueError) as e:
            raise Invalid(f"cannot store {name!r} in {folder or 'the workspace'}: {e}") from None
        return self.store.add_artifact(task_id, relative, agent_created=False)

    def artifact_file(self, task_id: str, artifact_id: str) -> tuple[Artifact, bytes]:
        """An artifact and its file's contents, read confined to the workspace like every other file access."""
        task = self._task(task_id)
        artifact = self.store.get_artifact(artifact_id)
        if artifact is None or artifact.task_id != task_id:
            raise NotFound(f"task {task_id} has no artifact {artifact_id!r}")
        try:
            return artifact, self._workspace(task).read_bytes(artifact.relative_path)
        except PathOutsideWorkspace as e:
            raise Forbidden(str(e)) from None
        except OSError:
            raise NotFound(f"the file of artifact {artifact_id} ({artifact.relative_path}) no longer exists") from None
