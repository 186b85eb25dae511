"""ripgrep as search_files' fast path: it lists the files under a folder that may match, honouring `.gitignore`
the way the Python walk does (at every level inside the workspace, whether or not it is a git repository; not
the user's global excludes, not `.ignore` files, nothing above the workspace), hidden files included, `.git`
left out, large files skipped, and nothing found through a symlinked folder (the walk does not descend them).

It only picks candidates: search.py reads each one through the Workspace (forbidden paths and symlinks leading
out are skipped, a folder swapped for a symlink meanwhile cannot redirect the read) and matches its lines with
Python's `re`, so results are those of the Python search. A pattern ripgrep's engine does not know (look-around,
back-references) makes it step aside: None, and the Python walk searches.
"""

from __future__ import annotations

import asyncio
import posixpath
import shutil
from pathlib import Path

TIMEOUT_SECONDS = 30.0
_FLAGS = [
    "--files-with-matches",
    "--null",
    "--hidden",
    "--no-config",
    "--no-require-git",
    "--no-ignore-parent",
    "--no-ignore-global",
    "--no-ignore-exclude",
    "--no-ignore-dot",
    "--no-messages",
    "--glob=!.git",
    "--follow",  # a symlinked file inside is read, as the walk reads it; what leads out the Workspace refuses
]


def installed() -> str | None:
    return shutil.which("rg")


async def candidates(root: Path, start: str, pattern: str, max_bytes: int) -> list[str] | None:
    """Workspace-relative paths of the files under `start` with a line ripgrep matches, in the Python walk's
    order; None when ripgrep is not installed or cannot run this pattern (the caller searches without it)."""
    rg = installed()
    if rg is None:
        return None
    argv = [rg, *_FLAGS, f"--max-filesize={max_bytes}", "--regexp", pattern, "--", start or "."]
    proc = await asyncio.create_subprocess_exec(
        *argv,
        cwd=root,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        out, _ = await asyncio.wait_for(proc.communicate(), TIMEOUT_SECONDS)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        return None
    if proc.returncode not in (0, 1):  # 2: a regex it does not know, or an error it did not skip
        return None
    found = [posixpath.normpath(p) for p in out.decode("utf-8", errors="surrogateescape").split("\0") if p]
    below = 0 if start in ("", ".") else len(start.split("/"))  # `start` itself may be a symlink inside
    paths = [p for p in found if not _through_symlinked_folder(root, p, below)]
    return sorted(paths, key=lambda p: p.split("/"))  # the walk's order: each folder's entries sorted by name


def _through_symlinked_folder(root: Path, path: str, below: int) -> bool:
    """Only drops what the walk would not list; the read that follows is confined on its own."""
    parts = path.split("/")[:-1]
    return any(root.joinpath(*parts[: i + 1]).is_symlink() for i in range(below, len(parts)))
