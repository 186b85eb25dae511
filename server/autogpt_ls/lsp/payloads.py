"""What the server sends on the agent/* protocol: every notification's params and every request's result, camelCase
on the wire (the core records inside, steps included, alias the same way).

`schema()` is the one JSON Schema of these and the request params (`lsp/protocol.py`); `autogpt-ls
protocol-schema` prints it and the extension's TypeScript types are generated from it (`npm run gen:protocol`).
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import BaseModel, Field
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaMode, JsonSchemaValue, models_json_schema

from autogpt_ls.changes import CommandPreview
from autogpt_ls.lsp.protocol import (
    CheckpointFileParams,
    DiagnosticsParams,
    Params,
    RedoParams,
    RollbackParams,
    RunParams,
    SpeechParams,
    StepParams,
    TaskParams,
)
from autogpt_ls.models import (
    DecisionKind,
    EditorContext,
    PlanItem,
    Record,
    Step,
    Summary,
    Task,
    TaskConfig,
    TaskStatus,
    Usage,
)


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


class TaskEndedParams(Notification):
    method = "agent/taskEnded"
    task_id: str
    status: TaskStatus
    reason: str
    usage: Usage


# -- results (server -> client, answering a request)
class TaskRef(Payload):
    """agent/run, agent/cancel, agent/resume."""

    task_id: str


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


class TaskSummary(Payload):
    task_id: str
    goal: str
    status: TaskStatus
    reason: str
    workspace: str
    steps: int
    usage: Usage
    created_at: str  # ISO-8601
    plan: list[PlanItem]  # the agent's todo list as it is now
    summaries: list[Summary]  # what the prompt holds in place of the compacted steps

    @classmethod
    def of(cls, task: Task) -> TaskSummary:
        return cls.model_validate(cls._fields(task))

    @staticmethod
    def _fields(task: Task) -> dict[str, Any]:
        return {
            "task_id": task.id,
            "goal": task.goal,
            "status": task.status,
            "reason": task.end_reason,
            "workspace": task.workspace,
            "steps": task.state.steps,
            "usage": task.state.usage,
            "created_at": task.created_at.isoformat(),
            "plan": task.state.plan,
            "summaries": task.state.memory.summaries,
        }


class TaskList(Payload):
    """agent/listTasks."""

    tasks: list[TaskSummary]


class TaskDetail(TaskSummary):
    """agent/getTask: the summary, the task's config, the editor context it was given and its stored steps."""

    config: TaskConfig
    context: EditorContext | None
    step_list: list[Step]

    @classmethod
    def of_steps(cls, task: Task, steps: list[Step]) -> TaskDetail:
        extra = {"config": task.config, "context": task.context, "step_list": steps}
        return cls.model_validate(cls._fields(task) | extra)


# Every method and its shapes: the one table the schema, the TypeScript types and docs/protocol.md come from.
_NOTICES: list[type[Notification]] = [
    ThinkingParams,
    ProposalParams,
    QuestionParams,
    CommandOutputParams,
    StepCompletedParams,
    PlanParams,
    CompactedParams,
    RewindRefusedParams,
    TaskEndedParams,
]
NOTIFICATIONS = {n.method: n for n in _NOTICES}
REQUESTS: dict[str, tuple[type[Params] | None, type[Payload]]] = {
    "agent/run": (RunParams, TaskRef),
    "agent/approveStep": (StepParams, DecisionResult),
    "agent/rejectStep": (StepParams, DecisionResult),
    "agent/feedback": (StepParams, DecisionResult),
    "agent/answer": (StepParams, DecisionResult),
    "agent/selfFeedback": (StepParams, DecisionResult),
    "agent/rollback": (RollbackParams, DecisionResult),
    "agent/redo": (RedoParams, DecisionResult),
    "agent/checkpointFile": (CheckpointFileParams, CheckpointFile),
    "agent/diagnostics": (DiagnosticsParams, DiagnosticsAck),
    "agent/speech": (SpeechParams, Speech),
    "agent/cancel": (TaskParams, TaskRef),
    "agent/resume": (TaskParams, TaskRef),
    "agent/listTasks": (None, TaskList),
    "agent/getTask": (TaskParams, TaskDetail),
}


class _Generator(GenerateJsonSchema):
    """What the server sends has every field, defaults included: required and without a default in the schema (no
    `?` in TypeScript). Fields get no titles, which generators would turn into one type alias each."""

    def field_is_required(self, field: Any, total: bool) -> bool:
        if self.mode == "serialization":
            return field.get("serialization_exclude_if") is None
        return super().field_is_required(field, total)

    def default_schema(self, schema: Any) -> JsonSchemaValue:
        if self.mode == "serialization":
            return self.generate_inner(schema["schema"])
        return super().default_schema(schema)

    def field_title_should_be_set(self, schema: Any) -> bool:
        return False


def _table(entries: dict[str, JsonSchemaValue]) -> JsonSchemaValue:
    return {"type": "object", "properties": entries, "required": list(entries), "additionalProperties": False}


def schema() -> JsonSchemaValue:
    """One JSON Schema document: each method's params and payloads as properties of the root, models as $defs."""
    received: set[type[BaseModel]] = {m for m, _ in REQUESTS.values() if m is not None}
    sent: set[type[BaseModel]] = {*NOTIFICATIONS.values(), *(r for _, r in REQUESTS.values())}
    inputs: list[tuple[type[BaseModel], JsonSchemaMode]] = [(m, "validation") for m in received]
    inputs += [(m, "serialization") for m in sent]
    inputs.sort(key=lambda i: i[0].__name__)  # the sets' order changes from run to run
    refs, document = models_json_schema(inputs, schema_generator=_Generator)

    def ref(model: type[BaseModel] | None, mode: JsonSchemaMode) -> JsonSchemaValue:
        return refs[(model, mode)] if model is not None else _table({})

    requests = {
        method: _table({"params": ref(params, "validation"), "result": ref(result, "serialization")})
        for method, (params, result) in REQUESTS.items()
    }
    notifications = {method: ref(params, "serialization") for method, params in NOTIFICATIONS.items()}
    root = _table({"notifications": _table(notifications), "requests": _table(requests)})
    return {"title": "AgentProtocol", **root, **document}
