"""Checkpoints around each step that can change files, and undo/redo with one meaning for every front end.

Undo restores exactly the files the undone steps changed, each to how it was before the first undone step that
changed it, and leaves every other file alone. When one of them was changed since by someone else (the user,
between or after the steps), nothing is restored and the conflict is listed, unless the undo is forced. The
undone steps stay in the history as `undone`; redo puts back what the last undo took, until another step runs.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from autogpt_ls.agent.autocommit import AutoCommit
from autogpt_ls.agent.errors import Conflict, InvalidInput
from autogpt_ls.checkpoint_snapshot import EMPTY_TREE, snapshot
from autogpt_ls.checkpoints import CheckpointError, Checkpoints, Session
from autogpt_ls.models import Decision, DecisionKind, Step, StepChanges, StepStatus
from autogpt_ls.task_models import Task, UndoRecord

log = logging.getLogger(__name__)
REWINDS = (DecisionKind.UNDO, DecisionKind.REDO)


def shown(steps: list[Step]) -> str:
    """The steps as the front ends number them."""
    return ", ".join(str(s.index + 1) for s in steps)


def files_of(steps: list[Step]) -> list[str]:
    """Every file these steps changed."""
    return sorted({f for s in steps if s.changes for f in s.changes.files})


@asynccontextmanager
async def checkpointed(
    checkpoints: Checkpoints, step: Step, steps: list[Step], auto_commit: AutoCommit | None = None
) -> AsyncIterator[None]:
    """Checkpoint before and after the step, holding the workspace's lock throughout, and record on the step
    which files it changed (and what is not covered, when that differs from the previous step's); with
    GIT_AUTO_COMMIT, a step that ran to its end and changed files is committed on the task branch."""
    previous = next((s.changes.not_covered for s in reversed(steps) if s.changes and s.changes.after), None)
    async with checkpoints.session() as git:
        try:
            before = await snapshot(git)
        except CheckpointError as e:
            log.warning("no checkpoint before step %s: %s", step.id, e)
            step.changes = StepChanges(error=str(e))
            before = None
        try:
            yield
        finally:
            if before is not None:
                step.changes = await _after(git, before.tree, previous)
        if auto_commit and step.changes and step.proposal:
            subject = f"autogpt: step {step.index + 1}: {step.proposal.tool_call.name}"
            step.changes.commit = await auto_commit.record(step.changes.files, subject)


async def _after(git: Session, before: str, previous: list[str] | None) -> StepChanges:
    try:
        after = await snapshot(git)
        if before == EMPTY_TREE and after.added is not None:
            files = list(after.added)  # a new workspace's first step: its tree is what it added
        else:
            files = await git.changed(before, after.tree)
    except CheckpointError as e:
        return StepChanges(before=before, error=str(e))
    not_covered = list(after.not_covered)
    shown = not_covered if previous is None or not_covered != previous else []
    return StepChanges(before=before, after=after.tree, files=files, not_covered=shown)


def _undoable(steps: list[Step], decision: Decision) -> list[Step]:
    """The steps to undo: every step run from the target on (the last one run, without a target)."""
    ran = [s for s in steps if s.status == StepStatus.DONE and s.changes is not None]
    if decision.step_id or decision.step_index is not None:
        target = next((s for s in steps if s.id == decision.step_id or s.index == decision.step_index), None)
        if target is None:
            raise InvalidInput(f"no step {decision.step_id or decision.step_index + 1} in this task")  # type: ignore[operator]
        chosen = [s for s in ran if s.index >= target.index]
    else:
        chosen = ran[-1:]
    if not chosen:
        raise InvalidInput("there is nothing to undo: no step that can change files ran (or it is undone already)")
    unrecorded = [s for s in chosen if not s.changes or not s.changes.after]
    if unrecorded:
        raise InvalidInput(f"step {shown(unrecorded)} has no checkpoint ({unrecorded[0].changes.error})")  # type: ignore[union-attr]
    return chosen


async def _plan(git: Session, steps: list[Step], now: str) -> tuple[dict[str, str], list[str]]:
    """Each file's checkpoint to go back to, and the files someone else changed since their first undone step."""
    changes = [s.changes for s in steps if s.changes]
    files = sorted({f for c in changes for f in c.files})
    # gaps[i]: files changed between step i's after and the next step's before (the last: and now)
    ends = [c.before for c in changes[1:]] + [now]
    gaps = [set(await git.changed(c.after, end, files)) for c, end in zip(changes, ends, strict=True)]
    targets: dict[str, str] = {}
    conflicts: list[str] = []
    for f in files:
        first = next(i for i, c in enumerate(changes) if f in c.files)
        targets[f] = changes[first].before
        if any(f in gap for gap in gaps[first:]):
            conflicts.append(f)
    return targets, conflicts


async def _restore(git: Session, targets: dict[str, str], now: str) -> None:
    by_tree: dict[str, list[str]] = {}
    for path, tree in targets.items():
        by_tree.setdefault(tree, []).append(path)
    for tree, paths in by_tree.items():
        await git.restore(tree, await git.changed(now, tree, paths))


def _conflict(files: list[str], what: str) -> Conflict:
    return Conflict(
        f"Nothing was {what}: these files were changed since by someone else: {', '.join(files)}. "
        f"Use the forced form (undo! in the terminal, force: true) to overwrite them."
    )


async def undo(checkpoints: Checkpoints, task: Task, steps: list[Step], decision: Decision) -> list[Step]:
    """Roll back; returns the undone steps (marked `undone`; the caller saves them and the task)."""
    chosen = _undoable(steps, decision)
    async with checkpoints.session() as git:
        now = (await snapshot(git)).tree
        targets, conflicts = await _plan(git, chosen, now)
        if conflicts and not decision.force:
            raise _conflict(conflicts, "undone")
        await _restore(git, targets, now)
        restored = (await snapshot(git)).tree
    for step in chosen:
        step.status = StepStatus.UNDONE
    task.state.last_undo = UndoRecord(
        step_ids=[s.id for s in chosen], files=sorted(targets), undone_from=now, restored_to=restored
    )
    return chosen


async def redo(checkpoints: Checkpoints, task: Task, steps: list[Step], decision: Decision) -> list[Step]:
    """Put back what the last undo took; refused once another step has changed files since."""
    record = task.state.last_undo
    if record is None:
        raise InvalidInput("there is nothing to redo")
    redone = [s for s in steps if s.id in record.step_ids]
    last = max(s.index for s in redone)
    if any(s.index > last and s.status == StepStatus.DONE and s.changes for s in steps):
        raise InvalidInput("there is nothing to redo: a step that can change files ran since the undo")
    async with checkpoints.session() as git:
        now = (await snapshot(git)).tree
        conflicts = await git.changed(record.restored_to, now, record.files)
        if conflicts and not decision.force:
            raise _conflict(conflicts, "redone")
        await git.restore(record.undone_from, await git.changed(now, record.undone_from, record.files))
    for step in redone:
        step.status = StepStatus.DONE
    task.state.last_undo = None
    return redone


async def file_at(checkpoints: Checkpoints, step: Step, path: str, side: str) -> bytes | None:
    """A file the step changed, as it was before the step ("before") or after it ("after"); None when it did
    not exist then. Only the step's own files: this is for showing its diff, not for reading the workspace."""
    changes = step.changes
    if changes is None or not changes.after:
        raise InvalidInput(f"step {step.index + 1} has no checkpoint")
    if path not in changes.files:
        raise InvalidInput(f"step {step.index + 1} did not change {path!r}")
    async with checkpoints.session() as git:
        return await git.file_at(changes.before if side == "before" else changes.after, path)


def change_notes(changes: StepChanges | None) -> list[str]:
    """The lines every front end shows under a step: the files it changed, and what undo cannot restore."""
    if changes is None:
        return []
    notes = [f"(no checkpoint, this step cannot be undone: {changes.error})"] if changes.error else []
    if changes.files:
        notes.append(f"Files changed: {', '.join(changes.files)}")
    if changes.not_covered:
        notes.append(f"Not covered by undo: {', '.join(changes.not_covered)}")
    if changes.commit:
        notes.append(f"Committed {changes.commit} on the task branch (GIT_AUTO_COMMIT)")
    return notes


def report(kind: DecisionKind, steps: list[Step]) -> str:
    """What the LLM (and the user) are told: which steps and files, and that a new proposal is wanted."""
    listed = ", ".join(files_of(steps)) or "none"
    if kind == DecisionKind.UNDO:
        kept = "".join(f" Not undone: {_note(s)} (step {s.index + 1})." for s in steps if _note(s))
        return (
            f"The user undid step {shown(steps)}: the files they changed are back as they were before them "
            f"({listed}); your pending action was not run.{kept} Continue from the workspace as it is now."
        )
    return (
        f"The user redid step {shown(steps)}: their file changes are back ({listed}); your pending action was "
        f"not run. Continue from the workspace as it is now."
    )


def _note(step: Step) -> str:
    """What undoing this step leaves as it is (a git tool's HEAD, branch, commit or clone)."""
    return step.result.undo_note if step.result and step.result.ok else ""
