"""The custom agent/* protocol's request parameters (camelCase on the wire), validated at the edge."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel
from pygls.exceptions import JsonRpcInvalidParams

from autogpt_ls.task_models import ExecutorName


def plain(value: Any) -> Any:
    """pygls hands unknown methods' params over as namedtuples; the models validate plain JSON."""
    if hasattr(value, "_asdict"):
        return {k: plain(v) for k, v in value._asdict().items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


class Params(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")

    @classmethod
    def parse(cls, raw: Any) -> Any:
        """Validate a request's params (a dict, or the object pygls made of it) into this model."""
        try:
            return cls.model_validate(plain(raw) if raw is not None else {})
        except ValidationError as e:
            problems = "; ".join(f"{'.'.join(map(str, err['loc']))}: {err['msg']}" for err in e.errors())
            raise JsonRpcInvalidParams(f"invalid params: {problems}") from None


class Position(Params):
    """LSP's: 0-based line, UTF-16 column."""

    line: int = Field(ge=0)
    character: int = Field(ge=0)


class Range(Params):
    start: Position
    end: Position


class EditorDiagnostic(Params):
    """A diagnostic as the editor holds it (`severity`: LSP's, 1 error ... 4 hint)."""

    uri: str
    range: Range
    severity: int = Field(1, ge=1, le=4)
    message: str
    source: str | None = None


class EditorSelection(Params):
    uri: str
    range: Range
    text: str = Field(max_length=1_000_000)


class EditorContextParams(Params):
    """agent/run's `context`: what the user chose to send from the editor with the goal."""

    active_file: str | None = None  # a URI
    selection: EditorSelection | None = None
    diagnostics: list[EditorDiagnostic] | None = Field(None, max_length=500)


class RunParams(Params):
    goal: str = Field(min_length=1)
    workspace_folder: str | None = None
    continuous: bool = False
    continuous_limit: int | None = Field(None, ge=1)
    smart_llm: str | None = None
    fast_llm: str | None = None
    executor: ExecutorName | None = None
    network: bool = False
    stage_changes: bool | None = None  # None: SANDBOX_STAGE_CHANGES
    context: EditorContextParams | None = None


class TaskParams(Params):
    task_id: str


class StepParams(TaskParams):
    step_id: str
    times: int = Field(1, ge=1)
    text: str | None = None
    feedback: str | None = None


class DiagnosticsParams(TaskParams):
    """agent/diagnostics: after an approved edit (step `step_id`), the new errors and warnings the editor's other
    language servers report in the edited files (a client that declared `diagnosticsFeedback`)."""

    step_id: str
    diagnostics: list[EditorDiagnostic] = Field(max_length=500)


class RollbackParams(TaskParams):
    """agent/rollback: undo every step from `step_id` on (back to before it); `force` overwrites the user's edits."""

    step_id: str
    force: bool = False


class CheckpointFileParams(TaskParams):
    """agent/checkpointFile: a file a step changed, as it was before that step (or after it)."""

    step_id: str
    path: str  # relative to the workspace, as the step's `changes.files` lists it
    side: Literal["before", "after"] = "before"


class RedoParams(TaskParams):
    force: bool = False


class SpeechParams(TaskParams):
    """agent/speech: a step's thoughts, spoken."""

    step_id: str
