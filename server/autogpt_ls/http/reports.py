"""Stored steps as a step-driven client sees them: each report carries the outcome of the action its request
decided, then the agent's next proposal; or, for the step that ended the task, how it ended."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel

from autogpt_ls.agent import loop_guard
from autogpt_ls.agent.decisions import RETHINK
from autogpt_ls.agent.events import approved_by
from autogpt_ls.agent.prompt import observation
from autogpt_ls.agent.undo import change_notes
from autogpt_ls.models import Step, StepStatus, Usage
from autogpt_ls.store import Artifact
from autogpt_ls.task_models import PlanItem, Summary, Task, TaskStatus
from autogpt_ls.tools.registry import ToolRegistry

T = TypeVar("T")
_SHOWN_ARGS = 300  # characters of a tool call's arguments quoted in a step's text output


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
    approved_by: str = ""  # run without asking: `rule AUTO_APPROVE read_file`, `y -N credit`, `continuous mode`


class StepReport(BaseModel):
    step_id: str
    task_id: str
    name: str | None
    input: str | None
    status: Literal["running", "completed"]
    output: str
    proposal: ProposalReport | None
    last_action: ActionReport | None
    actions: list[ActionReport]  # every action the request ran: the one it decided, then those approved by rules
    usage: Usage
    task_cumulative_usage: Usage
    llm_seconds: float
    is_last: bool
    task_status: TaskStatus
    artifacts: list[Artifact]
    summaries: list[Summary]  # compactions made to think this step: the older steps' summaries now in the prompt
    plan: list[PlanItem]  # the agent's todo list as it is now
    created_at: datetime


class TaskReport(BaseModel):
    task: Task
    artifacts: list[Artifact]


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int


_SETTLED = (StepStatus.DONE, StepStatus.FEEDBACK, StepStatus.REVISED)  # decided without a failure of their own


def _call_text(name: str, arguments: dict[str, Any]) -> str:
    args = json.dumps(arguments, ensure_ascii=False)
    return f"{name}({args if len(args) <= _SHOWN_ARGS else args[:_SHOWN_ARGS] + '...'})"


def _outcome(step: Step) -> ActionReport:
    call = step.proposal.tool_call if step.proposal else None
    return ActionReport(
        name=call.name if call else None,
        arguments=call.arguments if call else {},
        status=step.status,
        ok=step.status in _SETTLED and (step.result is None or step.result.ok),
        result=observation(step),
        approved_by=approved_by(step.decision),
    )


def _usable(step: Step) -> bool:
    return step.proposal is not None and step.status != StepStatus.INVALID


def reports(
    task: Task,
    steps: list[Step],
    indexes: range | list[int],
    tools: ToolRegistry,
    artifacts: list[Artifact],
    since: int | None = None,
) -> list[StepReport]:
    """The reports of the steps at `indexes`, each with the task's usage up to it. `since`: the first step the
    request decided, so a step's report lists every action run since (the human's, then the automatic ones)."""
    if not indexes:
        return []
    by_path = {a.relative_path: a for a in artifacts}
    totals: list[Usage] = []
    total = Usage()
    for step in steps[: max(indexes) + 1]:
        total = total + step.usage
        totals.append(total)
    return [_report(task, steps, i, totals[i], tools, by_path, since) for i in indexes]


def wrote_files(steps: list[Step]) -> bool:
    """Whether any of these steps wrote files: only then may their reports list artifacts (none to read else)."""
    return any(s.result is not None and s.result.files for s in steps)


def _lines(
    task: Task, step: Step, ran: list[Step], proposal: Any, is_last: bool, tools: ToolRegistry, guard: str = ""
) -> str:
    lines = [
        f"(Context compacted: steps {s.first + 1}-{s.end} summarised by {s.model}.)\n{s.text}"
        for s in _summaries(task, step)
    ]
    for acted in (s for s in ran if s.proposal is not None):
        call = acted.proposal.tool_call  # type: ignore[union-attr]
        by = approved_by(acted.decision)
        lines.append(f"{'(approved automatically: ' + by + ') ' if by else ''}{_call_text(call.name, call.arguments)}")
        lines[-1] += f": {observation(acted)}"
        lines.extend(change_notes(acted.changes))
    if step.status == StepStatus.INVALID and step.result is not None:
        lines.append(f"The LLM's reply could not be used: {step.result.output}")
    if proposal is not None:
        call = proposal.tool_call
        if proposal.thoughts:
            lines.append(proposal.thoughts)
        tool = tools.get(call.name)
        if guard:
            lines.append(f"Loop guard: {guard}. It waits for you: post an empty step to run it anyway, or '{RETHINK}'.")
        if tool is not None and tool.kind == "ask_user":
            lines.append(f"The agent asks: {call.arguments.get('question', '')} (answer as the next input)")
        else:
            lines.append(
                f"Proposed: {_call_text(call.name, call.arguments)}. Post an empty step to run it, or text as feedback."
            )
    if is_last:
        lines.append(f"Task {task.status}: {task.end_reason}")
    return "\n\n".join(lines)


def _summaries(task: Task, step: Step) -> list[Summary]:
    return [s for s in task.state.memory.summaries if s.at_step == step.index]


def _guard(steps: list[Step], i: int, tools: ToolRegistry, shown_from: int) -> str:
    """Why the loop guard holds the step at `i` for a human, if it does (a step that waits is the newest: the
    task's last compaction is the one it was checked after)."""
    if steps[i].status != StepStatus.AWAITING:
        return ""
    verdict = loop_guard.check(
        steps[:i], steps[i], lambda name: tool.kind if (tool := tools.get(name)) else None, shown_from
    )
    return verdict.reason if verdict is not None and verdict.escalate else ""


def _ran(steps: list[Step], i: int, acted: Step | None, since: int | None) -> list[Step]:
    """The actions a report tells of: the one its request decided, or all those run since `since`."""
    if since is None or acted is None:
        return [acted] if acted is not None else []
    return [s for s in steps[since:i] if _usable(s) and s.index < acted.index] + [acted]


def _report(
    task: Task,
    steps: list[Step],
    i: int,
    cumulative: Usage,
    tools: ToolRegistry,
    by_path: dict[str, Artifact],
    since: int | None,
) -> StepReport:
    step = steps[i]
    is_last = task.status != TaskStatus.RUNNING and i == len(steps) - 1
    closing = is_last and step.status != StepStatus.AWAITING
    # The action this step's request decided: the step itself when it ended the task, else the latest
    # earlier step that had a usable proposal (unusable replies in between are reports of their own).
    acted = step if closing else next((s for s in reversed(steps[:i]) if _usable(s)), None)
    proposal = None if closing or step.status == StepStatus.INVALID else step.proposal
    ran = _ran(steps, i, acted, since)
    written = [f for s in ran if s.status == StepStatus.DONE and s.result for f in s.result.files]
    guard = _guard(steps, i, tools, task.state.memory.compacted)
    return StepReport(
        step_id=step.id,
        task_id=task.id,
        name=step.proposal.tool_call.name if step.proposal else None,
        input=acted.decision.text if acted is not None and acted.decision and acted.decision.text else None,
        status="running" if step.status == StepStatus.EXECUTING else "completed",
        output=_lines(task, step, ran, proposal, is_last, tools, guard),
        proposal=ProposalReport(
            thoughts=proposal.thoughts, name=proposal.tool_call.name, arguments=proposal.tool_call.arguments
        )
        if proposal
        else None,
        last_action=_outcome(acted) if acted is not None else None,
        actions=[_outcome(s) for s in ran],
        usage=step.usage,
        task_cumulative_usage=cumulative,
        llm_seconds=step.llm_seconds,
        is_last=is_last,
        task_status=task.status,
        artifacts=[by_path[path] for path in written if path in by_path],
        summaries=_summaries(task, step),
        plan=task.state.plan,
        created_at=step.created_at,
    )
