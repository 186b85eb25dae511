"""AutoGPT's answers (`y`, `y -N`, `n`, feedback) and when a proposal needs no human at all."""

from __future__ import annotations

import re

from autogpt_ls.models import Decision, DecisionKind, Task
from autogpt_ls.tools.base import ToolKind

_APPROVE_N = re.compile(r"^y\s*-\s*(\d+)$", re.IGNORECASE)
RESERVED = {
    "s": "'s' (self-feedback) is reserved and not available yet.",
    "undo": "'undo' (roll back the last step) is reserved and not available yet.",
}


class ReservedAnswer(ValueError):
    """An answer that is reserved for a later feature; the front end says so and asks again."""


def parse_answer(text: str, tool_kind: ToolKind) -> Decision:
    """One line typed by the human, for a proposal of the given kind of tool."""
    answer = text.strip()
    if tool_kind == "ask_user":
        return Decision(kind=DecisionKind.ANSWER, text=answer)
    lowered = answer.lower()
    if lowered in RESERVED:
        raise ReservedAnswer(RESERVED[lowered])
    if lowered == "y":
        return Decision(kind=DecisionKind.APPROVE)
    if match := _APPROVE_N.match(answer):
        times = int(match.group(1))
        if times < 1:
            raise ReservedAnswer("'y -N' needs N of at least 1.")
        return Decision(kind=DecisionKind.APPROVE, times=times)
    if lowered == "n":
        return Decision(kind=DecisionKind.REJECT)
    return Decision(kind=DecisionKind.FEEDBACK, text=answer)


def automatic(task: Task, tool_kind: ToolKind) -> Decision | None:
    """Approve without asking when `y -N` has approvals left or continuous mode is on; ask_user always asks."""
    if tool_kind == "ask_user":
        return None
    if task.state.auto_approve_remaining > 0 or task.config.continuous:
        return Decision(kind=DecisionKind.APPROVE, auto=True)
    return None
