"""What the server sends on the agent/* protocol about steps: every notification's params and every request's
result, camelCase on the wire (the core records inside, steps included, alias the same way). Whole tasks' payloads
are in `lsp/task_payloads.py`; `lsp/schema.py` makes the one JSON Schema of them all.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field

from autogpt_ls.changes import CommandPreview
from autogpt_ls.lsp.protocol import CheckpointFileParams
from autogpt_ls.models import DecisionKind, Record, Step
from autogpt_ls.task_models import PlanItem, Summary


class Payload(Record):
    """Everything the server sends; `wire()` is its JSON, camelCase."""

    def wire(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True)


# -- notifications (server -> client)
class Notification(Payload):
    method: ClassVar[str]


class ThinkingParams(Notification):
    """agent/thinking: the next piece of the LLM's reply for step `index`, as it streams; the client appends."""

    method = "agent/thinking"

    task_id: str
    index: int
    delta: str


class ProposalParams(Notification):
    """agent/proposal: a step before anything happens. `auto`: an approval rule, continuous mode or `y -N` approved
    it already, as `approved_by` says (`rule AUTO_APPROVE read_file`, `y -N credit`, `continuous mode`). `guard`:
    why the loop guard caught it ("repeating read_file notes.txt"); when not `auto` it waits for the human even in
    continuous mode: approve runs it anyway, feedback `rethink` (or any text) makes the agent change its approach,
    reject stops."""

    method = "agent/proposal"

    task_id: str
    step_id: str
    index: int
    thoughts: str
    tool: str
    arguments: dict[str, Any]
    auto: bool
    approved_by: str = ""
    kind: Literal["file_change", "command", "other"]
    uri: str | None = None  # file_change: the first file's
    workspace_edit: dict[str, Any] | None = Field(
        None, json_schema_extra={"tsType": "import('vscode-languageclient/node').WorkspaceEdit | null"}
    )  # file_change: the whole change set as one LSP WorkspaceEdit
    command: CommandPreview | None = None
    guard: str = ""


class QuestionParams(Notification):
    """agent/question: the agent ran `ask_user`; answer with agent/answer."""

    method = "agent/question"

    task_id: str
    step_id: str
    question: str


class CommandOutputParams(Notification):
    """agent/commandOutput: a running command's output as it streams."""

    method = "agent/commandOutput"

    task_id: str
    step_id: str
    text: str


class StepCompletedParams(Notification):
    method = "agent/stepCompleted"
    task_id: str
    step: Step


class PlanParams(Notification):
    """agent/plan: the agent changed its plan (the `todo` tool, run at step `step_id`); `plan` is all of it."""

    method = "agent/plan"
    task_id: str
    step_id: str
    plan: list[PlanItem]


class CompactedParams(Notification):
    """agent/compacted: the oldest steps of the prompt were summarised to stay within the model's context budget;
    `summary` is what replaces them (also in every `TaskSummary.summaries`)."""

    method = "agent/compacted"
    task_id: str
    summary: Summary


class RewindRefusedParams(Notification):
    """agent/rewindRefused: an undo or redo was refused (a file changed since, nothing to undo); nothing changed
    and the proposal `step_id` still waits."""

    method = "agent/rewindRefused"
    task_id: str
    step_id: str
    message: str


# -- results (server -> client, answering a request)
class DecisionResult(Payload):
    """agent/approveStep, rejectStep, feedback, answer, rollback, redo (`step_id`: the proposal it discards);
    `decision` is null when nothing was decided."""

    task_id: str
    step_id: str
    decision: DecisionKind | None


class CheckpointFile(Payload):
    """agent/checkpointFile: the file's text at that checkpoint (`exists` false: it did not exist then; `binary`:
    not shown, `text` is empty)."""

    task_id: str
    step_id: str
    path: str
    side: Literal["before", "after"]
    exists: bool
    binary: bool
    text: str

    @classmethod
    def of(cls, p: CheckpointFileParams, data: bytes | None) -> CheckpointFile:
        try:
            text = (data or b"").decode("utf-8")
            binary = "\0" in text
        except UnicodeDecodeError:
            text, binary = "", True
        fields = {"task_id": p.task_id, "step_id": p.step_id, "path": p.path, "side": p.side}
        return cls(**fields, exists=data is not None, binary=binary, text="" if binary else text)


class DiagnosticsAck(Payload):
    """agent/diagnostics: `waited` is false when no driver was waiting for this step's report (yet, or any more:
    it came after DIAGNOSTICS_WAIT_MS)."""

    task_id: str
    step_id: str
    waited: bool


class Speech(Payload):
    """agent/speech: the step's thoughts as the server's voice (TTS_PROVIDER) says them, secrets masked: a WAV
    file, base64."""

    task_id: str
    step_id: str
    voice: str
    mime_type: Literal["audio/wav"] = "audio/wav"
    data: str
