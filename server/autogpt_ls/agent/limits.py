"""When a task must stop whatever the LLM wants: its hard limits, enforced in code before every LLM call."""

from __future__ import annotations

from autogpt_ls.models import Step
from autogpt_ls.task_models import Task

MAX_CONSECUTIVE_FAILURES = 3


def limit_reached(task: Task) -> str | None:
    """The reason to stop before the next step (steps, cost, the agent's own time, continuous mode), if any."""
    limits, state, config = task.config.limits, task.state, task.config
    if limits.max_steps is not None and state.steps >= limits.max_steps:
        return f"step limit reached ({limits.max_steps} steps)"
    cost = state.usage.cost_usd
    if limits.max_cost_usd is not None and cost is not None and cost >= limits.max_cost_usd:
        return f"cost limit reached (${cost:.4f} of ${limits.max_cost_usd:.2f})"
    if limits.max_seconds is not None and state.elapsed_seconds >= limits.max_seconds:
        return time_limit(task)
    if config.continuous and config.continuous_limit is not None and state.auto_approved >= config.continuous_limit:
        return f"continuous limit reached ({config.continuous_limit} steps)"
    return None


def time_limit(task: Task) -> str:
    return f"time limit reached ({task.config.limits.max_seconds:g} s)"


def too_many_failures(task: Task, last: Step) -> str | None:
    """The reason to fail after this unusable reply, if it was one too many in a row."""
    if task.state.consecutive_failures < MAX_CONSECUTIVE_FAILURES:
        return None
    return (
        f"{MAX_CONSECUTIVE_FAILURES} unusable LLM replies in a row; "
        f"the last: {last.result.output if last.result else ''}"
    )
