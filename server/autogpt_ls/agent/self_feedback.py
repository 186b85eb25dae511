"""Self-feedback (the seeds' `s` answer): before the human decides, the LLM critiques the pending proposal
against the goal and the constraints; the proposal is kept in the history as revised, with the critique as what
the LLM is told about it, and the next proposal, made with the critique in view, waits for the human instead."""

from __future__ import annotations

import json

from autogpt_ls.agent.events import StepCompleted
from autogpt_ls.agent.loop import Agent
from autogpt_ls.models import Decision, Result, Step, StepStatus

REQUEST = (
    "Before it runs, review your proposed next action critically. Your thoughts: {thoughts}\n"
    "The action: {name} with arguments {arguments}\n\n"
    "Check it against the task, its goals and your constraints: does it move the task forward, is it the best "
    "next step, could it do harm, does it repeat something that already failed? Reply in a few sentences of plain "
    "text, ending with what the next action should be. Do not call a tool now."
)
NO_CRITIQUE = "(the review gave no text: keep to the goal and the constraints)"


async def revise(agent: Agent, step: Step, decision: Decision) -> str:
    """Critique the pending `step`, keep it as revised (its critique the result) and return the critique."""
    assert step.proposal is not None
    call = step.proposal.tool_call
    request = REQUEST.format(
        thoughts=step.proposal.thoughts or "(none)", name=call.name, arguments=json.dumps(call.arguments)
    )
    critique, usage = await agent.consult(request)
    critique = critique.strip() or NO_CRITIQUE
    step.decision = decision.model_copy(update={"text": critique})
    step.status, step.result = StepStatus.REVISED, Result(ok=True, output=critique)
    step.usage = step.usage + usage
    agent.task.state.usage = agent.task.state.usage + usage
    await agent.claim(step)
    agent.emit(StepCompleted(task_id=agent.task.id, step=step))  # its result is the critique, shown
    return critique
