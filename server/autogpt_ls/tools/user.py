"""Tools that talk to the human or end the task; the loop gives them their meaning."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from autogpt_ls.models import Result
from autogpt_ls.tools.base import ToolContext, tool


@tool("ask_user", "user_interaction", "ask_user")
async def ask_user(
    ctx: ToolContext, question: Annotated[str, Field(description="The question to ask the user")]
) -> Result:
    """Ask the user a question when you cannot go on without their input; their reply comes back."""
    if not ctx.answer.strip():
        return Result(ok=True, output="The user gave no answer.")
    return Result(ok=True, output=f"The user answered: {ctx.answer}")


@tool("finish", "system", "finish")
async def finish(
    ctx: ToolContext, reason: Annotated[str, Field(description="A summary of how the goal was achieved")]
) -> Result:
    """Finish the task when the goal is achieved, or when it cannot be achieved, with a summary."""
    return Result(ok=True, output=reason)


TOOLS = [ask_user, finish]
