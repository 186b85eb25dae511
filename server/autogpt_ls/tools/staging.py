"""The review of a staged command's file changes, as a proposal of its own that the LLM never calls.

After a staged command (executors/staging), the driver proposes `apply_staged_changes` for its stage (agent/
staged.py): the preview is the change set, so every front end shows it as it shows a file edit; approving applies
it all or nothing (a `write` step, so it is one checkpoint that undo can take back); feedback discards it.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from autogpt_ls.changes import ChangeSet
from autogpt_ls.executors.overlay_apply import StageConflict
from autogpt_ls.models import Result, Step, StepStatus
from autogpt_ls.tools.base import ToolContext, ToolRefused, tool

APPLY = "apply_staged_changes"


def stager_of(ctx: ToolContext) -> Any:
    """The executor's stager (executors/staging.Stager), or None when its commands are not staged."""
    return getattr(ctx.executor, "stager", None)


def discarded(command: str) -> str:
    return (
        f"The file changes of your command `{command}` were discarded: autogpt-ls stopped before the user decided "
        "and their staged copy is gone. Nothing of them was applied; run the command again if they are still needed."
    )


def _preview(ctx: ToolContext, args: Any) -> ChangeSet | None:
    stager = stager_of(ctx)
    changes: ChangeSet | None = stager.preview(args.stage) if stager is not None else None
    return changes


@tool(APPLY, "staging", "write", preview=_preview)
async def apply_staged_changes(
    ctx: ToolContext,
    stage: Annotated[str, Field(description="The stage of the command")],
    command: Annotated[str, Field(description="The command that made the changes")],
) -> Result:
    """Apply the file changes a staged command made, all or nothing."""
    stager = stager_of(ctx)
    if stager is None:
        raise ToolRefused(discarded(command))
    try:
        entries = stager.apply(stage)
    except LookupError:
        return Result.error(discarded(command))
    except StageConflict as e:
        return Result.error(
            f"Nothing of the change set of `{command}` was applied: these files were changed in the workspace "
            f"since the command ran: {', '.join(e.paths)}. Read them and run the command again if still needed."
        )
    written = [e.path for e in entries if e.change != "deleted"]
    listed = ", ".join(f"{e.change} {e.path}" for e in entries[:50]) + (" ..." if len(entries) > 50 else "")
    return Result(ok=True, output=f"The user approved; applied {len(entries)} file change(s): {listed}", files=written)


def told(step: Step) -> str:
    """What the LLM reads of a review step (it never called the tool: the user reviewed the command's changes)."""
    assert step.proposal is not None
    command = step.proposal.tool_call.arguments.get("command", "")
    if step.status == StepStatus.FEEDBACK and step.decision is not None:
        return (
            f"The user discarded the file changes of your command `{command}` (nothing applied): {step.decision.text}"
        )
    if step.status == StepStatus.UNDONE:
        return f"The file changes of your command `{command}` were applied, then the user undid them."
    if step.result is not None:
        return step.result.output
    return "The user has not decided on the file changes yet."


TOOLS = [apply_staged_changes]
