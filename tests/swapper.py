"""A hostile process, as code in the sandbox can start: it exchanges a workspace folder with a symlink out of the
workspace (renameat2 with RENAME_EXCHANGE, one atomic step) as fast as it can, until a stop file appears or its
own deadline passes. It prints `started`, then `swaps=N` when it ends."""

from __future__ import annotations

from pathlib import Path

STOP = ".stop-swapper"
SOURCE = r"""
import ctypes, os, sys, time
folder, link, stop, seconds = sys.argv[1:5]
exchange = ctypes.CDLL(None, use_errno=True).renameat2
deadline, swaps = time.monotonic() + float(seconds), 0
print("started", flush=True)
while time.monotonic() < deadline and not os.path.exists(stop):
    for _ in range(64):
        if exchange(-100, folder.encode(), -100, link.encode(), 2) != 0:  # AT_FDCWD, RENAME_EXCHANGE
            sys.exit("renameat2: " + os.strerror(ctypes.get_errno()))
        swaps += 1
print(f"swaps={swaps}", flush=True)
"""


def plant(workspace: Path, outside: Path) -> None:
    """`race/` in the workspace, with a canary, and `race.link`, the symlink out that the swapper trades it for."""
    (workspace / "race").mkdir()
    (workspace / "race" / "canary.txt").write_text("the workspace's own canary\n")
    (workspace / "race.link").symlink_to(outside)


def swapper_argv(python: str, workspace: Path, seconds: float = 120) -> list[str]:
    folder, link, stop = (str(workspace / name) for name in ("race", "race.link", STOP))
    return [python, "-c", SOURCE, folder, link, stop, str(seconds)]
