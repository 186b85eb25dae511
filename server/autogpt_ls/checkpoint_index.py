"""The shadow repository's index, read and written in this process through libgit2 (pygit2): a checkpoint lists
the watch's paths and records them as a tree with no git process. The CLI's `ls-files`, `update-index` and
`write-tree` cost a write step three processes in a row: on a small workspace about 5 ms of CPU and 9 ms of
waiting, against about 1 ms here; on 10,000 files a step's checkpoints take 9.9 ms against 21.4 (bench/checkpoint.py).

libgit2 is kept to the repository's own config (a user's global `core.ignorecase` would merge files whose names
differ in case, as gitcli.clean_env keeps such settings from the CLI), and takes git's own `index.lock`, so the
CLI's calls (a full scan's `ls-files`, `restore`, `diff-tree`) share the index with it."""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

from autogpt_ls.checkpoints import CheckpointError

_GONE = (FileNotFoundError, NotADirectoryError)


@cache
def _pygit2() -> Any:
    """pygit2, imported on first use (it takes about 50 ms), with no config read but the repository's."""
    import pygit2
    from pygit2.enums import ConfigLevel

    for level in (ConfigLevel.PROGRAMDATA, ConfigLevel.SYSTEM, ConfigLevel.XDG, ConfigLevel.GLOBAL):
        pygit2.settings.search_path[level] = "/dev/null"  # a folder that holds no config
    return pygit2


def init_bare(git_dir: Path) -> None:
    """A new bare repository, with no git process (its sample files are inert: hooks are off in our config)."""
    with _failing():
        _pygit2().init_repository(str(git_dir), bare=True)


class ShadowIndex:
    """The index of one shadow repository, used under its session's lock."""

    def __init__(self, git_dir: Path, workspace: Path) -> None:
        with _failing():
            self._repo = _pygit2().Repository(str(git_dir))
            self._repo.workdir = str(workspace)
        self._workspace = workspace

    def listed(self, paths: list[str]) -> list[str] | None:
        """`ls-files --cached --others --exclude-standard -- paths`, answered here: each path that is tracked, or
        a file or symlink that is not ignored; None when one needs git's walk (a folder, a path in a nested
        repository or under a `.git`, a path gone that was no tracked file)."""
        with _failing():
            return self._listed(paths)

    def _listed(self, paths: list[str]) -> list[str] | None:
        if not all(map(named_in_utf8, paths)):
            return None  # libgit2's bindings take names as str only
        index = self._index()
        listed = []
        for path in paths:
            if path in index:
                listed.append(path)
                continue
            try:
                mode = (self._workspace / path).lstat().st_mode
            except _GONE:
                return None  # perhaps a folder of tracked files
            if not (stat.S_ISREG(mode) or stat.S_ISLNK(mode)) or self._in_repository(path):
                return None
            if not self._repo.path_is_ignored(path):
                listed.append(path)
        return listed

    def record(self, removed: list[str], changed: list[str]) -> str:
        """`removed` out of the index, `changed` hashed into it as they are now (gone: out); the index written
        and its tree's id returned. Names must be UTF-8 (`named_in_utf8`): git's CLI takes the others."""
        with _failing():
            return self._record(removed, changed)

    def _record(self, removed: list[str], changed: list[str]) -> str:
        index = self._index()
        for path in removed:
            if path in index:
                index.remove(path)
        for path in changed:
            try:
                mode = (self._workspace / path).lstat().st_mode
            except _GONE:
                mode = None
            if mode is None:
                if path in index:
                    index.remove(path)
            elif stat.S_ISDIR(mode):
                raise OSError(f"{path} became a folder while it was recorded")
            else:
                index.add(path)
        tree = str(index.write_tree())
        index.write()
        return tree

    def _index(self) -> Any:
        index = self._repo.index
        index.read(False)  # again only if another writer (git's `restore`, a scan) changed it on disk
        return index

    def _in_repository(self, path: str) -> bool:
        """Under a folder of the workspace that has a `.git` (git lists such a folder, not its files), or `.git`."""
        parts = path.split("/")
        if ".git" in parts:
            return True
        folder = self._workspace
        for part in parts[:-1]:
            folder = folder / part
            if os.path.lexists(folder / ".git"):
                return True
        return False


def named_in_utf8(path: str) -> bool:
    """A name pygit2 can pass to libgit2: not one whose bytes are not UTF-8 (surrogate-escaped here)."""
    try:
        path.encode()
    except UnicodeEncodeError:
        return False
    return True


@contextlib.contextmanager
def _failing() -> Iterator[None]:
    """libgit2's errors (a corrupt index, a file unreadable) as the checkpoint's: the step runs without it."""
    try:
        yield
    except (OSError, ValueError, _pygit2().GitError) as e:  # ValueError: a name or argument it cannot take
        raise CheckpointError(f"the shadow index: {e}") from None
