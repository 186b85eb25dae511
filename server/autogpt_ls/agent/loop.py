"""One task's two moves over the seams: `think` (ask the LLM for one action and store the proposal) and `decide`
(apply a decision to the pending proposal: run it, record feedback, or stop). The driver (`agent/driver.py`)
sequences them; the Agent knows no transport and no front end.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from typing import Any

from pydantic import ValidationError

from autogpt_ls.agent.approval import NO_RULES, ApprovalRules
from autogpt_ls.agent.autocommit import AutoCommit
from autogpt_ls.agent.conversation import Conversation
from autogpt_ls.agent.decisions import account, for_tool
from autogpt_ls.agent.errors import NotWaiting, TaskBusy
from autogpt_ls.agent.events import (
    CommandOutput,
    EventSink,
    PlanChanged,
    Preparing,
    StepCompleted,
    TaskEnded,
    Thinking,
)
from autogpt_ls.agent.fast_llm import FastLLM
from autogpt_ls.agent.parsing import UnusableReply, parse_reply
from autogpt_ls.agent.rules import nested_rules
from autogpt_ls.agent.undo import checkpointed
from autogpt_ls.changes import Preview
from autogpt_ls.checkpoints import Checkpoints
from autogpt_ls.executors.base import Executor, Progress
from autogpt_ls.llm.base import BadReply
from autogpt_ls.llm.pricing import usage_of
from autogpt_ls.models import Decision, DecisionKind, Result, Step, StepStatus, Usage
from autogpt_ls.secrets_mask import NO_SECRETS, SecretMask
from autogpt_ls.store import Store
from autogpt_ls.task_models import SavedShell, TaskStatus
from autogpt_ls.tools.base import Buffers, ShellPolicy, Tool, ToolContext, ToolRefused, no_buffers
from autogpt_ls.tools.shell_policy import ShellCommandDenied
from autogpt_ls.workspace import PathOutsideWorkspace

log = logging.getLogger(__name__)
REFUSALS = (UnusableReply, ToolRefused, PathOutsideWorkspace, ShellCommandDenied, OSError)
_STATUS_FOR = {
    DecisionKind.APPROVE: StepStatus.EXECUTING,
    DecisionKind.ANSWER: StepStatus.EXECUTING,
    DecisionKind.FEEDBACK: StepStatus.FEEDBACK,
    DecisionKind.REJECT: StepStatus.REJECTED,
}


class Agent:
    """One task's moves over a ChatProvider, a ToolRegistry, an Executor and the Store."""

    def __init__(
        self,
        llm: Conversation,
        *,
        store: Store,
        executor: Executor,
        shell: ShellPolicy,
        emit: EventSink,
        buffers: Buffers = no_buffers,
        secrets: SecretMask = NO_SECRETS,
        checkpoints: Checkpoints | None = None,
        auto_commit: bool = False,
        approval: ApprovalRules = NO_RULES,
    ) -> None:
        self.task = task = llm.task
        self.store = store
        self.tools = llm.tools  # the registry the LLM is offered is the one its proposals are checked against
        self.executor = executor
        executor.resume(task.state.shell)  # the last command may have run in another process
        self.checkpoints = checkpoints  # None: CHECKPOINTS=False, steps are not undoable
        self.auto_commit = AutoCommit(executor.workspace.root, task) if auto_commit else None  # GIT_AUTO_COMMIT
        self.emit = emit
        self.rules = llm.rules  # the project's rules files, read when the task's driver started
        self.approval = approval  # AUTO_APPROVE, AUTO_APPROVE_COMMANDS: what runs without asking (the driver asks it)
        self._llm = llm
        self._steps: list[Step] = []  # this task's steps, loaded by recover(); the Agent is their only writer
        self._running_step = ""
        self.ctx = ToolContext(
            executor=executor,
            shell=shell,
            on_output=self._on_output,
            on_progress=self._on_progress,
            buffers=buffers,
            secrets=secrets,
            plan=task.state.plan,
            network=task.config.network,
            ask_llm=FastLLM(task, llm.summarizers),
        )

    # -- events
    def _on_output(self, text: str) -> None:
        self.emit(CommandOutput(task_id=self.task.id, step_id=self._running_step, text=text))

    def _on_progress(self, progress: Progress) -> None:
        self.emit(Preparing(task_id=self.task.id, step_id=self._running_step, **progress.model_dump()))

    # -- state
    def steps(self) -> list[Step]:
        return self._steps

    def _remember(self, step: Step) -> None:
        if step.index < len(self._steps):
            self._steps[step.index] = step
        else:
            self._steps.append(step)

    def tool_of(self, step: Step) -> Tool:
        assert step.proposal is not None
        tool = self.tools.get(step.proposal.tool_call.name)
        assert tool is not None, "proposals are validated against the registry"
        return tool

    def preview(self, step: Step) -> Preview | None:
        """What the step would change, recomputed from the workspace as it is now."""
        tool = self.tool_of(step)
        try:
            return tool.preview(self.ctx, tool.validate(step.proposal.tool_call.arguments))  # type: ignore[union-attr]
        except (*REFUSALS, ValidationError):
            return None

    async def recover(self, steps: list[Step]) -> Step | None:
        """Take the task's steps as read under its lease; after a restart a step caught executing is marked
        interrupted, never run again.

        Returns the step still waiting for a decision, if any.
        """
        self._steps = steps
        pending = None
        for step in self._steps:
            if step.status == StepStatus.EXECUTING:
                step.status = StepStatus.INTERRUPTED
                step.result = Result.error("autogpt-ls stopped while this action ran; its outcome is unknown.")
                await self.store.save_step(step)
            elif (
                step.status == StepStatus.AWAITING
                and step.proposal
                and not self.tools.get(step.proposal.tool_call.name)
            ):
                # the user disabled this tool since it was proposed: tell the LLM instead of asking anyone
                step.status = StepStatus.INVALID
                step.result = Result.error(f"The tool {step.proposal.tool_call.name!r} is no longer available.")
                await self.store.save_step(step)
            elif step.status == StepStatus.AWAITING:
                pending = step
        return pending

    async def end(self, status: TaskStatus, reason: str) -> None:
        self.task.status = status
        self.task.end_reason = reason
        await self.store.save_task(self.task)
        self.emit(TaskEnded(task=self.task))

    @asynccontextmanager
    async def _clock(self) -> AsyncIterator[None]:
        """Count the agent's own time (not the human's) and cut it off at the time limit."""
        limit = self.task.config.limits.max_seconds
        remaining = None if limit is None else max(limit - self.task.state.elapsed_seconds, 0.0)
        start = time.monotonic()
        try:
            async with asyncio.timeout(remaining):
                yield
        finally:
            self.task.state.elapsed_seconds += time.monotonic() - start

    # -- think
    async def think(self) -> Step:
        """Ask the LLM for the next action and store it: awaiting a decision, or invalid with the error."""
        state = self.task.state
        self.emit(Thinking(task_id=self.task.id, step_index=state.steps))
        step = Step(task_id=self.task.id, index=state.steps, status=StepStatus.AWAITING)
        started = time.monotonic()
        async with self._clock(), self.checkpoints.set_up_meanwhile() if self.checkpoints else nullcontext():
            try:
                reply = await self._llm.chat(self._steps, state.steps)
            except BadReply as e:
                reply = None
                step.raw_reply = e.raw
                step.status, step.result = StepStatus.INVALID, Result.error(f"Your reply could not be read: {e}")
        step.llm_seconds = time.monotonic() - started
        if reply is not None:
            step.raw_reply = reply.content or "".join(f"{c.name}({c.arguments})" for c in reply.tool_calls)
            step.usage = usage_of(self.task.config.smart_llm, reply)
            self._propose(step, reply)
        state.steps += 1
        state.usage = state.usage + step.usage
        state.consecutive_failures = state.consecutive_failures + 1 if step.status == StepStatus.INVALID else 0
        async with self.store.atomic():
            await self.store.add_step(step)
            await self.store.save_task(self.task)
        self._remember(step)
        if step.status == StepStatus.INVALID:
            self.emit(StepCompleted(task_id=self.task.id, step=step))
        return step

    async def consult(self, request: str) -> tuple[str, Usage]:
        """One LLM call outside the steps (self-feedback), on the agent's clock: its text and usage."""
        async with self._clock():
            return await self._llm.consult(self._steps, request)

    def _propose(self, step: Step, reply: Any) -> None:
        try:
            step.proposal = parse_reply(reply, self.tools)
            tool = self.tool_of(step)
            tool.check(self.ctx, tool.validate(step.proposal.tool_call.arguments))
        except REFUSALS as e:
            step.status, step.result = StepStatus.INVALID, Result.error(str(e))

    # -- decide
    async def decide(self, step: Step, decision: Decision) -> Step:
        """Apply a decision to an awaiting step: run it, record feedback, or stop the task."""
        if step.status != StepStatus.AWAITING or step.task_id != self.task.id:
            raise NotWaiting(f"step {step.id} is not waiting for a decision (it is {step.status})")
        tool = self.tool_of(step)
        step.decision = decision = for_tool(decision, tool.kind)
        step.status = _STATUS_FOR[decision.kind]
        account(self.task.state, decision)
        if tool.kind == "command" and step.status == StepStatus.EXECUTING and self.task.state.shell is None:
            self.task.state.shell = SavedShell()  # stored with the claim: from now on the task may have a sandbox
        await self.claim(step)
        if step.status == StepStatus.EXECUTING:
            plan = [item.model_copy() for item in self.task.state.plan]
            await self._execute(step, tool, decision)
            if self.task.state.plan != plan:
                now = [item.model_copy() for item in self.task.state.plan]
                self.emit(PlanChanged(task_id=self.task.id, step_id=step.id, plan=now))
        self.emit(StepCompleted(task_id=self.task.id, step=step))
        if step.status == StepStatus.REJECTED:
            await self.end(TaskStatus.STOPPED, "The user rejected the proposed action (n).")
        elif tool.kind == "finish" and step.status == StepStatus.DONE:
            await self.end(TaskStatus.FINISHED, str(step.proposal.tool_call.arguments.get("reason", "")))  # type: ignore[union-attr]
        return step

    async def claim(self, step: Step, *moved: Step) -> None:
        """Store the decision on an awaiting step with the task (and the steps an undo or redo `moved`), in one
        transaction: TaskBusy if another driver decided it first."""
        async with self.store.atomic():
            if not await self.store.claim_step(step):
                raise TaskBusy(f"step {step.id} was already decided")
            for done in moved:
                await self.store.save_step(done)
            await self.store.save_task(self.task)
        self._remember(step)

    def _checkpointed(self, step: Step, tool: Tool) -> AbstractAsyncContextManager[None]:
        """A step that can change files (a write, any command, a generated image) is checkpointed before and after."""
        if self.checkpoints is None or (tool.kind not in ("write", "command") and not tool.writes):
            return nullcontext()
        return checkpointed(self.checkpoints, step, self._steps[: step.index], self.auto_commit)

    async def _execute(self, step: Step, tool: Tool, decision: Decision) -> None:
        assert step.proposal is not None
        self._running_step, self.ctx.answer = step.id, decision.text
        try:
            async with self._clock(), self._checkpointed(step, tool):
                step.result = await tool.run(self.ctx, tool.validate(step.proposal.tool_call.arguments))
            if tool.kind in ("read", "write"):
                arguments, seen = step.proposal.tool_call.arguments, self.task.state.nested_rules
                step.result = nested_rules(self.ctx, arguments, step.result, seen)
            step.status = StepStatus.DONE
        except (TimeoutError, asyncio.CancelledError):
            step.status, step.result = StepStatus.INTERRUPTED, Result.error("Stopped before the action completed.")
            raise
        except (*REFUSALS, ValidationError) as e:
            step.status, step.result = StepStatus.DONE, Result.error(self.ctx.secrets(str(e)))
        except Exception as e:  # a tool's bug must become an observation, not a crashed loop
            failure = f"{tool.name} failed: {type(e).__name__}: {e}"
            step.status, step.result = StepStatus.DONE, Result.error(self.ctx.secrets(failure))
        finally:
            shell = self.executor.saved_shell()
            if shell is not None:
                self.task.state.shell = shell.masked(self.ctx.secrets)
            async with self.store.atomic():
                await self.store.save_step(step)
                await self.store.save_task(self.task)
                if step.result is not None and step.result.ok and step.result.files:
                    await self.store.add_artifacts(self.task.id, step.result.files, agent_created=True)
