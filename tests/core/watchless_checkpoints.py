"""Run as a child process by test_checkpoint_watch.py: checkpoints of a workspace when the file watch cannot start,
because inotify_simple cannot be imported (`no-module`) or because this user has no inotify instance left
(`no-instances UID`: become a user of its own, then open instances until the kernel refuses). Prints, as JSON,
each step's checkpoint through the failed watch beside a full scan's, and the warnings logged."""

from __future__ import annotations

import asyncio
import ctypes
import errno
import json
import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from autogpt_ls.checkpoint_snapshot import snapshot
from autogpt_ls.checkpoints import Checkpoints

STEPS = (
    "echo a > a.txt; mkdir -p src/deep; echo b > src/deep/b.py",
    "echo more >> a.txt; mv src lib; echo c > c.txt",
    "rm a.txt; rm -r lib/deep",
)

PR_SET_SECUREBITS, SECBIT_NO_SETUID_FIXUP = 28, 1 << 2  # <linux/prctl.h>, <linux/securebits.h>


def exhaust_instances(uid: int) -> list[Any]:
    """As `uid` (the instances are counted per user), open inotify instances until the kernel refuses one (EMFILE:
    the user's max_user_instances). The capabilities stay (SECBIT_NO_SETUID_FIXUP): this Python is under /root."""
    from inotify_simple import INotify

    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_SECUREBITS, SECBIT_NO_SETUID_FIXUP, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_SECUREBITS)")
    os.setgroups([])
    os.setgid(uid)
    os.setuid(uid)
    held = []
    while True:
        try:
            held.append(INotify())
        except OSError as e:
            assert e.errno == errno.EMFILE, e
            return held


async def steps(workspace: Path, data: Path) -> dict[str, Any]:
    watched = Checkpoints(workspace, data / "watched", 10**6)
    scanned = Checkpoints(workspace, data / "scanned", 10**6, watch=False)
    shots: list[dict[str, Any]] = []
    for script in STEPS:
        subprocess.run(["sh", "-ec", script], cwd=workspace, check=True)
        async with watched.session() as git:
            fast = await snapshot(git)
            names = (await git.git("ls-tree", "-r", "--name-only", fast.tree)).split()
        async with scanned.session() as git:
            full = await snapshot(git)
        shots.append({"tree": fast.tree, "scanned": fast.scanned, "full": full.tree, "names": names})
    watching = watched.watching
    watched.close()
    return {"shots": shots, "watching": watching}


def main(mode: str, folder: Path, uid: str = "") -> None:
    warnings: list[str] = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = lambda record: warnings.append(record.getMessage())  # type: ignore[method-assign]
    logging.getLogger("autogpt_ls").addHandler(handler)
    held = []
    if mode == "no-module":
        sys.modules["inotify_simple"] = None  # type: ignore[assignment]  # Python's "not installed": ImportError
    else:
        held = exhaust_instances(int(uid))
    result = asyncio.run(steps(folder / "workspace", folder / "data"))
    print(json.dumps(result | {"held": len(held), "warnings": warnings}))


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]), *sys.argv[3:])
