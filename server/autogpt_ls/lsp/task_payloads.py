"""What the server sends about whole tasks: their end, the ref a task request answers with, and the summaries
and details agent/listTasks and agent/getTask return."""

from __future__ import annotations

from typing import Any

from autogpt_ls.lsp.payloads import Notification, Payload
from autogpt_ls.models import EditorContext, Step, Usage
from autogpt_ls.task_models import PlanItem, Summary, Task, TaskConfig, TaskStatus


class TaskEndedParams(Notification):
    method = "agent/taskEnded"
    task_id: str
    status: TaskStatus
    reason: str
    usage: Usage


class TaskRef(Payload):
    """agent/run, agent/cancel, agent/resume."""

    task_id: str


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
