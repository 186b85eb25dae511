"""Staged commands: each runs in a container of its own on a fresh overlay of the workspace, and what it changed
comes back as a change set to review instead of landing in the workspace.

The Docker sandbox hands a command here when its task stages changes. The command runs exactly as in the sandbox
(the same isolation, wrapper, limits and timeout: `_OneCommand` is a sandbox whose container is the stage's), but
the workspace is mounted as an overlay whose lower folder is the live workspace, so nothing it writes reaches the
workspace. The shell's folder and variables are carried from one command to the next (shell_state). The stage of
the last command stays until its change set is decided (`take`, `changes`, `apply`, `discard`); the next stage's
container is created meanwhile, so a command waits only for a container start.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from autogpt_ls.changes import ChangeSet
from autogpt_ls.executors import overlay_apply, overlay_scan, stages
from autogpt_ls.executors.base import CommandResult, OutputCallback
from autogpt_ls.executors.docker import DockerExecutor
from autogpt_ls.executors.sandbox_adopt import remove_orphans
from autogpt_ls.executors.sandbox_container import SANDBOX_ENV
from autogpt_ls.executors.sandbox_jobs import keeper_user
from autogpt_ls.executors.shell_state import CAPTURE, ShellState, read_state, shell_argv, shell_line

if TYPE_CHECKING:
    from docker.models.containers import Container


class _OneCommand(DockerExecutor):
    """The sandbox for one staged command: its container is the stage's, started for the command, never replaced."""

    def __init__(self, parent: DockerExecutor, container: Container, state: ShellState, workdir: str) -> None:
        super().__init__(
            parent.workspace,
            task_id=parent.task_id,
            image=parent.image,
            network=parent.network,
            limits=parent.limits,
            max_output=parent._max_output,
            idle_seconds=0,
            background_jobs=False,  # the container ends with the command, and so does all it started
            persistent_shell=False,  # one command: its state is captured by its line's EXIT trap
        )
        self._client = parent._docker()
        self._spare: Container | None = container
        self._env = {**SANDBOX_ENV, **state.env}
        self._workdir = workdir

    def _start(self) -> tuple[Container, str]:
        import docker.errors

        container, self._spare = self._spare, None
        if container is None:
            raise docker.errors.DockerException("the staged command's container stopped before the command ran")
        container.start()
        return container, ""

    def _create(self, argv: list[str]) -> str:
        assert self._container is not None
        exec_id: str = self._docker().api.exec_create(
            self._container.id, argv, workdir=self._workdir, environment=self._env, user=self.user
        )["Id"]
        return exec_id

    def _discard(self) -> None:
        """Killing the container ends the command and all it started; the stager removes it after the scan."""
        container, self._container = self._container, None
        if container is not None:
            import docker.errors

            with contextlib.suppress(docker.errors.APIError):
                container.kill()


class Stager:
    """One task's staged commands and the stage still waiting for a decision."""

    def __init__(self, sandbox: DockerExecutor, stages_root: Path) -> None:
        self.sandbox = sandbox
        self.root = stages_root / sandbox.task_id
        uid, gid = (int(x) for x in sandbox.user.split(":"))
        self._recipe: stages.Recipe | None = None
        self._user = (uid, gid)
        self._next: asyncio.Future[stages.Stage] | None = None
        self._made: dict[str, stages.Stage] = {}  # stages this process ran, until decided
        self._last: str | None = None  # the stage of the last command, not yet taken for review
        self._swept = False
        self._background: set[asyncio.Future[None]] = set()  # removals under way, awaited by close()
        self.scan_seconds = 0.0  # how long the last change set took to compute (bench/staging.py)

    def recipe(self) -> stages.Recipe:
        if self._recipe is None:
            sb = self.sandbox
            self._recipe = stages.Recipe(
                client=sb._docker(),
                root=self.root,
                workspace=sb.workspace.root,
                image=sb.image,
                task_id=sb.task_id,
                network=sb.network,
                limits=sb.limits,
                keeper=keeper_user(sb.user),
                user=self._user,
            )
        return self._recipe

    def sweep(self) -> None:
        """Once per stager: what crashed processes left (containers, volumes, stage folders)."""
        if not self._swept:
            recipe = self.recipe()
            remove_orphans(recipe.client)
            stages.sweep(recipe.client, recipe.image, self.root.parent)
            self._swept = True

    def _prepare(self) -> None:
        if self._next is None:
            self._next = asyncio.ensure_future(asyncio.to_thread(stages.make, self.recipe()))

    async def _stage(self) -> stages.Stage:
        if not self._swept:
            await asyncio.to_thread(self.sweep)
        self._prepare()
        assert self._next is not None
        future, self._next = self._next, None
        return await future

    async def ready(self) -> None:
        """Wait until the next command's container is created, as it is while a user reviews (bench/staging.py)."""
        self._prepare()
        assert self._next is not None
        await asyncio.shield(self._next)

    async def run(self, argv: list[str], *, timeout: float, on_output: OutputCallback | None = None) -> CommandResult:
        import docker.errors

        try:  # outside the timeout, as a sandbox's start: the first command also waits for its container's creation
            stage = await self._stage()
        except docker.errors.DockerException as e:
            return CommandResult(exit_code=None, output=f"[staging] the staged view could not be prepared: {e}")
        if self._last is not None:
            self.discard(self._last)  # a change set left undecided goes with the next command
        try:
            result = await self._run(stage, argv, timeout, on_output)
        except BaseException:
            await asyncio.to_thread(stages.remove, self.recipe(), stage)
            raise
        return result

    async def _run(
        self, stage: stages.Stage, argv: list[str], timeout: float, on_output: OutputCallback | None
    ) -> CommandResult:
        line = shell_line(argv)
        root = self.sandbox.workspace.root
        state = self.sandbox.state  # the sandbox's: its persistent shell and its staged commands share one state
        workdir, note = state.workdir(root) if line is not None else (str(root), "")  # Python runs from the root
        assert stage.container is not None
        one = _OneCommand(self.sandbox, stage.container, state, workdir)
        staged_argv = shell_argv(CAPTURE + line) if line is not None else argv
        result = await one.run(staged_argv, timeout=timeout, on_output=on_output)
        await asyncio.to_thread(stages.stop, stage)
        self._prepare()  # the next command's container is created while this one is reviewed
        if line is not None:
            self.sandbox.state = read_state(stage.state, state)
        started = time.perf_counter()
        scan = await asyncio.to_thread(self._scan, stage, line if line is not None else " ".join(argv))
        self.scan_seconds = time.perf_counter() - started
        self._later(stages.release, stage)
        return result.model_copy(update={"output": note + result.output + self._told(stage, scan)})

    def blank(self) -> stages.Stage:
        """A copy-mode stage for the next command's downloads; a change set left undecided goes with it."""
        if self._last is not None:
            self.discard(self._last)
        return stages.blank(self.root)

    def offer(self, stage: stages.Stage, command: str, scan: overlay_scan.Scan) -> str:
        """A copy-mode command's changes, kept for review as a staged command's are."""
        stages.save(stage, command, scan)
        return self._told(stage, scan)

    def _later(self, removal: Callable[[stages.Recipe, stages.Stage], None], stage: stages.Stage) -> None:
        """A removal off the command's path (removing a container copies nothing but still takes a while)."""
        future = asyncio.ensure_future(asyncio.to_thread(removal, self.recipe(), stage))
        self._background.add(future)
        future.add_done_callback(self._background.discard)

    def _scan(self, stage: stages.Stage, command: str) -> overlay_scan.Scan:
        scan = overlay_scan.scan(stage.upper, self.sandbox.workspace.root)
        stages.save(stage, command, scan)
        return scan

    def _told(self, stage: stages.Stage, scan: overlay_scan.Scan) -> str:
        if not scan.entries and not scan.folders:
            self._later(stages.remove, stage)
            return f"\n[staging] the command changed no file in the workspace{scan.told()}."
        self._made[stage.id], self._last = stage, stage.id
        folders = f" and {len(scan.folders)} empty folder(s)" if scan.folders else ""
        return (
            f"\n[staging] the command changed {len(scan.entries)} file(s){folders} on a staged copy of the workspace"
            f"{scan.told()}; nothing is applied until the user approves the change set."
        )

    # -- the change set of a stage
    def take(self) -> str | None:
        """The stage of the last command, once: the driver makes its change set the next proposal."""
        last, self._last = self._last, None
        return last

    def changes(self, stage_id: str) -> tuple[str, overlay_scan.Scan] | None:
        """The command and what it changed; None when the stage is gone."""
        return stages.load(self.root, stage_id)

    def preview(self, stage_id: str) -> ChangeSet | None:
        found = self.changes(stage_id)
        if found is None:
            return None
        return overlay_scan.preview(found[1].entries, self.root / stage_id / "upper", self.sandbox.workspace.root)

    def apply(self, stage_id: str) -> list[overlay_scan.Entry]:
        """All or nothing (StageConflict, OSError); the stage goes either way. Raises LookupError when gone."""
        found = self.changes(stage_id)
        if found is None:
            raise LookupError(stage_id)
        try:
            overlay_apply.apply(found[1], self.root / stage_id / "upper", self.sandbox.workspace)
        finally:
            self.discard(stage_id)
        return found[1].entries

    def discard(self, stage_id: str) -> None:
        stage_id = os.path.basename(stage_id)
        stage = self._made.pop(stage_id, None) or stages.Stage(stage_id, self.root / stage_id)
        with contextlib.suppress(Exception):
            stages.remove(self.recipe(), stage)
        if self._last == stage_id:
            self._last = None

    async def close(self) -> None:
        """The task ended or the server stops: every stage of this task goes, and the container made ahead."""
        for future in list(self._background):
            with contextlib.suppress(Exception):
                await future
        left = list(self._made.values())
        self._made, self._last = {}, None
        if self._next is not None:
            with contextlib.suppress(Exception):
                left.append(await self._next)
            self._next = None
        if self._recipe is None and not left:  # nothing made; a copy-mode stage (stages.blank) needs no recipe first
            return
        recipe = self.recipe()
        folders = list(self.root.iterdir()) if self.root.exists() else []
        left += [stages.Stage(f.name, f) for f in folders if f.name not in {s.id for s in left}]
        for stage in left:
            with contextlib.suppress(Exception):
                await asyncio.to_thread(stages.remove, recipe, stage)
        if self._swept:  # again: what a crashed process was still having the engine create at the first sweep
            self._swept = False
            with contextlib.suppress(Exception):
                await asyncio.to_thread(self.sweep)
        with contextlib.suppress(OSError):
            self.root.rmdir()
