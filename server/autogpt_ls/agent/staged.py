"""The driver's rule for staged commands: a staged command's file changes are the next proposal, a step of its
own (`apply_staged_changes`) that says which command made them, before the LLM is asked for anything else.

The step is stored like any proposal, so it waits across HTTP requests and restarts: shown again while its stage
lives, or, when the stage is gone (autogpt-ls stopped or crashed meanwhile), the LLM is told the changes were
discarded. Feedback or `n` discards the stage; approval applies it (tools/staging).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from autogpt_ls.agent.events import StepCompleted
from autogpt_ls.agent.loop import Agent
from autogpt_ls.models import Proposal, Result, Step, StepStatus, ToolCall
from autogpt_ls.tools.staging import APPLY, discarded

_LISTED = 40  # files named in the proposal's text (every front end shows it); the change set has them all


def _stager(agent: Agent) -> Any:
    return getattr(agent.executor, "stager", None)


def is_review(step: Step) -> bool:
    return step.proposal is not None and step.proposal.tool_call.name == APPLY


def _shown(path: str) -> str:
    """A path on one line: quoted when it holds a newline or another control character."""
    return json.dumps(path) if any(not c.isprintable() for c in path) else path


def _summary(command: str, changes: Any) -> str:
    entries = changes.entries
    lines = [f"  {e.change} {_shown(e.path)}" + (f" ({e.note})" if e.note else "") for e in entries[:_LISTED]]
    if len(entries) > _LISTED:
        lines.append(f"  ... and {len(entries) - _LISTED} more")
    lines += [f"  {e.change} empty folder {_shown(e.path)}/" for e in changes.folders[:_LISTED]]
    left_out = changes.told()
    return (
        f"The command `{command}` changed {len(entries)} file(s) on a staged copy of the workspace{left_out}:\n"
        + "\n".join(lines)
        + "\nApprove to apply them all (nothing is applied if a file changed meanwhile); feedback discards them."
    )


async def _propose(agent: Agent, proposal: Proposal) -> Step:
    """Stored awaiting, as think() stores the LLM's proposals, with no LLM call."""
    task = agent.task
    step = Step(task_id=task.id, index=task.state.steps, status=StepStatus.AWAITING, proposal=proposal)
    task.state.steps += 1
    async with agent.store.atomic():
        await agent.store.add_step(step)
        await agent.store.save_task(task)
    agent._remember(step)
    return step


async def _close(agent: Agent, step: Step) -> None:
    """Record a proposal closed without asking anyone (its staged changes are gone)."""
    await agent.store.save_step(step)
    agent._remember(step)
    agent.emit(StepCompleted(task_id=agent.task.id, step=step))


async def review(agent: Agent) -> Step | None:
    """The change set of the command that just ran, as the next proposal; None when there is none."""
    stager = _stager(agent)
    stage = stager.take() if stager is not None else None
    if stage is None:
        return None
    found = stager.changes(stage)
    if found is None:
        return None
    command, changes = found
    call = ToolCall(name=APPLY, arguments={"stage": stage, "command": command})
    return await _propose(agent, Proposal(thoughts=_summary(command, changes), tool_call=call))


async def gone(agent: Agent, step: Step) -> bool:
    """A review step whose stage did not survive (a restart, a crash): the LLM is told, nothing is asked."""
    if not is_review(step):
        return False
    stager = _stager(agent)
    assert step.proposal is not None
    arguments = step.proposal.tool_call.arguments
    if stager is not None:
        await asyncio.to_thread(stager.sweep)
        if stager.changes(str(arguments.get("stage", ""))) is not None:
            return False
    step.status, step.result = StepStatus.DONE, Result.error(discarded(str(arguments.get("command", ""))))
    await _close(agent, step)
    return True


def settle(agent: Agent, step: Step) -> None:
    """A review decided without approval (feedback, n): its stage goes now."""
    stager = _stager(agent)
    if stager is not None and is_review(step) and step.status != StepStatus.DONE:
        assert step.proposal is not None
        stager.discard(str(step.proposal.tool_call.arguments.get("stage", "")))
