"""The one decision vocabulary: what each front end's input means, when a proposal needs no human, and the
`y -N` credit. Terminal lines, LSP requests and Agent Protocol step inputs all become a `Decision` here."""

from __future__ import annotations

import re
from typing import Any, Literal

from autogpt_ls.agent.errors import InvalidInput
from autogpt_ls.models import Decision, DecisionKind, DecisionSource, ToolKind
from autogpt_ls.task_models import Task, TaskState

_APPROVE_N = re.compile(r"^y\s*-\s*(\d+)$", re.IGNORECASE)
_REWIND = re.compile(r"^(undo|redo)(!?)(?:\s+(\d+))?$", re.IGNORECASE)
Verb = Literal["approve", "reject", "feedback", "answer", "self_feedback"]
RETHINK = "rethink"
RETHINK_TEXT = (
    "You are repeating yourself and it is not working. Stop, look back at the goal and at what your steps so far "
    "have shown, and take a different approach."
)


class ReservedAnswer(ValueError):
    """An answer that cannot be used as typed; the front end says why and asks again."""


def parse_answer(text: str, tool_kind: ToolKind) -> Decision:
    """One line typed by the human (terminal), for a proposal of the given kind of tool."""
    answer = text.strip()
    if tool_kind == "ask_user":
        return Decision(kind=DecisionKind.ANSWER, text=answer)
    lowered = answer.lower()
    if lowered == "s":
        return Decision(kind=DecisionKind.SELF_FEEDBACK)
    if lowered == "y":
        return Decision(kind=DecisionKind.APPROVE)
    if match := _APPROVE_N.match(answer):
        times = int(match.group(1))
        if times < 1:
            raise ReservedAnswer("'y -N' needs N of at least 1.")
        return Decision(kind=DecisionKind.APPROVE, times=times)
    if lowered == "n":
        return Decision(kind=DecisionKind.REJECT)
    if lowered == RETHINK:
        return Decision(kind=DecisionKind.FEEDBACK, text=RETHINK_TEXT)
    if match := _REWIND.match(answer):
        return _rewind(*match.groups())
    return Decision(kind=DecisionKind.FEEDBACK, text=answer)


def _rewind(verb: str, forced: str, shown: str | None) -> Decision:
    """`undo` (the last step run), `undo N` (back to before the step shown as "Step N"), `redo`; `!` forces."""
    kind = DecisionKind(verb.lower())
    if shown is not None and (kind == DecisionKind.REDO or int(shown) < 1):
        raise ReservedAnswer("use 'undo N' with N a step number shown as 'Step N', or 'redo' alone.")
    index = int(shown) - 1 if shown is not None else None
    return Decision(kind=kind, step_index=index, force=bool(forced))


def rewind(kind: DecisionKind, step_id: str = "", force: bool = False) -> Decision:
    """An editor's or a step-driven client's undo (back to before `step_id`) or redo."""
    return Decision(kind=kind, step_id=step_id, force=force)


def from_step_input(text: str, tool_kind: ToolKind) -> Decision:
    """A step-driven client's input (Agent Protocol): the answer to ask_user, approval when empty, else feedback."""
    if tool_kind == "ask_user":
        return Decision(kind=DecisionKind.ANSWER, text=text.strip())
    if not text.strip():
        return Decision(kind=DecisionKind.APPROVE)
    if text.strip().lower() == RETHINK:
        return Decision(kind=DecisionKind.FEEDBACK, text=RETHINK_TEXT)
    return Decision(kind=DecisionKind.FEEDBACK, text=text.strip())


def from_step_options(options: dict[str, Any]) -> Decision | None:
    """A step's additional_input that undoes or redoes (Agent Protocol): `{"rollback_to": "<step id>",
    "force": false}` or `{"redo": true}`, asks for self-feedback: `{"self_feedback": true}`, or stops the task as
    the terminal's `n` does: `{"stop": true}`. None: the step's input decides."""
    force = options.get("force", False)
    if not isinstance(force, bool):
        raise InvalidInput("additional_input.force: true or false")
    if "rollback_to" in options:
        target = options["rollback_to"]
        if not isinstance(target, str) or not target:
            raise InvalidInput("additional_input.rollback_to: the id of the step to go back to before")
        return rewind(DecisionKind.UNDO, target, force)
    if options.get("redo") is True:
        return rewind(DecisionKind.REDO, force=force)
    if options.get("self_feedback") is True:
        return Decision(kind=DecisionKind.SELF_FEEDBACK)
    if options.get("stop") is True:
        return Decision(kind=DecisionKind.REJECT)
    return None


def from_request(verb: Verb, text: str = "", times: int = 1) -> Decision:
    """An editor's request (LSP): a reject that carries text is feedback; feedback needs text."""
    if verb == "reject":
        return Decision(kind=DecisionKind.FEEDBACK if text else DecisionKind.REJECT, text=text)
    if verb == "feedback" and not text.strip():
        raise InvalidInput("feedback needs a non-empty `text`")
    if verb == "feedback" and text.strip().lower() == RETHINK:
        return Decision(kind=DecisionKind.FEEDBACK, text=RETHINK_TEXT)
    return Decision(kind=DecisionKind(verb), times=times, text=text)


def for_tool(decision: Decision, tool_kind: ToolKind) -> Decision:
    """An answer is only an answer to ask_user; to any other proposal it is feedback."""
    if decision.kind == DecisionKind.ANSWER and tool_kind != "ask_user":
        return Decision(kind=DecisionKind.FEEDBACK, text=decision.text)
    return decision


def automatic(task: Task, tool_kind: ToolKind, rule: str = "") -> Decision | None:
    """Approve without asking by an approval rule (`rule`, from agent/approval.py; looked at before the credit,
    which it does not spend), while `y -N` credit lasts, or in continuous mode (which decides as before rules
    existed, so its limit counts the same); ask_user always asks; a note (remember) changes nothing outside the
    task, so it never asks."""
    if tool_kind == "ask_user":
        return None
    if tool_kind == "note":
        return Decision(kind=DecisionKind.APPROVE, source=DecisionSource.RULE)
    if rule and not task.config.continuous:
        return Decision(kind=DecisionKind.APPROVE, source=DecisionSource.RULE, rule=rule)
    if task.state.auto_approve_remaining > 0:
        return Decision(kind=DecisionKind.APPROVE, source=DecisionSource.CREDIT)
    if task.config.continuous:
        return Decision(kind=DecisionKind.APPROVE, source=DecisionSource.CONTINUOUS)
    return None


def account(state: TaskState, decision: Decision) -> None:
    """Spend or grant credit: only `y -N` grants it and only its approvals spend it; continuous mode counts;
    a rule's approval does neither."""
    if decision.source == DecisionSource.RULE:
        return
    if decision.source == DecisionSource.CREDIT:
        state.auto_approve_remaining = max(state.auto_approve_remaining - 1, 0)
    elif decision.source == DecisionSource.CONTINUOUS:
        state.auto_approved += 1
    elif decision.kind == DecisionKind.APPROVE:
        state.auto_approve_remaining = decision.times - 1
