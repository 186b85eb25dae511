"""The Agent Protocol's shapes (schemas/openapi.yml, v1), as our own pydantic v2 models.

The `agent-protocol` package pins pydantic<2, so these are written from the spec. Responses are a superset of
it where agbenchmark needs more: `created_at` on every artifact (and on tasks and steps). Request bodies
follow the spec's types strictly (`additional_input` is an object, never null), so that bad input is a 422.
"""

from __future__ import annotations

import os
from typing import Any, Literal

from pydantic import BaseModel, Field

from autogpt_ls.http.reports import StepReport, TaskReport
from autogpt_ls.store import Artifact as StoredArtifact

INT32_MAX = 2**31 - 1


class Message(BaseModel):
    """The body of every error answer (the spec's NotFound shape, used for all of them)."""

    message: str


class Pagination(BaseModel):
    total_items: int
    total_pages: int
    current_page: int
    page_size: int

    @classmethod
    def of(cls, total: int, current_page: int, page_size: int) -> Pagination:
        return cls(
            total_items=total,
            total_pages=-(-total // page_size),
            current_page=current_page,
            page_size=page_size,
        )


class Artifact(BaseModel):
    artifact_id: str
    agent_created: bool
    file_name: str
    relative_path: str | None = Field(description="The folder of the file inside the task's workspace")
    created_at: str

    @classmethod
    def of(cls, artifact: StoredArtifact) -> Artifact:
        folder, name = os.path.split(artifact.relative_path)
        return cls(
            artifact_id=artifact.id,
            agent_created=artifact.agent_created,
            file_name=name,
            relative_path=folder or None,
            created_at=artifact.created_at,
        )


class TaskRequestBody(BaseModel):
    input: str | None = Field(None, description="The task's goal")
    additional_input: dict[str, Any] = Field(default_factory=dict)


class StepRequestBody(BaseModel):
    input: str | None = Field(None, description="Empty approves the proposal, other text is feedback or an answer")
    additional_input: dict[str, Any] = Field(default_factory=dict)


class Task(BaseModel):
    task_id: str
    input: str | None
    artifacts: list[Artifact]
    created_at: str
    status: str = Field(description="running, finished, stopped or failed (an autogpt-ls extension)")
    stage_changes: bool = Field(False, description="commands run staged, their changes reviewed (an extension)")
    staging_note: str = Field("", description="why staging was asked for but is off (an autogpt-ls extension)")

    @classmethod
    def of(cls, report: TaskReport) -> Task:
        task = report.task
        return cls(
            task_id=task.id,
            input=task.goal,
            artifacts=[Artifact.of(a) for a in report.artifacts],
            created_at=task.created_at.isoformat(),
            status=task.status,
            stage_changes=task.config.stage_changes,
            staging_note=task.config.staging_note,
        )


class Step(BaseModel):
    task_id: str
    step_id: str
    name: str | None
    status: Literal["created", "running", "completed"]
    input: str | None
    output: str | None
    additional_output: dict[str, Any] | None
    artifacts: list[Artifact]
    is_last: bool
    created_at: str

    @classmethod
    def of(cls, report: StepReport) -> Step:
        extra: dict[str, Any] = {
            "proposal": report.proposal.model_dump() if report.proposal else None,
            "last_action": report.last_action.model_dump(mode="json") if report.last_action else None,
            "actions": [a.model_dump(mode="json") for a in report.actions],
            "usage": report.usage.model_dump(),
            "task_cumulative_usage": report.task_cumulative_usage.model_dump(),
            "task_cumulative_cost": report.task_cumulative_usage.cost_usd,
            "llm_seconds": round(report.llm_seconds, 6),
            "task_status": report.task_status.value,
            "summaries": [s.model_dump(mode="json") for s in report.summaries],
            "plan": [item.model_dump() for item in report.plan],
        }
        return cls(
            task_id=report.task_id,
            step_id=report.step_id,
            name=report.name,
            status=report.status,
            input=report.input,
            output=report.output,
            additional_output=extra,
            artifacts=[Artifact.of(a) for a in report.artifacts],
            is_last=report.is_last,
            created_at=report.created_at.isoformat(),
        )


class TaskListResponse(BaseModel):
    tasks: list[Task]
    pagination: Pagination


class TaskStepsListResponse(BaseModel):
    steps: list[Step]
    pagination: Pagination


class TaskArtifactsListResponse(BaseModel):
    artifacts: list[Artifact]
    pagination: Pagination
