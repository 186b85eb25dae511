"""The one task driver every front end uses: `advance(decision)` applies a decision (or none, to start or resume)
and runs the task until a proposal waits for a human or the task ends.

Its rules, each kept in one module: the hard limits (`limits.py`), automatic approval by an approval rule,
`y -N` credit or continuous mode (`decisions.py`, `approval.py`), and the ending rules here (three unusable
replies, the time limit, an LLM outage, cancellation, our own bugs). A driver exists only while its process holds
the task's lease (`Runtime.driving`): the terminal and the editor hold it while they wait for the human, an HTTP
step for its request.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from autogpt_ls.agent import loop_guard, self_feedback, staged, undo
from autogpt_ls.agent.decisions import automatic
from autogpt_ls.agent.editor import DiagnosticsFeed
from autogpt_ls.agent.errors import Conflict, CoreError, InvalidInput, LLMUnavailable, NotWaiting
from autogpt_ls.agent.events import ProposalMade, RewindRefused, StepCompleted
from autogpt_ls.agent.limits import limit_reached, time_limit, too_many_failures
from autogpt_ls.agent.loop import Agent
from autogpt_ls.changes import Preview
from autogpt_ls.llm.base import LLMError
from autogpt_ls.models import Decision, DecisionKind, DecisionSource, Result, Step, StepStatus, ToolKind
from autogpt_ls.task_models import Task, TaskStatus
from autogpt_ls.tools.base import Tool

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Pending:
    """A proposal that waits for a human decision."""

    task: Task
    step: Step
    preview: Preview | None


@dataclass(frozen=True)
class Ended:
    task: Task


Outcome = Pending | Ended
Ask = Callable[[Step], Awaitable[Decision]]


class Driver:
    """Drives one task; `step_driven` (a client that posts each step, over HTTP) leaves the task unchanged, still
    running, on an LLM outage or a cancelled request (the server shutting down), for the client to post the step
    again, here or to another server, instead of failing or stopping it; `diagnostics`: the editor's report on
    each approved edit, waited for before the next LLM call."""

    def __init__(
        self,
        agent: Agent,
        pending: Step | None,
        *,
        step_driven: bool = False,
        diagnostics: DiagnosticsFeed | None = None,
    ) -> None:
        self.agent = agent
        self.task = agent.task
        self.pending = pending
        self._step_driven = step_driven
        self._ask_next = False  # the proposal after a self-feedback waits for the human
        self._diagnostics = diagnostics

    async def advance(self, decision: Decision | None = None) -> Outcome:
        """Decide the pending proposal (None: show it again, or think the first one), then go on."""
        try:
            if decision is None and self.pending is not None:
                if await staged.gone(self.agent, self.pending):
                    self.pending = None
                    return await self._run()
                return await self._offer(self.pending) or await self._run()
            if decision is not None and decision.kind in undo.REWINDS:
                await self._rewind(decision)
            elif decision is not None and decision.kind == DecisionKind.SELF_FEEDBACK:
                await self._self_feedback(decision)
            elif decision is not None:
                step, self.pending = self._waiting(), None
                await self._decide(step, decision)
                staged.settle(self.agent, step)
            return await self._run()
        except TimeoutError:
            await self.agent.end(TaskStatus.STOPPED, time_limit(self.task))
        except LLMError as e:
            if self._step_driven:
                raise LLMUnavailable(f"{e}; the task is unchanged, post the step again to retry") from None
            await self.agent.end(TaskStatus.FAILED, f"LLM error: {e}")
        except asyncio.CancelledError as e:
            if not self._step_driven:
                await self.cancelled(e)
            raise
        except CoreError:
            raise
        except Exception as e:  # our bug must end the task visibly (and resumably), not leave it "running"
            log.exception("task %s failed", self.task.id)
            await self.agent.end(TaskStatus.FAILED, f"internal error: {type(e).__name__}: {e}")
        return Ended(self.task)

    async def cancelled(self, error: asyncio.CancelledError) -> None:
        """The front end cancelled the task (the user, or the editor shutting down): it stops, resumably."""
        await self.agent.end(TaskStatus.STOPPED, str(error.args[0]) if error.args else "cancelled")

    async def _rewind(self, decision: Decision) -> None:
        """Undo or redo instead of the pending proposal, which is discarded (it was made on the files before);
        the LLM is told what was rolled back and proposes again. A refusal leaves the proposal pending."""
        step, agent = self._waiting(), self.agent
        if agent.checkpoints is None:
            raise InvalidInput("checkpoints are off (CHECKPOINTS=False), so no step can be undone or redone")
        move = undo.undo if decision.kind == DecisionKind.UNDO else undo.redo
        moved = await move(agent.checkpoints, self.task, agent.steps(), decision)
        if agent.auto_commit:
            what = "undo" if decision.kind == DecisionKind.UNDO else "redo"
            await agent.auto_commit.record(undo.files_of(moved), f"autogpt: {what} of step {undo.shown(moved)}")
        step.decision, step.status = decision, StepStatus.FEEDBACK
        step.result = Result(ok=True, output=undo.report(decision.kind, moved))
        await agent.claim(step, *moved)
        self.pending = None
        agent.emit(StepCompleted(task_id=self.task.id, step=step))

    async def _self_feedback(self, decision: Decision) -> None:
        """The LLM critiques the pending proposal (within the limits); it is kept as revised, and the next
        proposal, made with the critique, waits for the human even under `y -N` credit or continuous mode."""
        step = self._waiting()
        if reason := limit_reached(self.task):
            await self.agent.end(TaskStatus.STOPPED, reason)
            return
        await self_feedback.revise(self.agent, step, decision)
        self.pending, self._ask_next = None, True

    def _waiting(self) -> Step:
        if self.task.status != TaskStatus.RUNNING:
            raise NotWaiting(f"task {self.task.id} has ended ({self.task.status}: {self.task.end_reason})")
        if self.pending is None:
            raise NotWaiting(f"task {self.task.id} has no step waiting for a decision right now")
        return self.pending

    async def _run(self) -> Outcome:
        """Think and decide automatically until a proposal needs a human or the task ends."""
        while self.task.status == TaskStatus.RUNNING:
            if reason := limit_reached(self.task):
                await self.agent.end(TaskStatus.STOPPED, reason)
                break
            step = await staged.review(self.agent) or await self.agent.think()
            if step.status == StepStatus.INVALID:
                if reason := too_many_failures(self.task, step):
                    await self.agent.end(TaskStatus.FAILED, reason)
                continue
            if pending := await self._offer(step):
                return pending
        return Ended(self.task)

    async def _offer(self, step: Step) -> Pending | None:
        """Show a proposal; run it at once when approval is automatic, else it waits (returned as Pending). A
        repeat the loop guard catches is not run the first time (the LLM is told why), then waits for a human."""
        tool = self.agent.tool_of(step)
        kind = tool.kind
        shown = self.task.state.memory.compacted
        earlier = self.agent.steps()[: step.index]
        verdict = None if kind == "ask_user" else loop_guard.check(earlier, step, self._kind, shown)
        rule = self._rule(tool, step)
        auto = automatic(self.task, kind, rule) if verdict is None and not self._ask_next else None
        self._ask_next = False
        if verdict is not None and not verdict.escalate:
            auto = Decision(kind=DecisionKind.FEEDBACK, text=verdict.observation, source=DecisionSource.RULE)
        preview = self.agent.preview(step)
        guard = verdict.reason if verdict else ""
        call, workspace = step.proposal.tool_call, self.agent.executor.workspace  # type: ignore[union-attr]
        files = loop_guard.named_files(call, workspace) if verdict is not None and auto is None else []
        made = ProposalMade(task_id=self.task.id, step=step, preview=preview, guard=guard, files=files, decision=auto)
        self.agent.emit(made)
        self.pending = step if auto is None else None
        if auto is None:
            return Pending(self.task, step, preview)
        await self._decide(step, auto)
        return None

    def _rule(self, tool: Tool, step: Step) -> str:
        """The approval rule that lets this step run unasked; none for a command whose executor would first start
        code the user never approved (a devcontainer's first start, shown in the proposal, must be seen)."""
        if step.proposal is None or (tool.kind == "command" and self.agent.executor.first_start_unapproved()):
            return ""
        return self.agent.approval.rule_for(tool, step.proposal.tool_call.arguments)

    async def _decide(self, step: Step, decision: Decision) -> None:
        """Apply the decision; an edit that ran waits for what the editor's other tools now report about it,
        which becomes part of the step's observation."""
        await self.agent.decide(step, decision)
        if self._diagnostics is None or self.task.status != TaskStatus.RUNNING:
            return
        found = await self._diagnostics.after(step, self.agent.tool_of(step).kind)
        if found:
            step.diagnostics = found
            await self.agent.store.save_step(step)

    def _kind(self, name: str) -> ToolKind | None:
        tool = self.agent.tools.get(name)
        return tool.kind if tool else None


async def interact(driver: Driver, ask: Ask) -> Task:
    """Drive the task to its end, asking for a decision on each pending proposal (the terminal, the editor)."""
    outcome = await driver.advance()
    while isinstance(outcome, Pending):
        pending = outcome
        try:
            decision = await ask(pending.step)
        except asyncio.CancelledError as e:  # cancelled while the human decides
            await driver.cancelled(e)
            raise
        try:
            outcome = await driver.advance(decision)
        except (Conflict, InvalidInput) as e:  # an undo or redo refused: say why, and ask again
            if decision.kind not in undo.REWINDS:
                raise
            driver.agent.emit(RewindRefused(task_id=driver.task.id, step_id=pending.step.id, message=str(e)))
    return outcome.task
