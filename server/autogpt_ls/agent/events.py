"""Typed events the core emits; each front end renders them its own way (terminal, LSP, HTTP)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Literal

from pydantic import BaseModel, Field

from autogpt_ls.changes import Preview
from autogpt_ls.models import Decision, DecisionKind, DecisionSource, Step
from autogpt_ls.task_models import PlanItem, Summary, Task, TaskStatus

log = logging.getLogger(__name__)


class Thinking(BaseModel):
    type: Literal["thinking"] = "thinking"
    task_id: str
    step_index: int


class ThinkingDelta(BaseModel):
    """A piece of the LLM's reply as it streams in; the proposal is parsed once the reply is complete."""

    type: Literal["thinking_delta"] = "thinking_delta"
    task_id: str
    step_index: int
    text: str


class ProposalMade(BaseModel):
    """A proposal to show before anything happens; `decision` when it is decided without asking (an approval rule,
    continuous mode or `y -N` approve it, or the loop guard does not run it); `guard` says why the loop guard
    caught it, and `files` which of the workspace's files the held repeat names (absolute paths)."""

    type: Literal["proposal"] = "proposal"
    task_id: str
    step: Step
    preview: Preview | None
    guard: str = ""
    files: list[str] = Field(default_factory=list)
    decision: Decision | None = None

    @property
    def auto(self) -> bool:
        return self.decision is not None

    @property
    def approved_by(self) -> str:
        """How an automatic approval is shown: `rule AUTO_APPROVE read_file`, `y -N credit`, `continuous mode`."""
        return approved_by(self.decision)


def approved_by(decision: Decision | None) -> str:
    if decision is None or decision.kind != DecisionKind.APPROVE:
        return ""
    if decision.source == DecisionSource.RULE:
        return f"rule {decision.rule}" if decision.rule else "rule"
    return {DecisionSource.CREDIT: "y -N credit", DecisionSource.CONTINUOUS: "continuous mode"}.get(decision.source, "")


class CommandOutput(BaseModel):
    type: Literal["command_output"] = "command_output"
    task_id: str
    step_id: str
    text: str


class Preparing(BaseModel):
    """The running step's command waits for the place it runs to be made ready (a devcontainer's first build can
    take minutes): one event when it begins, one per line of news, one `done`."""

    type: Literal["preparing"] = "preparing"
    task_id: str
    step_id: str
    title: str
    message: str = ""
    done: bool = False


class StepCompleted(BaseModel):
    type: Literal["step_completed"] = "step_completed"
    task_id: str
    step: Step


class RewindRefused(BaseModel):
    """An undo or redo was refused (a conflict, nothing to undo); the proposal still waits."""

    type: Literal["rewind_refused"] = "rewind_refused"
    task_id: str
    step_id: str
    message: str


class TaskEnded(BaseModel):
    type: Literal["task_ended"] = "task_ended"
    task: Task


class Compacted(BaseModel):
    """The oldest steps of the prompt were summarised to stay within the model's context budget."""

    type: Literal["compacted"] = "compacted"
    task_id: str
    summary: Summary


class PlanChanged(BaseModel):
    """The agent changed its plan (the `todo` tool): the whole plan as it is now."""

    type: Literal["plan_changed"] = "plan_changed"
    task_id: str
    step_id: str
    plan: list[PlanItem]


Event = (
    Thinking
    | ThinkingDelta
    | ProposalMade
    | CommandOutput
    | Preparing
    | StepCompleted
    | TaskEnded
    | RewindRefused
    | Compacted
    | PlanChanged
)
EventSink = Callable[[Event], None]


def log_event(event: Event) -> None:
    """The activity log: one line per thing that happened, from the same events the front ends render."""
    if isinstance(event, ProposalMade) and event.step.proposal:
        call = event.step.proposal.tool_call
        log.info("task %s step %d proposes %s %s", event.task_id, event.step.index, call.name, call.arguments)
    elif isinstance(event, Preparing) and event.done:
        log.info("task %s step %s: %s: %s", event.task_id, event.step_id, event.title, event.message)
    elif isinstance(event, StepCompleted):
        step = event.step
        log.info(
            "task %s step %d %s: %s",
            event.task_id,
            step.index,
            step.status,
            step.result.output[:500] if step.result else "",
        )
    elif isinstance(event, TaskEnded):
        log.info("task %s %s: %s", event.task.id, event.task.status, event.task.end_reason)
        if event.task.status == TaskStatus.FAILED:
            log.error("task %s failed: %s", event.task.id, event.task.end_reason)
