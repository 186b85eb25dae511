"""Per-step checkpoints in a shadow git repository that never touches the user's git.

Each workspace gets a bare repository in the data folder (`checkpoints/<hash>.git`) with the workspace as its
work tree and an index of its own. Every git call runs with a clean environment (no inherited `GIT_*`), the
user's global and system config ignored, hooks off and literal pathspecs, so nothing of the user's `.git` (index,
stash, branches, config, hooks) is read or written: git never descends into a `.git` of the work tree.
A checkpoint (checkpoint_snapshot.py) is a tree: what changed is recorded in the index and written as a tree, in
this process through libgit2 (checkpoint_index.py); trees are kept because the shadow repository never runs gc. A
file watch (checkpoint_watch.py) names the paths changed since the last checkpoint, so only those are looked at;
whenever it cannot vouch, `ls-files` scans the whole workspace.

What is not covered is skipped and reported: `.gitignore`d files, dependency trees (`node_modules`, `.venv`...),
nested repositories and files over the size cap. git runs as a child process, not through GitPython (gitcli.py
says why).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import logging
import os
import re
import shutil
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING

from autogpt_ls.gitcli import GitFailed, clean_env, run_git

if TYPE_CHECKING:
    from autogpt_ls.checkpoint_index import ShadowIndex
    from autogpt_ls.checkpoint_watch import Watch

log = logging.getLogger(__name__)

DEPENDENCY_TREES = ("node_modules", ".venv", "venv", "__pycache__", ".tox", ".mypy_cache", ".pytest_cache")
# Appended to the config an init writes (a second [core] section is valid): written by us, not by eight
# `git config` processes. index.version 4: prefix-compressed paths, a smaller index to read and write each time.
_CONFIG = """\
[core]
\thooksPath = /dev/null
\texcludesFile = /dev/null
\tattributesFile = /dev/null
\tautocrlf = false
\tfsmonitor = false
\tuntrackedCache = true
[gc]
\tauto = 0
[index]
\tversion = 4
"""
# Files are stored and restored byte for byte, whatever the workspace's .gitattributes ask (eol, filters).
_ATTRIBUTES = "* -text -eol -ident -filter -working-tree-encoding\n"
_GLOB_SPECIAL = re.compile(r"([\\*?\[\]!# ])")
_LOCK_POLL_SECONDS = 0.05


class CheckpointError(RuntimeError):
    """git failed or is missing: the step runs, without a checkpoint."""


def _clean_env(git_dir: Path, work_tree: Path) -> dict[str, str]:
    return clean_env(
        GIT_DIR=str(git_dir),
        GIT_WORK_TREE=str(work_tree),
        GIT_INDEX_FILE=str(git_dir / "index"),
        GIT_LITERAL_PATHSPECS="1",
    )


def _exclude_line(path: str) -> str:
    """An anchored exclude pattern that matches exactly this path."""
    return "/" + _GLOB_SPECIAL.sub(r"\\\1", path)


class Checkpoints:
    """The shadow repository of one workspace; every use goes through `session()`, which holds its lock."""

    def __init__(self, workspace: Path, root: Path, max_file_bytes: int, watch: bool = True) -> None:
        self.workspace = workspace.resolve()
        key = hashlib.sha256(str(self.workspace).encode()).hexdigest()[:16]
        self.git_dir = root / f"{key}.git"
        self._lock_path = root / f"{key}.lock"
        self.max_file_bytes = max_file_bytes
        self._env = _clean_env(self.git_dir, self.workspace)
        self._tree: tuple[tuple[int, int, int] | None, str] = (None, "")
        self._watch: Watch | None = None
        self._watching = watch and sys.platform == "linux"
        self._known_index: tuple[int, int, int] | None = None  # the index as this object last wrote it
        self._index: ShadowIndex | None = None

    @property
    def watching(self) -> bool:
        """Whether a file watch names the paths changed between checkpoints (else each scans the workspace)."""
        return self._watch is not None

    def close(self) -> None:
        """Stop the file watch (its inotify instance and watches) and let the index in this process go. Under
        an event loop the inotify instance is closed in a worker thread: the kernel waits for a grace period
        there (0.1 ms on an idle machine, about 8 ms with 200 tasks at once), which would stall every task."""
        self._index = None
        if self._watch is not None:
            try:
                asyncio.get_running_loop().run_in_executor(None, self._watch.close)
            except RuntimeError:  # no loop: nothing to stall
                self._watch.close()
            self._watch = None
        self._watching = False

    def changed_paths(self) -> list[str] | None:
        """The paths changed since this object last wrote the index, or None: scan the whole workspace (no watch,
        the watch cannot vouch, or another process wrote the index since)."""
        if self._watch is None and self._watching:
            try:  # no inotify_simple, or no inotify instance left (the user's max_user_instances): scan, said once
                from autogpt_ls.checkpoint_watch import Watch

                self._watch = Watch(self.workspace, frozenset(DEPENDENCY_TREES))
            except (ImportError, OSError) as e:
                log.warning("no file watch on %s (%s): checkpoints scan the whole workspace", self.workspace, e)
                self._watching = False
        if self._watch is None:
            return None
        paths = self._watch.take()  # read even when unused: what it names is covered by the scan that follows
        if self._watch.failed:
            self.close()
        known, self._known_index = self._known_index, None  # until the index is written again
        return paths if known is not None and known == self._index_key() else None

    def _index_key(self) -> tuple[int, int, int]:
        """The index file's identity; no index (a new repository's, before its first record) is a state too,
        so the watch vouches for the step that writes a new workspace's first files."""
        try:
            st = (self.git_dir / "index").stat()
        except FileNotFoundError:
            return 0, 0, 0  # no file has inode 0
        return st.st_ino, st.st_size, st.st_mtime_ns

    def shadow_index(self) -> ShadowIndex:
        """The index read and written in this process (checkpoint_index.py), opened on first use; called in a
        worker thread, so that the first use's import of pygit2 (50 ms or more) never holds up the event loop."""
        if self._index is None:
            from autogpt_ls.checkpoint_index import ShadowIndex

            self._index = ShadowIndex(self.git_dir, self.workspace)
        return self._index

    def remember_tree(self, tree: str) -> None:
        self._known_index = self._index_key()
        self._tree = (self._known_index, tree)

    def cached_tree(self) -> str | None:
        """The last tree written, while the index is still the one it was written from (no other process's)."""
        key, tree = self._tree
        return tree if tree and key is not None and key == self._index_key() else None

    @property
    def set_up(self) -> bool:
        """Whether the shadow repository exists, set up to the end (its last file written)."""
        return (self.git_dir / "info" / "skipped").exists()

    @contextlib.asynccontextmanager
    async def set_up_meanwhile(self) -> AsyncIterator[None]:
        """Set up a new workspace's shadow repository while the block runs (the LLM thinking a task's first step),
        so that the first write's checkpoint does not wait for the init; a failure is that checkpoint's to
        report. Leaving waits for the setup, which is not cancelled: its git runs in a thread under the lock."""
        job = None if self.set_up else asyncio.create_task(self._prepare())
        try:
            yield
        finally:
            if job is not None:
                with contextlib.suppress(CheckpointError, OSError):
                    await asyncio.shield(job)

    async def _prepare(self) -> None:
        async with self.session():
            pass

    @contextlib.asynccontextmanager
    async def session(self) -> AsyncIterator[Session]:
        """Exclusive use of the shadow repository: two tasks on one workspace take turns (flock, any process)."""
        self.git_dir.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    await asyncio.sleep(_LOCK_POLL_SECONDS)
            session = Session(self)
            await session.prepare()
            yield session
        finally:
            os.close(fd)  # releases the flock


class CheckpointRepos:
    """One Checkpoints per workspace, kept (its file watch knows what changed since its last checkpoint); past
    `keep` workspaces the least recently used is closed, so a server of many tasks holds few watches."""

    def __init__(self, root: Path, max_file_bytes: int, watch: bool, keep: int = 8) -> None:
        self._args = (root, max_file_bytes, watch)
        self._keep = keep
        self._repos: dict[Path, Checkpoints] = {}

    def get(self, workspace: Path) -> Checkpoints:
        workspace = workspace.resolve()
        root, max_file_bytes, watch = self._args
        repo = self._repos.pop(workspace, None) or Checkpoints(workspace, root, max_file_bytes, watch)
        self._repos[workspace] = repo  # the most recently used last
        while len(self._repos) > self._keep:
            self._repos.pop(next(iter(self._repos))).close()
        return repo


class Session:
    """git calls on the shadow repository, made while its lock is held."""

    def __init__(self, owner: Checkpoints) -> None:
        self.owner = owner

    async def git(self, *args: str, paths: list[str] | None = None) -> str:
        """One git call; `paths` go to its stdin, NUL-separated (`-z --stdin`)."""
        stdin = "\0".join(paths).encode(errors="surrogateescape") if paths is not None else None
        try:
            return await run_git(list(args), env=self.owner._env, cwd=self.owner.workspace, stdin=stdin)
        except GitFailed as e:
            raise CheckpointError(str(e)) from None

    async def prepare(self) -> None:
        """Create the repository on first use, in this process (libgit2's init; our config written after its
        own); a lock file left by a killed git is stale while we hold ours. `info/skipped` is written last, so
        a setup killed halfway (HEAD made, no config yet) is removed and done again: no checkpoint was taken in
        it, and an init keeps a config it finds."""
        git_dir = self.owner.git_dir
        if not self.owner.set_up:
            shutil.rmtree(git_dir, ignore_errors=True)
            self.owner._index = None  # it was of the repository removed
            from autogpt_ls.checkpoint_index import init_bare

            await asyncio.to_thread(init_bare, git_dir)
            with (git_dir / "config").open("a") as config:
                config.write(_CONFIG)
            (git_dir / "info").mkdir(exist_ok=True)
            (git_dir / "info" / "attributes").write_text(_ATTRIBUTES)
            self.write_excludes([])
        with contextlib.suppress(FileNotFoundError):
            (git_dir / "index.lock").unlink()

    def write_excludes(self, skipped: list[str]) -> None:
        """The excludes git reads, and the skipped paths exactly (NUL-separated) for us to read back."""
        info = self.owner.git_dir / "info"
        lines = [f"{name}/" for name in DEPENDENCY_TREES] + [_exclude_line(p.rstrip("/")) for p in skipped]
        (info / "exclude").write_text("\n".join(lines) + "\n")
        (info / "skipped").write_bytes("\0".join(skipped).encode(errors="surrogateescape"))

    def skipped(self) -> list[str]:
        data = (self.owner.git_dir / "info" / "skipped").read_bytes().decode(errors="surrogateescape")
        return [p for p in data.split("\0") if p]

    async def changed(self, a: str, b: str, paths: list[str] | None = None) -> list[str]:
        """The files that differ between two checkpoints (only among `paths`, when given)."""
        if a == b or paths == []:
            return []
        out = await self.git("diff-tree", "-r", "-z", "--no-renames", "--name-only", a, b, "--", *(paths or []))
        return [p for p in out.split("\0") if p]

    async def file_at(self, tree: str, path: str) -> bytes | None:
        """A file's bytes as they are in `tree`; None when it is not a file there."""
        listed = await self.git("ls-tree", "-z", tree, "--", path)
        meta, _, name = listed.rstrip("\0").partition("\t")
        if name != path or meta.split()[1] != "blob":
            return None
        return (await self.git("cat-file", "blob", meta.split()[2])).encode(errors="surrogateescape")

    async def restore(self, tree: str, paths: list[str]) -> None:
        """Put these files back as they are in `tree` (a file not in it is removed); no other file is touched."""
        if not paths:
            return
        await self.git("restore", f"--source={tree}", "--staged", "--worktree", "--", *paths)
        if self.owner._known_index is not None:  # the watch sees the files restored: the index is still known
            self.owner._known_index = self.owner._index_key()
        for path in paths:
            self._remove_empty_parents(path)

    def _remove_empty_parents(self, path: str) -> None:
        """A folder that held only files the undone steps created goes with them."""
        parent = (self.owner.workspace / path).parent
        while parent != self.owner.workspace:
            try:
                parent.rmdir()
            except OSError:
                return
            parent = parent.parent
