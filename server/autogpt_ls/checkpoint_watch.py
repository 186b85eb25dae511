"""Which paths of a workspace changed since the last checkpoint, from Linux's inotify, so that a checkpoint asks
git about just those instead of lstat-ing every file of the workspace twice per step.

The watch vouches only for what it saw. `take()` answers None (scan everything) at its start, after the kernel's
queue overflowed, when the workspace itself was moved or deleted, when a `.gitignore` changed (what is ignored
changes for paths no event names), when too many paths changed for a pathspec to pay, and when a folder could
not be watched. Events are read when a checkpoint asks, not by a thread: the kernel queues them meanwhile, in
the order they happened, and flags an overflow. inotify sees every change to the workspace's inodes, those a
container makes through a bind mount included; it does not see writes through a shared memory map nor a network
file system's other clients, hence CHECKPOINT_WATCH=False.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
from pathlib import Path

from inotify_simple import INotify, flags

log = logging.getLogger(__name__)
MAX_EVENTS = 20_000  # events read per checkpoint, past which the watch starts again and the workspace is scanned
MAX_PATHS = 256  # past this many changed paths a full scan costs less than git matching each against a pathspec
_MASK = (
    flags.CREATE
    | flags.DELETE
    | flags.MODIFY
    | flags.ATTRIB
    | flags.MOVED_FROM
    | flags.MOVED_TO
    | flags.DELETE_SELF
    | flags.MOVE_SELF
    | flags.ONLYDIR
    | flags.DONT_FOLLOW
    | flags.EXCL_UNLINK
)
_GONE = (errno.ENOENT, errno.ENOTDIR, errno.ELOOP)  # removed or replaced before it was watched: its parent says so


class Watch:
    """One inotify instance with a watch on every folder of the workspace except those never checkpointed
    (`.git` and the dependency trees named in `skip`)."""

    def __init__(self, root: Path, skip: frozenset[str]) -> None:
        self._root = root
        self._skip = skip | {".git"}
        self._dirty: set[str] = set()
        self.failed = False  # a folder could not be watched (the system's watch limit): no use going on
        self._start()

    def _start(self) -> None:
        self._inotify = INotify(nonblocking=True)
        self._folders: dict[int, str] = {}  # watch descriptor -> folder, relative to root ("" is the root)
        self._blind = True  # nothing seen yet: the first answer is "scan everything"
        self._add_tree("")

    def close(self) -> None:
        self._inotify.close()

    def take(self) -> list[str] | None:
        """The paths (files or folders) changed since the last call, or None when they must all be scanned."""
        read = 0
        while events := list(self._inotify.read(timeout=0)):
            for event in events:
                self._seen(event.wd, event.mask, event.name)
            read += len(events)
            if read > MAX_EVENTS:  # a process changes the workspace as fast as we read: this loop would not end
                self.close()  # a new watch, made before the scan that this answer asks for, sees what follows
                self._start()
                break
        paths = None if self._blind or self.failed else sorted(p for p in self._dirty if not self._inside_dirty(p))
        self._dirty.clear()
        self._blind = False
        return paths

    def _inside_dirty(self, path: str) -> bool:
        """A path inside a folder that is named already: a pathspec inside a new nested repository would make git
        enter it instead of listing it as one."""
        parts = path.split("/")
        return any("/".join(parts[:n]) in self._dirty for n in range(1, len(parts)))

    def _seen(self, wd: int, mask: int, name: str) -> None:
        if mask & flags.Q_OVERFLOW:
            self._blind = True
            return
        folder = self._folders.get(wd)
        if folder is None:
            return  # an event still queued for a watch removed since
        if mask & flags.IGNORED:
            del self._folders[wd]
            return
        if mask & (flags.DELETE_SELF | flags.MOVE_SELF):
            self._blind |= folder == ""  # a subfolder's own move or removal is its parent's event too
            return
        if name == ".gitignore" or (name == ".git" and folder == ""):
            self._blind = True
        path = _join(folder, name)
        # a `.git` appearing or going makes its folder a nested repository or not: git must look at the folder
        self._dirty.add(folder if name == ".git" else path)
        if mask & flags.ISDIR:
            if mask & flags.MOVED_FROM:
                self._remove_tree(path)
            elif mask & (flags.CREATE | flags.MOVED_TO) and name not in self._skip:
                self._add_tree(path)  # what was written in it before its watch is covered: the folder is dirty
        if len(self._dirty) > MAX_PATHS:
            self._blind = True

    def _add_tree(self, top: str) -> None:
        stack = [top]
        while stack:
            folder = stack.pop()
            try:
                self._folders[self._inotify.add_watch(self._root / folder, _MASK)] = folder
                with os.scandir(self._root / folder) as entries:
                    stack.extend(
                        _join(folder, e.name)
                        for e in entries
                        if e.name not in self._skip and e.is_dir(follow_symlinks=False)
                    )
            except OSError as e:
                if e.errno not in _GONE:
                    log.warning("no file watch on %s (%s): checkpoints scan the whole workspace", folder or ".", e)
                    self.failed = True
                    return

    def _remove_tree(self, top: str) -> None:
        """A folder moved away: its watches would report its files under the old name."""
        inside = top + "/"
        for wd, folder in list(self._folders.items()):
            if folder == top or folder.startswith(inside):
                del self._folders[wd]
                with contextlib.suppress(OSError):  # the folder is gone already
                    self._inotify.rm_watch(wd)


def _join(folder: str, name: str) -> str:
    return f"{folder}/{name}" if folder else name
