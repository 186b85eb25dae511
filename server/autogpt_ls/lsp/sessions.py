"""Tasks this server drives at once, each an asyncio task waiting on its own pending decision."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from autogpt_ls.agent.runtime import Runtime
from autogpt_ls.models import Decision, Step, Task

log = logging.getLogger(__name__)


class SessionError(ValueError):
    """A request that does not fit the task's state; the message tells the client what would."""


@dataclass
class Session:
    task_id: str
    runner: asyncio.Task[Task] | None = None
    pending: Step | None = None
    decision: asyncio.Future[Decision] | None = field(default=None, repr=False)


class Sessions:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self._sessions: dict[str, Session] = {}

    def start(self, task: Task) -> None:
        """Drive `task` in the background; proposals wait for `decide`."""
        current = self._sessions.get(task.id)
        if current and current.runner and not current.runner.done():
            raise SessionError(f"task {task.id} is already running")
        if holder := self.runtime.store.lease_holder(task.id):
            raise SessionError(f"task {task.id} is being driven by another process ({holder})")
        session = self._sessions[task.id] = Session(task.id)

        async def ask(step: Step) -> Decision:
            session.pending, session.decision = step, asyncio.get_running_loop().create_future()
            try:
                return await session.decision
            finally:
                session.pending = session.decision = None

        session.runner = asyncio.create_task(self.runtime.drive(task, ask), name=f"task-{task.id}")
        session.runner.add_done_callback(_log_failure)

    def _running(self, task_id: str) -> Session:
        session = self._sessions.get(task_id)
        if session is None or session.runner is None or session.runner.done():
            known = self.runtime.store.get_task(task_id)
            if known is None:
                raise SessionError(f"unknown task {task_id!r}")
            raise SessionError(f"task {task_id} is not running in this server ({known.status}); agent/resume it")
        return session

    def pending(self, task_id: str, step_id: str) -> Step:
        """The step waiting for a decision, which must be `step_id` (a stale id is refused)."""
        session = self._running(task_id)
        if session.pending is None:
            raise SessionError(f"task {task_id} has no step waiting for a decision right now")
        if session.pending.id != step_id:
            raise SessionError(
                f"step {step_id} is not waiting for a decision; the pending step is {session.pending.id}"
            )
        return session.pending

    def decide(self, task_id: str, step_id: str, decision: Decision) -> Step:
        step = self.pending(task_id, step_id)
        session = self._sessions[task_id]
        assert session.decision is not None
        session.decision.set_result(decision)
        session.pending = None  # a second answer to the same step is refused, not queued
        return step

    def cancel(self, task_id: str, reason: str = "cancelled") -> None:
        session = self._running(task_id)
        assert session.runner is not None
        session.runner.cancel(reason)

    def pending_steps(self) -> list[Step]:
        return [s.pending for s in self._sessions.values() if s.pending is not None]

    async def pause_all(self, reason: str) -> None:
        """Stop every running task in the store (resumable), e.g. when the editor shuts the server down."""
        runners = [s.runner for s in self._sessions.values() if s.runner and not s.runner.done()]
        for runner in runners:
            runner.cancel(reason)
        await asyncio.gather(*runners, return_exceptions=True)


def _log_failure(runner: asyncio.Task[Task]) -> None:
    if not runner.cancelled() and runner.exception() is not None:
        log.error("%s crashed: %r", runner.get_name(), runner.exception())
