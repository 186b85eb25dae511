"""AutoGPT's loop: think, propose one action, wait for a decision, execute, observe, until `finish`.

The loop knows no transport. `think` and `decide` are the two moves a step-driven front end (the Agent
Protocol) calls; `run` drives them with an `ask` callback for interactive front ends (terminal, LSP).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from pydantic import ValidationError

from autogpt_ls.agent.decisions import automatic
from autogpt_ls.agent.events import (
    CommandOutput,
    Event,
    EventSink,
    ProposalMade,
    StepCompleted,
    TaskEnded,
    Thinking,
    ThinkingDelta,
)
from autogpt_ls.agent.parsing import UnusableReply, parse_reply
from autogpt_ls.agent.prompt import History
from autogpt_ls.executors.base import Executor
from autogpt_ls.llm.base import BadReply, ChatProvider, ChatReply, LLMError, ToolsUnsupported
from autogpt_ls.llm.pricing import cost_usd
from autogpt_ls.llm.registry import split_model
from autogpt_ls.models import (
    Decision,
    DecisionKind,
    Result,
    Step,
    StepStatus,
    Task,
    TaskStatus,
    Usage,
)
from autogpt_ls.secrets_mask import NO_SECRETS, SecretMask
from autogpt_ls.store import Store
from autogpt_ls.tools.base import Buffers, Preview, ShellPolicy, Tool, ToolContext, ToolRefused, no_buffers
from autogpt_ls.tools.registry import ToolRegistry
from autogpt_ls.tools.shell_policy import ShellCommandDenied
from autogpt_ls.workspace import PathOutsideWorkspace

log = logging.getLogger(__name__)
Ask = Callable[[Step], Awaitable[Decision]]
MAX_CONSECUTIVE_FAILURES = 3
REFUSALS = (UnusableReply, ToolRefused, PathOutsideWorkspace, ShellCommandDenied, OSError)
_STATUS_FOR = {
    DecisionKind.APPROVE: StepStatus.EXECUTING,
    DecisionKind.ANSWER: StepStatus.EXECUTING,
    DecisionKind.FEEDBACK: StepStatus.FEEDBACK,
    DecisionKind.REJECT: StepStatus.REJECTED,
}


class StepConflict(RuntimeError):
    """The step is not waiting for a decision (already decided, or not the task's pending step)."""


class Agent:
    """One task's loop over the seams: a ChatProvider, a ToolRegistry, an Executor and the Store."""

    def __init__(
        self,
        task: Task,
        *,
        store: Store,
        provider: ChatProvider,
        tools: ToolRegistry,
        executor: Executor,
        shell: ShellPolicy,
        native_tools: bool = True,
        emit: EventSink | None = None,
        buffers: Buffers = no_buffers,
        secrets: SecretMask = NO_SECRETS,
    ) -> None:
        self.task = task
        self.store = store
        self.tools = tools
        self.executor = executor
        self._provider = provider
        self._emit_to = emit
        self._model = split_model(task.config.smart_llm)[1]
        self._use_json_replies(not (native_tools and provider.tool_calling(self._model)))
        self._steps: list[Step] | None = None  # this task's steps; the Agent is their only writer
        self._running_step = ""
        self.ctx = ToolContext(
            executor=executor, shell=shell, on_output=self._on_output, buffers=buffers, secrets=secrets
        )

    def _use_json_replies(self, json_replies: bool) -> None:
        """Native tool calls, or the JSON-reply fallback for models without function calling."""
        self._native_tools = not json_replies
        self._history = History(self.task, self.tools.specs(), self._native_tools)

    # -- events
    def _emit(self, event: Event) -> None:
        if self._emit_to:
            self._emit_to(event)

    def _on_output(self, text: str) -> None:
        self._emit(CommandOutput(task_id=self.task.id, step_id=self._running_step, text=text))

    # -- state
    def steps(self) -> list[Step]:
        if self._steps is None:
            self._steps = self.store.get_steps(self.task.id)
        return self._steps

    def _remember(self, step: Step) -> None:
        steps = self.steps()
        if step.index < len(steps):
            steps[step.index] = step
        else:
            steps.append(step)

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

    def recover(self) -> Step | None:
        """After a restart: a step caught executing is marked interrupted, never run again.

        Returns the step still waiting for a decision, if any.
        """
        pending = None
        for step in self.steps():
            if step.status == StepStatus.EXECUTING:
                step.status = StepStatus.INTERRUPTED
                step.result = Result.error("autogpt-ls stopped while this action ran; its outcome is unknown.")
                self.store.save_step(step)
            elif (
                step.status == StepStatus.AWAITING
                and step.proposal
                and not self.tools.get(step.proposal.tool_call.name)
            ):
                # the user disabled this tool since it was proposed: tell the LLM instead of asking anyone
                step.status = StepStatus.INVALID
                step.result = Result.error(f"The tool {step.proposal.tool_call.name!r} is no longer available.")
                self.store.save_step(step)
            elif step.status == StepStatus.AWAITING:
                pending = step
        return pending

    def limit_reached(self) -> str | None:
        limits, state, config = self.task.config.limits, self.task.state, self.task.config
        if limits.max_steps is not None and state.steps >= limits.max_steps:
            return f"step limit reached ({limits.max_steps} steps)"
        cost = state.usage.cost_usd
        if limits.max_cost_usd is not None and cost is not None and cost >= limits.max_cost_usd:
            return f"cost limit reached (${cost:.4f} of ${limits.max_cost_usd:.2f})"
        if limits.max_seconds is not None and state.elapsed_seconds >= limits.max_seconds:
            return f"time limit reached ({limits.max_seconds:g} s)"
        if config.continuous and config.continuous_limit is not None and state.auto_approved >= config.continuous_limit:
            return f"continuous limit reached ({config.continuous_limit} steps)"
        return None

    def end(self, status: TaskStatus, reason: str) -> None:
        self.task.status = status
        self.task.end_reason = reason
        self.store.save_task(self.task)
        self._emit(TaskEnded(task=self.task))

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

    # -- the two moves
    async def think(self) -> Step:
        """Ask the LLM for the next action and store it: awaiting a decision, or invalid with the error."""
        state = self.task.state
        self._emit(Thinking(task_id=self.task.id, step_index=state.steps))
        step = Step(task_id=self.task.id, index=state.steps, status=StepStatus.AWAITING)
        started = time.monotonic()
        async with self._clock():
            try:
                reply = await self._chat(state.steps)
            except BadReply as e:
                reply = None
                step.raw_reply = e.raw
                step.status, step.result = (
                    StepStatus.INVALID,
                    Result.error(f"Your reply could not be read: {e}"),
                )
        step.llm_seconds = time.monotonic() - started
        if reply is not None:
            step.raw_reply = reply.content or "".join(f"{c.name}({c.arguments})" for c in reply.tool_calls)
            step.usage = Usage(
                prompt_tokens=reply.prompt_tokens,
                completion_tokens=reply.completion_tokens,
                cost_usd=cost_usd(self.task.config.smart_llm, reply.prompt_tokens, reply.completion_tokens),
            )
            self._propose(step, reply)
        state.steps += 1
        state.usage = state.usage + step.usage
        state.consecutive_failures = state.consecutive_failures + 1 if step.status == StepStatus.INVALID else 0
        with self.store.atomic():
            self.store.add_step(step)
            self.store.save_task(self.task)
        self._remember(step)
        if step.status == StepStatus.INVALID:
            self._emit(StepCompleted(task_id=self.task.id, step=step))
        return step

    async def _chat(self, index: int) -> ChatReply:
        """One LLM call; its text streams out as ThinkingDelta events. A model whose server refuses tools is
        asked again at once, for a JSON reply."""

        def on_text(text: str) -> None:
            self._emit(ThinkingDelta(task_id=self.task.id, step_index=index, text=text))

        try:
            tools = self.tools.specs() if self._native_tools else None
            return await self._provider.chat(self._model, self._history.messages(self.steps()), tools, on_text)
        except ToolsUnsupported as e:
            if not self._native_tools:
                raise
            log.info("task %s: %s; switching to JSON replies", self.task.id, e)
            self._use_json_replies(True)
            return await self._provider.chat(self._model, self._history.messages(self.steps()), None, on_text)

    def _propose(self, step: Step, reply: Any) -> None:
        try:
            step.proposal = parse_reply(reply, self.tools)
            tool = self.tool_of(step)
            tool.check(self.ctx, tool.validate(step.proposal.tool_call.arguments))
        except REFUSALS as e:
            step.status, step.result = StepStatus.INVALID, Result.error(str(e))

    async def decide(self, step: Step, decision: Decision) -> Step:
        """Apply a decision to an awaiting step: run it, record feedback, or stop the task."""
        if step.status != StepStatus.AWAITING or step.task_id != self.task.id:
            raise StepConflict(f"step {step.id} is not waiting for a decision (it is {step.status})")
        tool = self.tool_of(step)
        if decision.kind == DecisionKind.ANSWER and tool.kind != "ask_user":
            decision = Decision(kind=DecisionKind.FEEDBACK, text=decision.text)
        step.decision = decision
        step.status = _STATUS_FOR[decision.kind]
        state = self.task.state
        if decision.auto and state.auto_approve_remaining > 0:
            state.auto_approve_remaining -= 1
        elif decision.auto:
            state.auto_approved += 1
        elif decision.kind == DecisionKind.APPROVE:
            state.auto_approve_remaining = decision.times - 1
        with self.store.atomic():
            if not self.store.claim_step(step):
                raise StepConflict(f"step {step.id} was already decided")
            self.store.save_task(self.task)
        self._remember(step)
        if step.status == StepStatus.EXECUTING:
            await self._execute(step, tool, decision)
        self._emit(StepCompleted(task_id=self.task.id, step=step))
        if step.status == StepStatus.REJECTED:
            self.end(TaskStatus.STOPPED, "The user rejected the proposed action (n).")
        elif tool.kind == "finish" and step.status == StepStatus.DONE:
            self.end(TaskStatus.FINISHED, str(step.proposal.tool_call.arguments.get("reason", "")))  # type: ignore[union-attr]
        return step

    async def _execute(self, step: Step, tool: Tool, decision: Decision) -> None:
        assert step.proposal is not None
        self._running_step, self.ctx.answer = step.id, decision.text
        try:
            async with self._clock():
                step.result = await tool.run(self.ctx, tool.validate(step.proposal.tool_call.arguments))
            step.status = StepStatus.DONE
        except (TimeoutError, asyncio.CancelledError):
            step.status, step.result = (
                StepStatus.INTERRUPTED,
                Result.error("Stopped before the action completed."),
            )
            raise
        except (*REFUSALS, ValidationError) as e:
            step.status, step.result = StepStatus.DONE, Result.error(self.ctx.secrets(str(e)))
        except Exception as e:  # a tool's bug must become an observation, not a crashed loop
            step.status, step.result = (
                StepStatus.DONE,
                Result.error(self.ctx.secrets(f"{tool.name} failed: {type(e).__name__}: {e}")),
            )
        finally:
            with self.store.atomic():
                self.store.save_step(step)
                self.store.save_task(self.task)
        if tool.kind == "write" and step.result.ok:
            try:
                path = self.executor.workspace.resolve(step.proposal.tool_call.arguments["filename"])
            except (PathOutsideWorkspace, OSError) as e:  # the path changed since the write (a folder swapped)
                step.result = Result.error(f"{step.result.output}\nThe file was not listed as an artifact: {e}")
                self.store.save_step(step)
            else:
                self.store.add_artifact(self.task.id, self.executor.workspace.relative(path), agent_created=True)

    # -- the interactive driver
    async def run(self, ask: Ask) -> Task:
        """Loop until the task ends; `ask` gets the human's decision for proposals that need one."""
        pending = self.recover()
        try:
            while self.task.status == TaskStatus.RUNNING:
                step, pending = pending, None
                if step is None:
                    if reason := self.limit_reached():
                        self.end(TaskStatus.STOPPED, reason)
                        break
                    step = await self.think()
                if step.status == StepStatus.INVALID:
                    if self.task.state.consecutive_failures >= MAX_CONSECUTIVE_FAILURES:
                        self.end(
                            TaskStatus.FAILED,
                            f"{MAX_CONSECUTIVE_FAILURES} unusable LLM replies in a row; "
                            f"the last: {step.result.output if step.result else ''}",
                        )
                    continue
                decision = automatic(self.task, self.tool_of(step).kind)
                self._emit(
                    ProposalMade(
                        task_id=self.task.id,
                        step=step,
                        preview=self.preview(step),
                        where=self.executor.where(),
                        auto=decision is not None,
                    )
                )
                await self.decide(step, decision or await ask(step))
        except TimeoutError:
            self.end(TaskStatus.STOPPED, f"time limit reached ({self.task.config.limits.max_seconds:g} s)")
        except LLMError as e:
            self.end(TaskStatus.FAILED, f"LLM error: {e}")
        except asyncio.CancelledError as e:
            self.end(TaskStatus.STOPPED, str(e.args[0]) if e.args else "cancelled")
            raise
        except Exception as e:  # our bug must end the task visibly (and resumably), not leave it "running"
            log.exception("task %s failed", self.task.id)
            self.end(TaskStatus.FAILED, f"internal error: {type(e).__name__}: {e}")
        return self.task
