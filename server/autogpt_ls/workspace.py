"""Path confinement: the one check every file access by a tool goes through."""

from __future__ import annotations

import os
from pathlib import Path


class PathOutsideWorkspace(ValueError):
    """A path the agent may not touch; the message is written for the LLM."""


class Workspace:
    """The folder a task works in. Paths resolve with symlinks followed, then must stay inside it."""

    def __init__(self, root: str | Path, forbidden: tuple[Path, ...] = ()) -> None:
        self.root = Path(root).resolve(strict=True)
        if not self.root.is_dir():
            raise NotADirectoryError(f"workspace {self.root} is not a folder")
        self._forbidden = tuple(p.resolve() for p in forbidden)

    def resolve(self, path: str) -> Path:
        """Map an agent-given path to a real path inside the workspace, or refuse it."""
        if "\x00" in path:
            raise PathOutsideWorkspace(f"Path {path!r} contains a null byte; refused.")
        candidate = Path(path)
        if candidate.is_absolute():
            if not candidate.resolve().is_relative_to(self.root):
                raise PathOutsideWorkspace(
                    f"Absolute path {path!r} is outside the workspace; refused. Use a path relative to the workspace."
                )
        elif ".." in candidate.parts and not (self.root / candidate).resolve().is_relative_to(self.root):
            raise PathOutsideWorkspace(f"Path {path!r} climbs out of the workspace with '..'; refused.")
        resolved = (self.root / candidate).resolve()
        if not resolved.is_relative_to(self.root):
            raise PathOutsideWorkspace(
                f"Path {path!r} leads outside the workspace (through a symlink to {resolved}); refused."
            )
        if any(resolved.is_relative_to(f) for f in self._forbidden):
            raise PathOutsideWorkspace(f"Path {path!r} points into autogpt-ls's own data folder; refused.")
        return resolved

    def relative(self, path: Path) -> str:
        return os.path.relpath(path, self.root)
