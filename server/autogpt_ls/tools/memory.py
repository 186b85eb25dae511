"""Tools that change nothing outside the task, so no human is asked to approve them (their kind is `note`)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from autogpt_ls.models import Result
from autogpt_ls.tools.base import ToolContext, tool


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


TOOLS = [remember]
