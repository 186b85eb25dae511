"""Walking a path beneath a folder in one step, so a symlink swapped in meanwhile cannot lead outside it.

Code in the sandbox can exchange a workspace folder with a symlink to a host folder at any moment
(renameat2 with RENAME_EXCHANGE), so a path that was checked and then opened by name may be followed elsewhere the
second time. A Walk therefore goes from the folder's directory descriptor one component at a time with O_NOFOLLOW,
resolves each symlink itself (only ever to a place inside the folder, re-walked from there) and hands back the
descriptor it ends on, which the caller acts on. Nothing is looked up by name twice.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

MAX_LINKS = 40  # symlinks followed (and races retried) in one walk, as the kernel's own limit
_DIR = os.O_RDONLY | os.O_DIRECTORY
_WAS_LINK = {errno.ELOOP, errno.EMLINK}  # what O_NOFOLLOW answers on a symlink (EMLINK on FreeBSD), but see _swapped
Missing = Literal["raise", "create", "skip"]


class PathOutsideWorkspace(ValueError):
    """A path the agent may not touch; the message is written for the LLM."""


@dataclass
class _Level:
    name: str
    fd: int | None  # None: no such folder; only a lookup walks on past it, by name


class Walk:
    """One walk of an agent-given path beneath `root`; closes every descriptor it opened but the one it returns."""

    def __init__(self, root: Path, path: str, forbidden: tuple[Path, ...] = ()) -> None:
        self.root, self.path, self._forbidden = root, path, forbidden
        self._parts = deque(self._start(path))
        self._stack = [_Level("", os.open(root, _DIR | os.O_CLOEXEC))]
        self._hops = 0
        self._link: str | None = None  # where the last symlink followed points, for the refusal's message

    def _start(self, path: str) -> list[str]:
        if "\x00" in path:
            raise PathOutsideWorkspace(f"Path {path!r} contains a null byte; refused.")
        if not os.path.isabs(path):
            return path.split("/")
        if not Path(path).is_relative_to(self.root):
            raise PathOutsideWorkspace(
                f"Absolute path {path!r} is outside the workspace; refused. Use a path relative to the workspace."
            )
        return list(Path(path).relative_to(self.root).parts)

    def __enter__(self) -> Walk:
        return self

    def __exit__(self, *_exc: object) -> None:
        while self._stack:
            self._pop()

    def lookup(self) -> str:
        """Where the path leads now, relative to root; parts that do not exist (yet) are taken as written."""
        self._walk("skip", last=True)
        return self.relative()

    def open(self, flags: int, mode: int = 0o644, *, create_dirs: bool = False) -> tuple[int, str]:
        """The path's last component opened with `flags` (plus O_NOFOLLOW), and its real path relative to root."""
        while True:
            name = self._walk("create" if create_dirs else "raise", last=False) or "."
            self._check(name)
            fd = self._open_at(name, flags, mode)
            if fd is not None:
                return fd, self.relative(name)

    def relative(self, name: str = ".") -> str:
        return os.path.normpath(os.path.join(*(level.name for level in self._stack[1:]), name))

    def _walk(self, missing: Missing, *, last: bool) -> str | None:
        """Go into each folder of the path; return its last component (None if it names a folder walked into)."""
        while self._parts:
            name = self._parts.popleft()
            if name == "..":
                self._up()
            elif name not in ("", "."):
                if not last and not self._parts:
                    return name
                self._descend(name, missing)
        return None

    def _descend(self, name: str, missing: Missing) -> None:
        self._check(name)
        if self._stack[-1].fd is None:
            self._stack.append(_Level(name, None))
            return
        try:
            fd = self._open_at(name, _DIR)
        except OSError as e:
            if missing == "skip" and e.errno != errno.ELOOP:  # past the symlink budget nothing is taken as written
                self._stack.append(_Level(name, None))
                return
            if missing == "raise" or not isinstance(e, FileNotFoundError):
                raise
            with contextlib.suppress(FileExistsError):
                os.mkdir(name, dir_fd=self._stack[-1].fd)
            fd = self._open_at(name, _DIR)  # opened like any folder found there, in case it was swapped meanwhile
        if fd is not None:
            self._stack.append(_Level(name, fd))

    def _open_at(self, name: str, flags: int, mode: int = 0o644) -> int | None:
        """`name` opened in the current folder, or None if it is a symlink (then its target is walked next)."""
        parent = self._stack[-1].fd
        while True:
            try:
                return os.open(name, flags | os.O_NOFOLLOW | os.O_CLOEXEC, mode, dir_fd=parent)
            except OSError as e:
                try:
                    target = os.readlink(name, dir_fd=parent)
                except OSError:
                    if not self._swapped(name, flags, e):
                        raise e from None
                    self._hop()  # a symlink a moment ago, something else now: look again
                    continue
                self._follow(target)
                return None

    def _swapped(self, name: str, flags: int, error: OSError) -> bool:
        """Whether `error` came from a symlink that is no longer one (O_DIRECTORY answers ENOTDIR on a symlink)."""
        if error.errno in _WAS_LINK:
            return True
        if error.errno != errno.ENOTDIR or not flags & os.O_DIRECTORY:
            return False
        try:
            mode = os.stat(name, dir_fd=self._stack[-1].fd, follow_symlinks=False).st_mode
        except OSError:
            return False
        return stat.S_ISDIR(mode) or stat.S_ISLNK(mode)

    def _follow(self, target: str) -> None:
        """Walk on through a symlink's target: one inside the workspace is walked like the path itself."""
        self._hop()
        self._link = os.path.normpath(self.root.joinpath(self.relative(), target))
        if os.path.isabs(target):
            if not Path(target).is_relative_to(self.root):
                raise self._outside()
            while len(self._stack) > 1:
                self._pop()
            target = str(Path(target).relative_to(self.root))
        self._parts.extendleft(reversed(target.split("/")))

    def _up(self) -> None:
        if len(self._stack) == 1:
            if self._link is not None:
                raise self._outside()
            raise PathOutsideWorkspace(f"Path {self.path!r} climbs out of the workspace with '..'; refused.")
        self._pop()

    def _pop(self) -> None:
        fd = self._stack.pop().fd
        if fd is not None:
            os.close(fd)

    def _hop(self) -> None:
        self._hops += 1
        if self._hops > MAX_LINKS:
            raise OSError(errno.ELOOP, os.strerror(errno.ELOOP), self.path)

    def _check(self, name: str) -> None:
        """The store, the logs and the .env files stay out of reach, whichever way the path leads there; so does
        every `.git` folder (a planted hook or config would run the next time the user runs git)."""
        relative = self.relative(name)
        real = self.root / relative
        if any(real.is_relative_to(f) for f in self._forbidden):
            raise PathOutsideWorkspace(f"Path {self.path!r} points into autogpt-ls's own data folder; refused.")
        if ".git" in Path(relative).parts:
            raise PathOutsideWorkspace(f"Path {self.path!r} is inside a .git folder, which file tools cannot reach.")

    def _outside(self) -> PathOutsideWorkspace:
        return PathOutsideWorkspace(
            f"Path {self.path!r} leads outside the workspace (through a symlink to {self._link}); refused."
        )
