"""A checkpoint of the workspace: what changed since the last one (the file watch's paths, else a full scan) is
recorded in the shadow repository's index and written as a tree; what cannot be covered is skipped and named."""

from __future__ import annotations

import asyncio
import os
import stat
from dataclasses import dataclass
from typing import TYPE_CHECKING

from autogpt_ls.checkpoint_index import named_in_utf8
from autogpt_ls.checkpoints import DEPENDENCY_TREES

EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"  # SHA-1 (the shadow repositories' format); git knows it

if TYPE_CHECKING:
    from autogpt_ls.checkpoints import Checkpoints, Session


@dataclass(frozen=True)
class Snapshot:
    tree: str
    not_covered: tuple[str, ...]
    scanned: bool = False  # the whole workspace was scanned (the file watch could not name the changed paths)
    # the first tree of a repository (no index before it): every file it holds, in git's order, so the diff from
    # the empty tree (a new workspace's first step) needs no git call
    added: tuple[str, ...] | None = None


async def snapshot(git: Session) -> Snapshot:
    """Record the workspace as it is now, as a tree; new nested repositories and large files are skipped.

    No git process when the watch saw no change since the last snapshot (the usual case before a step), nor
    when it names files and symlinks (the usual case after one): the index in this process lists and records
    them (checkpoint_index.py); `ls-files` when it names a folder or cannot vouch (a full scan)."""
    dirty = git.owner.changed_paths()
    first = not (git.owner.git_dir / "index").exists()  # nothing recorded yet: no file is tracked
    if dirty is None and first and _workspace_empty(git.owner):
        dirty = []  # a new repository on an empty folder (a new task's): its first checkpoint needs no git
    if dirty is None:
        listed = await git.git("ls-files", "-z", "--others", "--modified", "--deleted", "--exclude-standard")
    elif not dirty:
        listed = ""  # nothing changed: no thread, no repository opened
    elif (named := await asyncio.to_thread(lambda: git.owner.shadow_index().listed(dirty))) is not None:
        listed = "\0".join(named)  # the tracked and the new among them, with no git process
    else:
        # the tracked files among them (modified, deleted or not: the index rehashes only those whose stat
        # changed) and the new ones, in one git call; `--modified` would lstat every tracked file first
        listed = await git.git("ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", *dirty)
    cp = git.owner
    known = git.skipped()
    skip = set(known)
    paths = [p for p in dict.fromkeys(listed.split("\0")) if p]
    if folders := [p for p in paths if _now_a_folder(cp, p)]:
        # a tracked file or symlink that is a folder now (a command swapped them): git takes a folder only
        # as the files inside, so its old entry goes and they are listed
        await git.git("update-index", "--force-remove", "-z", "--stdin", paths=folders)
        inside = await git.git("ls-files", "-z", "--others", "--exclude-standard", "--", *folders)
        paths = [p for p in paths if p not in folders] + [p for p in inside.split("\0") if p]
    if not paths and (tree := cp.cached_tree() or _empty(cp)):
        cp.remember_tree(tree)  # the index is still the one this object wrote, or there is none yet
        return Snapshot(tree, _not_covered(cp, known), dirty is None)
    new = [p for p in paths if p not in skip and _too_big_or_repo(cp, p)]
    if new:
        known = [*known, *new]
        git.write_excludes(known)
    skip.update(new)
    changed = [p for p in paths if p not in skip]  # only these are added: no second walk of the workspace
    removed, odd_removed = _by_name([p for p in new if not p.endswith("/")])  # newly skipped: out of the index
    plain, odd = _by_name(changed)
    if odd_removed:  # names libgit2's bindings cannot take go to git's CLI
        await git.git("update-index", "--force-remove", "-z", "--stdin", paths=odd_removed)
    if odd:
        await git.git("update-index", "--add", "--remove", "--replace", "-z", "--stdin", paths=odd)
    tree = await asyncio.to_thread(lambda: cp.shadow_index().record(removed, plain))
    cp.remember_tree(tree)
    added = tuple(sorted(changed, key=lambda p: p.encode(errors="surrogateescape"))) if first else None
    return Snapshot(tree, _not_covered(cp, known), dirty is None, added)


def _by_name(paths: list[str]) -> tuple[list[str], list[str]]:
    """The paths named in UTF-8 (the index in this process takes them), and the others."""
    plain: list[str] = []
    odd: list[str] = []
    for path in paths:
        (plain if named_in_utf8(path) else odd).append(path)
    return plain, odd


def _empty(cp: Checkpoints) -> str | None:
    """git's empty tree, when there is no index yet (nothing was ever recorded) and nothing to record: a new
    workspace's first checkpoint needs no `write-tree`."""
    return None if (cp.git_dir / "index").exists() else EMPTY_TREE


def _workspace_empty(cp: Checkpoints) -> bool:
    with os.scandir(cp.workspace) as entries:
        return next(entries, None) is None


def _now_a_folder(cp: Checkpoints, path: str) -> bool:
    """A real folder (lstat: a symlink to one is not), where git listed a file or symlink."""
    if path.endswith("/"):
        return False  # a nested repository, listed as its folder
    try:
        return stat.S_ISDIR((cp.workspace / path).lstat().st_mode)
    except OSError:  # deleted: its entry is removed as usual
        return False


def _too_big_or_repo(cp: Checkpoints, path: str) -> bool:
    if path.endswith("/"):
        return True  # git lists a nested repository as its folder and never enters it
    try:
        return (cp.workspace / path).lstat().st_size > cp.max_file_bytes
    except OSError:
        return False


def _not_covered(cp: Checkpoints, skipped: list[str]) -> tuple[str, ...]:
    ws = cp.workspace
    trees = [f"{name}/ (dependency tree)" for name in DEPENDENCY_TREES if (ws / name).is_dir()]
    exist = [p for p in skipped if (ws / p.rstrip("/")).exists()]
    mb = cp.max_file_bytes / 1e6
    return (
        *trees,
        *(f"{p} (nested repository)" if p.endswith("/") else f"{p} (over {mb:g} MB)" for p in sorted(exist)),
    )
