"""Runs one command and ends every process it started once it returns; the local executor's wrapper on Linux.

    python3 -I -S subreaper.py KEEP ARGV...

As a child subreaper (prctl PR_SET_CHILD_SUBREAPER) it inherits every orphaned descendant of the command, whatever
session or process group it moved to, so neither `setsid nohup x &` nor a double fork escapes it. The command writes
to a pipe that this process copies to its own stdout, which it closes as soon as the command has exited: a
background process holding the pipe cannot keep the executor waiting. Then it writes `rc=N` to stderr and
- KEEP=0: kills every descendant left (looping until none remains, so a fork bomb ends too) and exits;
- KEEP=1: lists the descendants still running (`pid command line`, one a line) after `rc=N` and stays until its
  stdin closes (the executor closed, or the server died), then kills them.
SIGTERM (the executor's timeout) kills everything at any time. Standard library only: it runs with -I -S.
"""

from __future__ import annotations

import ctypes
import fcntl
import os
import select
import signal
import sys
import termios

PR_SET_CHILD_SUBREAPER = 36


def descendants() -> list[int]:
    """Every process below this one, from /proc's parent links (a snapshot: the caller loops)."""
    children: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat", "rb") as f:
                    ppid = int(f.read().rpartition(b")")[2].split()[1])
            except (OSError, ValueError, IndexError):  # it ended meanwhile
                continue
            children.setdefault(ppid, []).append(int(name))
    found, todo = [], [os.getpid()]
    while todo:
        kids = children.get(todo.pop(), [])
        found += kids
        todo += kids
    return found


def kill_all() -> None:
    """SIGKILL every descendant and reap them until this process has no child left (orphans all come here)."""
    while True:
        for pid in descendants():
            try:  # noqa: SIM105 (contextlib would cost every command its import time)
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        try:
            os.waitpid(-1, 0)  # one of the children just killed
            while os.waitpid(-1, os.WNOHANG)[0]:
                pass
        except ChildProcessError:
            return


def reap(command: int) -> int | None:
    """Reap the zombies there are; the command's exit code if it was one of them."""
    code = None
    try:
        while True:
            pid, status = os.waitpid(-1, os.WNOHANG)
            if pid == 0:
                return code
            if pid == command:
                code = os.waitstatus_to_exitcode(status)
    except ChildProcessError:
        return code


def cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return "?"


def spawn(argv: list[str], out: int) -> int | None:
    """Start the command with stdin /dev/null and stdout and stderr into `out`; None when it cannot start."""
    devnull = os.open(os.devnull, os.O_RDONLY)
    actions = [(os.POSIX_SPAWN_DUP2, devnull, 0), (os.POSIX_SPAWN_DUP2, out, 1), (os.POSIX_SPAWN_DUP2, out, 2)]
    try:  # Python ignores SIGPIPE and SIGXFSZ; the command gets the defaults back, as subprocess does
        return os.posix_spawnp(
            argv[0], argv, os.environ, file_actions=actions, setsigdef=(signal.SIGPIPE, signal.SIGXFSZ)
        )
    except OSError as e:
        os.write(1, f"{argv[0]}: {e.strerror}\n".encode())
        return None
    finally:
        os.close(devnull)


def wait_for(command: int, output: int, wake: int) -> int:
    """Copy the command's output until it exits, then what it left in the pipe; its exit code."""
    watched = [output, wake]
    code = None
    while code is None:
        ready = select.select(watched, [], [])[0]
        if output in ready and not copy(output, 65536, once=True):
            watched.remove(output)  # every writer closed it; the command may still run
        if wake in ready:
            if signal.SIGTERM in os.read(wake, 512):
                kill_all()
                os._exit(137)
            code = reap(command)
    left = bytearray(4)
    fcntl.ioctl(output, termios.FIONREAD, left)
    copy(output, int.from_bytes(left, sys.byteorder))  # what the command wrote is all in the pipe by now
    return code


def copy(source: int, size: int, *, once: bool = False) -> bool:
    """Copy `size` bytes to stdout (at most one read when `once`); False at the end of the pipe."""
    while size > 0:
        data = os.read(source, min(size, 65536))
        if not data:
            return False
        os.write(1, data)
        size = 0 if once else size - len(data)
    return True


def linger(output: int, wake: int) -> None:
    """Keep the background jobs until stdin closes or SIGTERM comes (their later output is dropped)."""
    watched = [0, output, wake]
    while True:
        ready = select.select(watched, [], [])[0]
        if output in ready and not os.read(output, 65536):
            watched.remove(output)
        if 0 in ready and not os.read(0, 512):
            return
        if wake in ready:
            if signal.SIGTERM in os.read(wake, 512):
                return
            reap(-1)
            if not descendants():
                return


def main() -> None:
    keep, argv = sys.argv[1] == "1", sys.argv[2:]
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    for sig in (signal.SIGCHLD, signal.SIGTERM):
        signal.signal(sig, lambda *_: None)
    out_r, out_w = os.pipe()
    command = spawn(argv, out_w)
    os.close(out_w)
    code = 127 if command is None else wait_for(command, out_r, wake_r)
    os.close(1)  # the executor's end of the output: the command's result is complete
    if not keep:
        kill_all()
    left = [f"{pid} {cmdline(pid)}\n" for pid in descendants()]
    os.write(2, f"rc={code}\n{''.join(left)}".encode())
    os.close(2)
    if left:
        linger(out_r, wake_r)
        kill_all()


if __name__ == "__main__":
    main()
