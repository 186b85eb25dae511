"""Typed records of the agent loop, at the bottom of the package: the store persists them, every layer uses them
and every front end renders them. On the LSP wire they are camelCase (`by_alias`); the store and the Agent
Protocol keep the field names, and both spellings are read, so records saved before the casing change load."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.alias_generators import to_camel

# note: changes only the task; web: reaches the network from the server's machine (asked like a command, never
# approved by a rule for `read`)
ToolKind = Literal["read", "write", "command", "web", "ask_user", "finish", "note"]
ExecutorName = Literal["local", "docker", "devcontainer"]  # where a task's commands run


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


class TaskStatus(StrEnum):
    RUNNING = "running"
    FINISHED = "finished"
    STOPPED = "stopped"  # by the user (`n`) or a limit; can be resumed
    FAILED = "failed"


class Limits(Record):
    """Hard limits the loop enforces in code; None means unlimited."""

    max_steps: int | None = 50
    max_cost_usd: float | None = None
    max_seconds: float | None = None


class AIProfile(Record):
    """AutoGPT's ai_settings.yaml."""

    ai_name: str = "AutoGPT"
    ai_role: str = (
        "an autonomous coding agent that works inside the user's workspace and completes the given goal "
        "step by step, proposing one action at a time for the user to approve"
    )
    ai_goals: list[str] = Field(default_factory=list)


class PromptSettings(Record):
    """AutoGPT's prompt_settings.yaml: the system prompt's lists."""

    constraints: list[str] = Field(default_factory=list)
    resources: list[str] = Field(default_factory=list)
    best_practices: list[str] = Field(default_factory=list)


class TaskConfig(Record):
    """Everything fixed when a task is created, so a resumed task behaves as it started."""

    smart_llm: str
    fast_llm: str | None = None  # for cheap calls (summaries) once they exist
    continuous: bool = False
    continuous_limit: int | None = None
    limits: Limits = Field(default_factory=Limits)
    profile: AIProfile = Field(default_factory=AIProfile)
    prompt: PromptSettings = Field(default_factory=PromptSettings)
    executor: ExecutorName | None = None  # None: the setting's choice when the task runs
    network: bool = False  # the sandbox's network, on only when the user asked for this task
    background_jobs: bool = False  # ALLOW_BACKGROUND_JOBS: processes a command started outlive it, until the task ends
    stage_changes: bool = False  # commands run on a staged copy; their file changes come back for review
    staging_note: str = ""  # why staging was asked for but is off (said at the task's start)


class Summary(Record):
    """An episodic summary of steps [first, end), made when the prompt would have passed the model's budget;
    stored with the task, so a restart does not redo it (or pay for it again)."""

    first: int
    end: int
    text: str
    model: str
    at_step: int  # the step whose prompt needed it
    usage: Usage = Field(default_factory=Usage)


class Memory(Record):
    """What the prompt holds in place of the steps before `compacted`: their summaries (the kept facts are read
    from those steps themselves), and the calibrated characters per token of the model."""

    compacted: int = 0
    summaries: list[Summary] = Field(default_factory=list)
    chars_per_token: float = 3.0


class PlanItem(Record):
    """One item of the agent's plan, kept with the `todo` tool."""

    text: str
    done: bool = False


class UndoRecord(Record):
    """One undo: which steps, which files, and the checkpoints before (`undone_from`) and after it."""

    step_ids: list[str]
    files: list[str]
    undone_from: str
    restored_to: str


class Rule(Record):
    """A project rules file (AGENTS.md, ...) as the task read it at its start (agent/rules.py)."""

    path: str
    text: str
    size: int  # characters in the file; more than len(text) when it was cut

    @property
    def cut(self) -> bool:
        return self.size > len(self.text)


class SavedShell(Record):
    """The task's shell between commands, kept with the task: the next command starts its shell in this folder
    with these variables, in this process, another one, or after a restart."""

    cwd: str | None = None  # None: the workspace root
    env: dict[str, str] = Field(default_factory=dict)
    by: str = ""  # the process (store.lease_owner_id) whose shell left it; another process's shell is not reused

    def masked(self, mask: Callable[[str], str]) -> SavedShell:
        """Without the variables that hold a secret: the store never holds one (the next shell lacks them)."""
        return self.model_copy(update={"env": {k: v for k, v in self.env.items() if mask(v) == v}})


class TaskState(Record):
    """Counters the loop keeps between steps and across restarts."""

    steps: int = 0
    usage: Usage = Field(default_factory=Usage)
    elapsed_seconds: float = 0.0
    auto_approve_remaining: int = 0
    auto_approved: int = 0
    consecutive_failures: int = 0
    last_undo: UndoRecord | None = None  # what `redo` puts back, until another step runs

    memory: Memory = Field(default_factory=Memory)
    plan: list[PlanItem] = Field(default_factory=list)  # the agent's todo list, as its last `todo` step left it
    nested_rules: list[str] = Field(default_factory=list)  # the nested AGENTS.md files already shown to the LLM
    rules: list[Rule] | None = None  # the project's rules files, read once at the task's start (None: not yet)
    shell: SavedShell | None = None  # the sandbox shell's folder and variables after the last command


class Task(Record):
    id: str = Field(default_factory=new_id)
    goal: str
    workspace: str
    status: TaskStatus = TaskStatus.RUNNING
    config: TaskConfig
    context: EditorContext | None = None  # from the editor, with the goal
    state: TaskState = Field(default_factory=TaskState)
    end_reason: str = ""
    created_at: datetime = Field(default_factory=utcnow)
