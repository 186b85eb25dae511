"""GIT_AUTO_COMMIT: one commit per approved step that changed files (and per undo or redo), on the task's branch
`autogpt/<task id>` of the workspace's repository, as aider does but off the user's branch.

The commit is built through a temporary index outside the repository (read-tree of the branch, or of HEAD for the
first one; update-index of the step's files; write-tree; commit-tree; update-ref of the task branch only), so the
user's index (their staged work), HEAD and current branch are never touched. Files the repository ignores and is
not tracking stay out. A failure is logged: the step itself has run.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

from autogpt_ls.gitcli import GitFailed
from autogpt_ls.task_models import Task
from autogpt_ls.userrepo import UserRepo

log = logging.getLogger(__name__)


def branch_of(task: Task) -> str:
    return f"autogpt/{task.id}"


class AutoCommit:
    """The task branch's commits, in the workspace's repository (none when the workspace is not one)."""

    def __init__(self, root: Path, task: Task) -> None:
        self._repo = UserRepo(root)
        self._task = task
        self._ref = f"refs/heads/{branch_of(task)}"

    async def record(self, files: list[str], subject: str) -> str:
        """Commit these files as they are now on the task branch; the commit's short hash, "" for none."""
        if not files or not self._repo.exists():
            return ""
        try:
            return await self._commit(files, subject)
        except GitFailed as e:
            log.warning("GIT_AUTO_COMMIT: no commit on %s: %s", self._ref, e)
            return ""

    async def _commit(self, files: list[str], subject: str) -> str:
        git = self._repo
        tip = await self._rev(f"{self._ref}^{{commit}}")
        parent = tip or await self._rev("HEAD^{commit}")
        with tempfile.TemporaryDirectory(prefix="autogpt-index-") as tmp:
            index = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
            if parent:
                await git.git("read-tree", parent, env=index)
            paths = await self._not_ignored(files, index)
            stdin = "\0".join(paths).encode(errors="surrogateescape")
            await git.git("update-index", "--add", "--remove", "--replace", "-z", "--stdin", stdin=stdin, env=index)
            tree = (await git.git("write-tree", env=index)).strip()
        if parent and tree == await self._rev(f"{parent}^{{tree}}"):
            return ""  # the branch has these files as they are already
        message = f"{subject}\n\nautogpt-ls task {self._task.id}: {self._task.goal}"
        commit_args = ["commit-tree", tree, *(["-p", parent] if parent else []), "-m", message]
        commit = (await git.git(*commit_args, env=await git.identity())).strip()
        await git.git("update-ref", "-m", subject, self._ref, commit, tip or "0" * len(commit))  # compare-and-set
        return commit[:12]

    async def _rev(self, name: str) -> str:
        """The object `name` names, "" when there is none (no such branch, no commit yet)."""
        try:
            return (await self._repo.git("rev-parse", "-q", "--verify", name)).strip()
        except GitFailed:
            return ""

    async def _not_ignored(self, files: list[str], index: dict[str, str]) -> list[str]:
        """The files less those the repository ignores (a file it tracks is never ignored)."""
        stdin = "\0".join(files).encode(errors="surrogateescape")
        try:
            # check-ignore takes each path as it is and refuses the literal-pathspec switch the others get
            env = {**index, "GIT_LITERAL_PATHSPECS": "0"}
            out = await self._repo.git("check-ignore", "-z", "--stdin", stdin=stdin, env=env)
        except GitFailed as e:
            if e.returncode != 1:  # 1: none of them is ignored
                raise
            return files
        ignored = set(out.split("\0"))
        return [f for f in files if f not in ignored]
