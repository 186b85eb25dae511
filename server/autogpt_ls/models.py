"""Typed records of the agent loop, at the bottom of the package: the store persists them, every layer uses them
and every front end renders them. Here a step's (its proposal, decision, result, changes) and the base they share;
a task's (its config, state, memory) are in task_models.py. On the LSP wire they are camelCase (`by_alias`); the
store and the Agent Protocol keep the field names, and both spellings are read, so records saved before the
casing change load."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.alias_generators import to_camel

# note: changes only the task; web: reaches the network from the server's machine (asked like a command, never
# approved by a rule for `read`)
ToolKind = Literal["read", "write", "command", "web", "ask_user", "finish", "note"]


class Record(BaseModel):
    """Every record: camelCase aliases for the wire, field names accepted too."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


def new_id() -> str:
    return uuid.uuid4().hex


def utcnow() -> datetime:
    return datetime.now(UTC)


class Usage(Record):
    """Tokens and cost of one or more LLM calls; cost is None when the model has no known price. Of the prompt
    tokens, `cached_tokens` were read from the provider's prompt cache and `cache_write_tokens` written to it
    (Anthropic), each priced at its own rate."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float | None = 0.0
    cached_tokens: int = 0
    cache_write_tokens: int = 0

    def __add__(self, other: Usage) -> Usage:
        cost = None if self.cost_usd is None or other.cost_usd is None else self.cost_usd + other.cost_usd
        return Usage(
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
            cost_usd=cost,
            cached_tokens=self.cached_tokens + other.cached_tokens,
            cache_write_tokens=self.cache_write_tokens + other.cache_write_tokens,
        )


class ToolCall(Record):
    """One validated call of a registered tool."""

    id: str = Field(default_factory=lambda: "call_" + new_id()[:12])
    name: str
    arguments: dict[str, Any] = Field(default_factory=dict)


class Proposal(Record):
    """What the LLM wants to do next: its thoughts and exactly one tool call."""

    thoughts: str = ""
    tool_call: ToolCall
    ignored_calls: list[str] = Field(default_factory=list)


class DecisionKind(StrEnum):
    """What is done with a proposal.

    UNDO and REDO discard the proposal: the files go back (or forward) and the LLM proposes again. SELF_FEEDBACK
    has the LLM critique it first: the proposal is kept as revised and a new one, made with the critique, waits."""

    APPROVE = "approve"
    REJECT = "reject"
    FEEDBACK = "feedback"
    ANSWER = "answer"
    UNDO = "undo"
    REDO = "redo"
    SELF_FEEDBACK = "self_feedback"


class DecisionSource(StrEnum):
    """Who approved: the human, the credit of their `y -N`, continuous mode, or a rule (an approval rule, a note,
    the loop guard)."""

    HUMAN = "human"
    CREDIT = "credit"
    CONTINUOUS = "continuous"
    RULE = "rule"


class Decision(Record):
    """The verdict on one proposal and where it came from."""

    kind: DecisionKind
    times: int = 1
    text: str = ""
    source: DecisionSource = DecisionSource.HUMAN
    rule: str = ""  # source RULE: the approval rule that decided it (`AUTO_APPROVE_COMMANDS pytest`)
    # UNDO: back to before this step (its id, or its index as the terminal shows it; neither: the last one run)
    step_id: str = ""
    step_index: int | None = None
    force: bool = False  # UNDO/REDO: overwrite files the user changed since

    @model_validator(mode="before")
    @classmethod
    def _saved_auto(cls, data: Any) -> Any:
        """Steps saved before `source` existed said `auto: true` for any automatic approval."""
        if isinstance(data, dict) and data.pop("auto", False) and "source" not in data:
            data["source"] = DecisionSource.CONTINUOUS
        return data

    @property
    def auto(self) -> bool:
        return self.source != DecisionSource.HUMAN


class Result(Record):
    """What the agent observed after a step; `ok=False` results are errors the LLM must see."""

    ok: bool
    output: str = ""
    exit_code: int | None = None
    files: list[str] = Field(default_factory=list)  # workspace files the step wrote (relative): its artifacts
    undo_note: str = ""  # what an undo of this step cannot put back (a git tool's HEAD, branch, commit, clone)

    @classmethod
    def error(cls, message: str) -> Result:
        return cls(ok=False, output=message)


Severity = Literal["error", "warning", "information", "hint"]


class Diagnostic(Record):
    """A problem one of the user's own tools (a language server, a linter) reports in a file: editor context
    given with a task, or what an approved edit introduced. Lines and columns are 1-based, as people read them."""

    path: str  # relative to the workspace when inside it, else absolute
    line: int
    column: int
    severity: Severity
    message: str
    source: str = ""


class Selection(Record):
    """Text the user selected in the editor when starting the task (lines 1-based, inclusive)."""

    path: str
    start_line: int
    end_line: int
    text: str


class EditorContext(Record):
    """What the user chose to show the agent from the editor with the goal; kept with it, never summarised."""

    active_file: str | None = None
    selection: Selection | None = None
    diagnostics: list[Diagnostic] = Field(default_factory=list)


class StepStatus(StrEnum):
    AWAITING = "awaiting"  # proposal shown, waiting for a decision
    INVALID = "invalid"  # the LLM's reply was unusable; the error goes back to it
    EXECUTING = "executing"  # approved and running: never started a second time
    DONE = "done"
    FEEDBACK = "feedback"
    REJECTED = "rejected"
    INTERRUPTED = "interrupted"  # the process died while executing; outcome unknown
    UNDONE = "undone"  # ran, then the user undid it: its file changes were rolled back
    REVISED = "revised"  # not run: the agent critiqued it (self-feedback) and proposed again


class StepChanges(Record):
    """What a step that can change files changed, from the checkpoints before and after it."""

    before: str = ""  # checkpoint trees in the workspace's shadow repository ("" when none could be taken)
    after: str = ""
    files: list[str] = Field(default_factory=list)
    not_covered: list[str] = Field(default_factory=list)  # what undo cannot restore, when it differs from before
    error: str = ""  # why no checkpoint was taken
    commit: str = ""  # GIT_AUTO_COMMIT: this step's commit on the task branch autogpt/<task id>


class Step(Record):
    id: str = Field(default_factory=new_id)
    task_id: str
    index: int
    status: StepStatus
    proposal: Proposal | None = None
    raw_reply: str = ""
    decision: Decision | None = None
    result: Result | None = None
    changes: StepChanges | None = None
    usage: Usage = Field(default_factory=Usage)
    llm_seconds: float = 0.0
    created_at: datetime = Field(default_factory=utcnow)
    diagnostics: list[Diagnostic] = Field(default_factory=list)  # what the editor reported after this step's edit
