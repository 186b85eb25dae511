"""The tasks this language server drives: one asyncio job per task, calling the driver in a loop.

A job holds its task's lease while it waits for the editor's decision; a decision request is checked here and
answered at once, and the job applies it with its next `advance` call.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from autogpt_ls.agent.driver import interact
from autogpt_ls.agent.errors import NotFound, NotWaiting, TaskBusy
from autogpt_ls.agent.runtime import Runtime
from autogpt_ls.models import Decision, Step
from autogpt_ls.task_models import Rule

log = logging.getLogger(__name__)


@dataclass
class Job:
    task_id: str
    runner: asyncio.Task[None] | None = None
    pending: Step | None = None
    decision: asyncio.Future[Decision] | None = field(default=None, repr=False)
    rules: tuple[Rule, ...] = ()  # the project's rules files its driver read

    async def ask(self, step: Step) -> Decision:
        """Wait for the editor's decision on `step` (a request sets it through Jobs.decide)."""
        self.pending, self.decision = step, asyncio.get_running_loop().create_future()
        try:
            return await self.decision
        finally:
            self.pending = self.decision = None


class Jobs:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self._jobs: dict[str, Job] = {}

    async def start(self, task_id: str, *, resume: bool = False) -> None:
        """Drive the task in the background; returns once it is driven here, or raises why it cannot be."""
        current = self._jobs.get(task_id)
        if current and current.runner and not current.runner.done():
            raise TaskBusy(f"task {task_id} is already running")
        job = self._jobs[task_id] = Job(task_id)
        started: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        job.runner = asyncio.create_task(self._drive(job, resume, started), name=f"task-{task_id}")
        job.runner.add_done_callback(_log_failure)
        await started

    async def _drive(self, job: Job, resume: bool, started: asyncio.Future[None]) -> None:
        try:
            async with self.runtime.driving(job.task_id, resume=resume) as driver:
                job.rules = driver.agent.rules
                started.set_result(None)
                await interact(driver, job.ask)
        except Exception as e:
            if started.done():
                raise
            started.set_exception(e)  # the request that started the job answers with the reason

    def rules(self, task_id: str) -> tuple[Rule, ...]:
        """The project's rules files the task follows, read when its job started here."""
        job = self._jobs.get(task_id)
        return job.rules if job else ()

    async def _running(self, task_id: str) -> Job:
        job = self._jobs.get(task_id)
        if job is None or job.runner is None or job.runner.done():
            known = await self.runtime.store.get_task(task_id)
            if known is None:
                raise NotFound(f"unknown task {task_id!r}")
            raise NotWaiting(f"task {task_id} is not running in this server ({known.status}); agent/resume it")
        return job

    async def pending(self, task_id: str, step_id: str | None = None) -> Step:
        """The step waiting for a decision, which must be `step_id` when given (a stale id is refused)."""
        job = await self._running(task_id)
        if job.pending is None:
            raise NotWaiting(f"task {task_id} has no step waiting for a decision right now")
        if step_id is not None and job.pending.id != step_id:
            raise NotWaiting(f"step {step_id} is not waiting for a decision; the pending step is {job.pending.id}")
        return job.pending

    async def decide(self, task_id: str, step_id: str, decision: Decision) -> Step:
        step = await self.pending(task_id, step_id)
        job = self._jobs[task_id]
        assert job.decision is not None
        job.decision.set_result(decision)
        job.pending = None  # a second answer to the same step is refused, not queued
        return step

    async def cancel(self, task_id: str, reason: str = "cancelled") -> None:
        runner = (await self._running(task_id)).runner
        assert runner is not None
        runner.cancel(reason)

    async def pause_all(self, reason: str) -> None:
        """Stop every running task (resumable), e.g. when the editor shuts the server down."""
        runners = [j.runner for j in self._jobs.values() if j.runner and not j.runner.done()]
        for runner in runners:
            runner.cancel(reason)
        await asyncio.gather(*runners, return_exceptions=True)


def _log_failure(runner: asyncio.Task[None]) -> None:
    if not runner.cancelled() and runner.exception() is not None:
        log.error("%s crashed: %r", runner.get_name(), runner.exception())
