"""A task's records: what is fixed when it is created (its config), the counters and memory the loop keeps
across steps and restarts (its state), and the task itself; its steps' records are in models.py."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import Field

from autogpt_ls.models import EditorContext, Record, Usage, new_id, utcnow

ExecutorName = Literal["local", "docker", "devcontainer"]  # where a task's commands run


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
    # The sandbox shell's folder and variables after the last command; the initial ones from the claim of the first
    # command step. None: no command ever ran, so the task has no sandbox container to remove when it ends.
    shell: SavedShell | None = None


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
