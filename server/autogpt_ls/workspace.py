"""Path confinement: every file access by a tool or a protocol goes through one Workspace, and a Walk of its path."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from autogpt_ls.safe_fs import PathOutsideWorkspace, Walk

__all__ = ["PathOutsideWorkspace", "Workspace"]

_READ = os.O_RDONLY | os.O_NONBLOCK  # O_NONBLOCK: a FIFO planted in the workspace cannot hang the server
_WRITE = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NONBLOCK


class Workspace:
    """The folder a task works in. Symlinks are followed only while they stay inside it; the data folder, the logs
    and the .env files are out of reach even there. Each operation walks its path once and acts on what it found
    (safe_fs), so code that swaps folders for symlinks meanwhile cannot redirect it."""

    def __init__(self, root: str | Path, forbidden: tuple[Path, ...] = ()) -> None:
        self.root = Path(root).resolve(strict=True)
        if not self.root.is_dir():
            raise NotADirectoryError(f"workspace {self.root} is not a folder")
        self._forbidden = tuple(p.resolve() for p in forbidden)

    @property
    def forbidden(self) -> tuple[Path, ...]:
        return self._forbidden

    def _walk(self, path: str) -> Walk:
        return Walk(self.root, path, self._forbidden)

    def resolve(self, path: str) -> Path:
        """Where an agent-given path leads now, or a refusal. For naming and showing a file, never for opening it:
        the answer may be stale by the time it is used."""
        with self._walk(path) as walk:
            return self.root / walk.lookup()

    def relative(self, path: Path) -> str:
        return os.path.relpath(path, self.root)

    def read_bytes(self, path: str) -> bytes:
        with self._walk(path) as walk:
            fd, _ = walk.open(_READ)
        with os.fdopen(fd, "rb") as handle:
            _must_be_file(fd, path)
            return handle.read()

    def read_text(self, path: str) -> str:
        return self.read_bytes(path).decode("utf-8", errors="replace")

    def write_bytes(self, path: str, data: bytes) -> str:
        """Create or overwrite a file (and its missing folders); returns its real path relative to the root."""
        with self._walk(path) as walk:
            fd, relative = walk.open(_WRITE, create_dirs=True)
        with os.fdopen(fd, "wb") as handle:
            _must_be_file(fd, path)
            handle.write(data)
        return relative

    def folder(self, path: str, *, create: bool = False) -> int:
        """A folder's descriptor (its missing folders made first when `create`), to act on its entries by name."""
        with self._walk(os.path.join(path or ".", ".")) as walk:
            fd, _ = walk.open(os.O_RDONLY | os.O_DIRECTORY, create_dirs=create)
        return fd

    def listdir(self, path: str) -> tuple[str, list[tuple[str, bool]]]:
        """A folder's real path relative to the root and its entries as (name, is a folder, not via a symlink)."""
        with self._walk(path) as walk:
            fd, relative = walk.open(os.O_RDONLY | os.O_DIRECTORY)
        try:
            with os.scandir(fd) as entries:
                return relative, [(e.name, e.is_dir(follow_symlinks=False)) for e in entries]
        finally:
            os.close(fd)


def _must_be_file(fd: int, path: str) -> None:
    mode = os.fstat(fd).st_mode
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(errno.EISDIR, "is a folder, not a file", path)
    if not stat.S_ISREG(mode):
        raise OSError(errno.EINVAL, "not a regular file", path)
