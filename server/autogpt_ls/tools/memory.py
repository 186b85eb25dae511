"""Tools that change nothing outside the task, so no human is asked to approve them (their kind is `note`)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from autogpt_ls.models import Result
from autogpt_ls.task_models import PlanItem
from autogpt_ls.tools.base import ToolContext, ToolRefused, tool

MAX_PLAN_ITEMS = 25  # the plan is part of every prompt: it stays short (and within one observation)


@tool("remember", "memory", "note")
async def remember(
    ctx: ToolContext,
    fact: Annotated[
        str, Field(description="The fact, self-contained (e.g. 'the release branch is named stable')", min_length=1)
    ],
) -> Result:
    """Pin a fact you will need later (an id, a value, an instruction): it stays in your context word for word
    for the rest of the task, even when older steps are summarised."""
    return Result(ok=True, output=f"Pinned: {fact}")


def render_plan(plan: list[PlanItem]) -> str:
    """The plan as the LLM and the terminal read it: numbered, `[x]` for done."""
    if not plan:
        return "Your plan is empty."
    done = sum(item.done for item in plan)
    lines = [f"{i}. [{'x' if item.done else ' '}] {item.text}" for i, item in enumerate(plan, 1)]
    return f"Your plan ({done} of {len(plan)} done):\n" + "\n".join(lines)


@tool("todo", "memory", "note")
async def todo(
    ctx: ToolContext,
    add: Annotated[
        tuple[Annotated[str, Field(min_length=1, max_length=200)], ...],
        Field(description="Items to append to your plan, in order"),
    ] = (),
    done: Annotated[tuple[int, ...], Field(description="Numbers of the items you have completed")] = (),
) -> Result:
    """Keep your plan for this task: add items and mark them done by number. The user sees it, and it stays in
    your context for the rest of the task, even when older steps are summarised. Call it with no arguments to
    see it."""
    plan = ctx.plan
    if bad := [n for n in done if not 1 <= n <= len(plan)]:
        raise ToolRefused(f"no plan item numbered {', '.join(map(str, bad))}; {render_plan(plan)}")
    if len(plan) + len(add) > MAX_PLAN_ITEMS:
        raise ToolRefused(f"a plan holds at most {MAX_PLAN_ITEMS} items; mark items done instead of adding more")
    for n in done:
        plan[n - 1].done = True
    plan.extend(PlanItem(text=text) for text in add)
    return Result(ok=True, output=render_plan(plan))


TOOLS = [remember, todo]
