"""The /ap/v1 routes: each converts the request, calls the service, and converts its answer. No agent logic."""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar, cast
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, HTTPException, Query, Request, Response, UploadFile
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

from autogpt_ls.agent.errors import InvalidInput
from autogpt_ls.http.models import (
    INT32_MAX,
    Artifact,
    Message,
    Pagination,
    Step,
    StepRequestBody,
    Task,
    TaskArtifactsListResponse,
    TaskListResponse,
    TaskRequestBody,
    TaskStepsListResponse,
)
from autogpt_ls.http.service import MAX_UPLOAD_BYTES, Service

Body = TypeVar("Body", bound=BaseModel)


async def authorized(request: Request) -> None:
    """With AP_SERVER_TOKEN set, every request must carry `Authorization: Bearer <token>`. (The dependencies are
    `async` because FastAPI runs plain functions in its thread pool, a thread hop per request for nothing.)"""
    token: str | None = request.app.state.token
    if token is None:
        return
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(value.strip().encode(), token.encode()):
        raise HTTPException(401, "missing or wrong bearer token (AP_SERVER_TOKEN)", {"WWW-Authenticate": "Bearer"})


def _json_body(model: type[Body]) -> Callable[[Request], Awaitable[Body]]:
    """The request body as `model`; no body at all is the empty one (the spec does not require a body, and
    agbenchmark posts steps without one), but a JSON `null` or a non-JSON body is refused like any bad input."""

    async def parse(request: Request) -> Body:
        raw = await request.body()
        if not raw.strip():
            return model()
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind != "application/json" and not kind.endswith("+json"):
            raise HTTPException(415, f"the body must be application/json, not {kind or 'untyped'}")
        try:
            return model.model_validate_json(raw)
        except ValidationError as e:
            raise RequestValidationError([{**err, "loc": ("body", *err["loc"])} for err in e.errors()]) from None

    return parse


async def _service(request: Request) -> Service:
    return cast(Service, request.app.state.service)


def _body_schema(model: type[BaseModel]) -> dict[str, Any]:
    return {"requestBody": {"content": {"application/json": {"schema": model.model_json_schema()}}}}


Core = Annotated[Service, Depends(_service)]
CurrentPage = Annotated[int, Query(ge=1, le=INT32_MAX, description="Page number")]
PageSize = Annotated[int, Query(ge=1, le=INT32_MAX, description="Number of items per page")]
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": Message, "description": text}
    for code, text in [(404, "Not found"), (409, "The task is busy or has ended"), (422, "Unprocessable")]
}
router = APIRouter(prefix="/ap/v1/agent", tags=["agent"], dependencies=[Depends(authorized)], responses=ERRORS)


@router.post("/tasks", operation_id="createAgentTask", openapi_extra=_body_schema(TaskRequestBody))
async def create_agent_task(core: Core, body: Annotated[TaskRequestBody, Depends(_json_body(TaskRequestBody))]) -> Task:
    return Task.of(await core.create_task(body.input, body.additional_input))


@router.get("/tasks", operation_id="listAgentTasks")
async def list_agent_tasks(core: Core, current_page: CurrentPage = 1, page_size: PageSize = 10) -> TaskListResponse:
    page = await core.tasks((current_page - 1) * page_size, page_size)
    return TaskListResponse(
        tasks=[Task.of(t) for t in page.items], pagination=Pagination.of(page.total, current_page, page_size)
    )


@router.get("/tasks/{task_id}", operation_id="getAgentTask")
async def get_agent_task(core: Core, task_id: str) -> Task:
    return Task.of(await core.task(task_id))


@router.get("/tasks/{task_id}/steps", operation_id="listAgentTaskSteps")
async def list_agent_task_steps(
    core: Core, task_id: str, current_page: CurrentPage = 1, page_size: PageSize = 10
) -> TaskStepsListResponse:
    page = await core.steps(task_id, (current_page - 1) * page_size, page_size)
    return TaskStepsListResponse(
        steps=[Step.of(s) for s in page.items], pagination=Pagination.of(page.total, current_page, page_size)
    )


@router.post("/tasks/{task_id}/steps", operation_id="executeAgentTaskStep", openapi_extra=_body_schema(StepRequestBody))
async def execute_agent_task_step(
    core: Core, task_id: str, body: Annotated[StepRequestBody, Depends(_json_body(StepRequestBody))]
) -> Step:
    """Empty input approves the pending proposal; other text is feedback (or the answer to ask_user)."""
    return Step.of(await core.step(task_id, body.input or "", body.additional_input))


@router.get("/tasks/{task_id}/steps/{step_id}", operation_id="getAgentTaskStep")
async def get_agent_task_step(core: Core, task_id: str, step_id: str) -> Step:
    return Step.of(await core.step_report(task_id, step_id))


@router.get("/tasks/{task_id}/artifacts", operation_id="listAgentTaskArtifacts")
async def list_agent_task_artifacts(
    core: Core, task_id: str, current_page: CurrentPage = 1, page_size: PageSize = 10
) -> TaskArtifactsListResponse:
    page = await core.artifacts(task_id, (current_page - 1) * page_size, page_size)
    return TaskArtifactsListResponse(
        artifacts=[Artifact.of(a) for a in page.items], pagination=Pagination.of(page.total, current_page, page_size)
    )


@router.post("/tasks/{task_id}/artifacts", operation_id="uploadAgentTaskArtifacts")
async def upload_agent_task_artifacts(
    core: Core,
    task_id: str,
    file: Annotated[UploadFile, File(description="The file to upload")],
    relative_path: Annotated[str | None, Form(description="Folder inside the task's workspace")] = None,
) -> Artifact:
    if file.size is not None and file.size > MAX_UPLOAD_BYTES:
        raise InvalidInput(f"the file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB")
    return Artifact.of(await core.add_file(task_id, relative_path, file.filename, await file.read()))


@router.get(
    "/tasks/{task_id}/artifacts/{artifact_id}",
    operation_id="downloadAgentTaskArtifact",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}}},
)
async def download_agent_task_artifact(core: Core, task_id: str, artifact_id: str) -> Response:
    artifact, data = await core.artifact_file(task_id, artifact_id)
    name = artifact.relative_path.rpartition("/")[2]
    return Response(data, media_type="application/octet-stream", headers={"Content-Disposition": attachment(name)})


def attachment(name: str) -> str:
    """Content-Disposition for any file name (RFC 6266): an ASCII `filename` for old clients, and the exact name
    in `filename*` (RFC 5987) when it has other characters; a header must be Latin-1, a name need not be."""
    fallback = "".join(c if " " <= c <= "~" and c not in '"\\' else "_" for c in name)
    exact = quote(name, safe="")
    header = f'attachment; filename="{fallback}"'
    return header if exact == name else f"{header}; filename*=UTF-8''{exact}"
