"""search_files and find_files: the agent's way to look through a code base on every executor (shell `grep` is off
on the local executor by default). They read through the host-side Workspace like read_file, so every path is
confined: forbidden paths and symlinks that lead out are skipped, and symlinked folders are not descended (no
loops). `.gitignore` files (at every level) are honoured, `.git` is skipped, and so are binary and very large files.
When ripgrep is installed it lists the candidate files (tools/ripgrep.py); they are read and matched here all the
same, so its results are the walk's.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from typing import Annotated, Any

import pathspec
from pydantic import Field

from autogpt_ls.models import Result
from autogpt_ls.tools import ripgrep
from autogpt_ls.tools.base import ToolContext, ToolRefused, tool
from autogpt_ls.tools.files import check_folder
from autogpt_ls.workspace import PathOutsideWorkspace, Workspace

MAX_MATCHES = 100  # lines shown; the total is counted all the same
MAX_FILES_LISTED = 200
MAX_LINE_CHARS = 240
MAX_FILE_BYTES = 2_000_000  # larger files are data, not code
MAX_FILES_SCANNED = 50_000

Glob = Annotated[
    str, Field(description="gitignore-style glob: '*.py' matches at any depth, 'src/**/*.ts' only under src")
]


class _Ignores:
    """The .gitignore rules in force for a folder: each file's patterns apply below the folder that holds it."""

    def __init__(self, rules: tuple[tuple[str, pathspec.GitIgnoreSpec], ...] = ()) -> None:
        self.rules = rules

    def below(self, workspace: Workspace, folder: str, names: set[str]) -> _Ignores:
        if ".gitignore" not in names:
            return self
        try:
            lines = workspace.read_text(posixpath.join(folder, ".gitignore")).splitlines()
        except (OSError, PathOutsideWorkspace):
            return self
        return _Ignores((*self.rules, (folder, pathspec.GitIgnoreSpec.from_lines(lines))))

    def ignored(self, path: str, is_dir: bool) -> bool:
        for folder, spec in self.rules:
            inner = path if folder == "." else posixpath.relpath(path, folder)
            if spec.match_file(inner + "/" if is_dir else inner):
                return True
        return False


def _files(workspace: Workspace, start: str) -> Iterator[str]:
    """The files under `start` (relative to the root), ignored ones and `.git` left out, in a stable order."""
    ignores = _Ignores()
    parts = [p for p in posixpath.normpath(start).split("/") if p not in (".", "")]
    for depth in range(len(parts)):  # the .gitignore files of the folders above `start` apply too
        folder = "/".join(parts[:depth]) or "."
        ignores = ignores.below(workspace, folder, {n for n, _ in workspace.listdir(folder)[1]})
    yield from _walk(workspace, "/".join(parts) or ".", ignores)


def _walk(workspace: Workspace, folder: str, ignores: _Ignores) -> Iterator[str]:
    try:
        _, entries = workspace.listdir(folder)
    except (OSError, PathOutsideWorkspace):
        return
    ignores = ignores.below(workspace, folder, {name for name, _ in entries})
    for name, is_dir in sorted(entries):
        path = name if folder == "." else f"{folder}/{name}"
        if name == ".git" or ignores.ignored(path, is_dir):
            continue
        if is_dir:
            yield from _walk(workspace, path, ignores)
        else:
            yield path


def _matching(ctx: ToolContext, start: str, glob: str | None, listed: list[str] | None = None) -> Iterator[str]:
    """The files under `start` that `glob` matches: from the walk, or from a list ripgrep made."""
    spec = pathspec.GitIgnoreSpec.from_lines([glob]) if glob else None
    paths = _files(ctx.executor.workspace, start or ".") if listed is None else iter(listed)
    for n, path in enumerate(paths):
        if n >= MAX_FILES_SCANNED:
            return
        if spec is None or spec.match_file(path):
            yield path


def _readable(workspace: Workspace, path: str) -> bytes | None:
    """A text file's bytes, or None for what is skipped: binary, too large, forbidden, or a symlink leading out."""
    try:
        data = workspace.read_bytes(path)
    except (OSError, PathOutsideWorkspace):
        return None
    return None if len(data) > MAX_FILE_BYTES or b"\0" in data[:8192] else data


def _check_search(ctx: ToolContext, args: Any) -> None:
    try:
        re.compile(args.pattern)
    except re.error as exc:
        raise ToolRefused(f"pattern {args.pattern!r} is not a valid regular expression: {exc}.") from None
    check_folder(ctx, args.path)


@tool("search_files", "file_operations", "read", check=_check_search)
async def search_files(
    ctx: ToolContext,
    pattern: Annotated[str, Field(description="Python regular expression searched for in each line")],
    path: Annotated[str, Field(description="Folder to search, relative to the workspace")] = ".",
    glob: Annotated[str | None, Field(description="Only files matching this gitignore-style glob, e.g. '*.py'")] = None,
) -> Result:
    """Search the workspace's text files for lines matching a regular expression (honouring .gitignore); returns
    `path:line: text` for the first matches and the total count."""
    regex = re.compile(pattern)
    shown: list[str] = []
    total = files = 0
    for file in _matching(ctx, path, glob, await _candidates(ctx.executor.workspace, path, pattern)):
        data = _readable(ctx.executor.workspace, file)
        hits = [] if data is None else _hits(regex, data.decode("utf-8", errors="replace"))
        files += bool(hits)
        total += len(hits)
        shown.extend(f"{file}:{n}: {line}" for n, line in hits[: MAX_MATCHES - len(shown)])
    if not total:
        return Result(ok=True, output=f"No matches for {pattern!r}.")
    more = f" (showing the first {len(shown)})" if total > len(shown) else ""
    return Result(ok=True, output=f"{total} matches in {files} files{more}:\n" + "\n".join(shown))


async def _candidates(workspace: Workspace, path: str, pattern: str) -> list[str] | None:
    """ripgrep's list of the files that may match, spelled as the walk spells them; None: walk them all."""
    start = posixpath.normpath(path or ".")
    if start.startswith(("/", "..")):
        return None
    return await ripgrep.candidates(workspace.root, start, pattern, MAX_FILE_BYTES)


def _hits(regex: re.Pattern[str], text: str) -> list[tuple[int, str]]:
    return [
        (n, line if len(line) <= MAX_LINE_CHARS else line[:MAX_LINE_CHARS] + "...")
        for n, line in enumerate(text.splitlines(), 1)
        if regex.search(line)
    ]


@tool("find_files", "file_operations", "read", check=lambda ctx, a: check_folder(ctx, a.path))
async def find_files(
    ctx: ToolContext,
    glob: Glob,
    path: Annotated[str, Field(description="Folder to look in, relative to the workspace")] = ".",
) -> Result:
    """Find the workspace's files whose path matches a glob (honouring .gitignore)."""
    workspace = ctx.executor.workspace
    found = []
    for file in _matching(ctx, path, glob):
        try:
            if workspace.resolve(file).is_dir():  # a symlink to a folder inside
                continue
        except PathOutsideWorkspace:  # forbidden files, and symlinks leading out, are not listed
            continue
        found.append(file)
    if not found:
        return Result(ok=True, output=f"No files match {glob!r}.")
    more = f" (showing the first {MAX_FILES_LISTED})" if len(found) > MAX_FILES_LISTED else ""
    return Result(ok=True, output=f"{len(found)} files{more}:\n" + "\n".join(found[:MAX_FILES_LISTED]))


TOOLS = [search_files, find_files]
