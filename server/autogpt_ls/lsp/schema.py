"""`schema()` is the one JSON Schema of what the server sends (`lsp/payloads.py`, `lsp/task_payloads.py`) and the
request params (`lsp/protocol.py`); `autogpt-ls protocol-schema` prints it and the extension's TypeScript types are
generated from it (`npm run gen:protocol`).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaMode, JsonSchemaValue, models_json_schema

from autogpt_ls.lsp.payloads import (
    CheckpointFile,
    CommandOutputParams,
    CompactedParams,
    DecisionResult,
    DiagnosticsAck,
    Notification,
    Payload,
    PlanParams,
    ProposalParams,
    QuestionParams,
    RewindRefusedParams,
    Speech,
    StepCompletedParams,
    ThinkingParams,
)
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
from autogpt_ls.lsp.task_payloads import TaskDetail, TaskEndedParams, TaskList, TaskRef

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
