"""The loop guard: a proposal that repeats itself is caught before it runs.

Two kinds of repeat: the same call with the same arguments as one that ran with nothing changed since (no file
written, no command run after it), and a tool that failed three times in a row with the same error proposed
again. The first time, the step is not run and the LLM is told why in its observation; if it repeats again
before anything changes, the step waits for the human, even in continuous mode or under `y -N` credit.
Running the tests again after an edit is no repeat: the edit changed something.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass

from autogpt_ls.agent.rules import PATH_ARGUMENTS
from autogpt_ls.models import DecisionKind, DecisionSource, Step, StepStatus, ToolCall, ToolKind
from autogpt_ls.workspace import PathOutsideWorkspace, Workspace

SAME_ERRORS = 3
_SHOWN = 80
KindOf = Callable[[str], ToolKind | None]


@dataclass(frozen=True)
class Verdict:
    reason: str  # as the human reads it: "repeating read_file notes.txt"
    observation: str  # what the LLM is told the first time
    escalate: bool  # it was told already: the human decides


def _shown(call: ToolCall) -> str:
    args = " ".join(v if isinstance(v, str) else json.dumps(v) for v in call.arguments.values())
    return f"{call.name} {args[:_SHOWN] + ('...' if len(args) > _SHOWN else '')}".rstrip()


def _key(call: ToolCall) -> tuple[str, dict[str, object]]:
    return call.name, call.arguments


def _ran(step: Step) -> bool:
    return step.status == StepStatus.DONE and step.proposal is not None


def guarded(step: Step) -> bool:
    """A step the guard did not run (it told the LLM instead)."""
    return (
        step.status == StepStatus.FEEDBACK
        and step.decision is not None
        and step.decision.source == DecisionSource.RULE
        and step.decision.kind == DecisionKind.FEEDBACK
    )


def _since_change(earlier: list[Step], kind_of: KindOf) -> list[Step]:
    """The steps from the last one that may have changed something on, that one included: a command that ran,
    a write that succeeded."""
    for i in range(len(earlier) - 1, -1, -1):
        step = earlier[i]
        kind = kind_of(step.proposal.tool_call.name) if _ran(step) else None  # type: ignore[union-attr]
        if kind == "command" or (kind == "write" and step.result is not None and step.result.ok):
            return earlier[i:]
    return earlier


def _same_call(call: ToolCall, window: list[Step]) -> Step | None:
    same = _key(call)
    return next((s for s in window if _ran(s) and _key(s.proposal.tool_call) == same), None)  # type: ignore[union-attr]


def _same_errors(call: ToolCall, earlier: list[Step]) -> str | None:
    ran = list(itertools.islice((s for s in reversed(earlier) if _ran(s)), SAME_ERRORS))
    if len(ran) < SAME_ERRORS or any(s.proposal.tool_call.name != call.name for s in ran):  # type: ignore[union-attr]
        return None
    errors = {s.result.output for s in ran if s.result is not None and not s.result.ok}
    return errors.pop() if len(errors) == 1 and all(s.result and not s.result.ok for s in ran) else None


def check(earlier: list[Step], step: Step, kind_of: KindOf, shown_from: int = 0) -> Verdict | None:
    """Whether `step`'s proposal repeats what `earlier` (the task's steps before it) did to no effect.

    Only the steps from `shown_from` on count, those the prompt still shows word for word (the last compaction's
    cut): a call whose result was summarised away is no repeat (the LLM no longer sees what it returned), and a
    long task's check costs the same at step 300 as at step 3."""
    if step.proposal is None:
        return None
    call = step.proposal.tool_call
    earlier = earlier[shown_from:]
    window = _since_change(earlier, kind_of)
    escalate = any(guarded(s) for s in window)
    if (same := _same_call(call, window)) is not None:
        return Verdict(
            f"repeating {_shown(call)}",
            f"Loop guard: not run. You ran this same call at step {same.index + 1} and nothing has changed since "
            "(no file written, no command run), so it would give the same result. Use what it returned, or "
            "change your approach.",
            escalate,
        )
    if (error := _same_errors(call, earlier)) is not None:
        return Verdict(
            f"{call.name} failed {SAME_ERRORS} times in a row with the same error",
            f"Loop guard: not run. {call.name} failed {SAME_ERRORS} times in a row with the same error "
            f"({error[:200]}). Change your approach instead of trying again.",
            escalate,
        )
    return None


def named_files(call: ToolCall, workspace: Workspace) -> list[str]:
    """The workspace files a held repeat names (`read_file notes.txt`), absolute, so an editor can mark them."""
    found = []
    for value in (call.arguments.get(name) for name in PATH_ARGUMENTS):
        if not isinstance(value, str):
            continue
        try:
            path = workspace.resolve(value)
        except (PathOutsideWorkspace, OSError):
            continue
        if path.is_file():
            found.append(str(path))
    return found
