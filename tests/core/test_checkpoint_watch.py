"""The file watch that lets a checkpoint look only at the paths changed since the last one: what it names after
real shell commands (creates, deletes, renames, new and renamed folders), when it cannot vouch, and checkpoints
taken through it against the same checkpoints taken by scanning the whole workspace."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

import pytest

from autogpt_ls.checkpoint_snapshot import Snapshot, snapshot
from autogpt_ls.checkpoint_watch import Watch
from autogpt_ls.checkpoints import Checkpoints


def _sh(workspace: Path, script: str) -> None:
    subprocess.run(["sh", "-ec", script], cwd=workspace, check=True)


def _files(workspace: Path, *names: str) -> None:
    for name in names:
        (workspace / name).parent.mkdir(parents=True, exist_ok=True)
        (workspace / name).write_text(f"{name}\n")


def test_the_watch_names_what_shell_commands_created_deleted_and_renamed(workspace: Path) -> None:
    _files(workspace, "a.txt", "b.txt", "dir/one.txt", "dir/sub/two.txt")
    watch = Watch(workspace, frozenset({"node_modules"}))
    try:
        assert watch.take() is None  # at its start it has seen nothing: scan everything
        _sh(
            workspace,
            "echo new > new.txt; rm a.txt; mv b.txt c.txt; mv dir moved; echo more >> moved/sub/two.txt;"
            "mkdir -p fresh/deep; echo f > fresh/deep/f.txt; mkdir -p node_modules/x; echo d > node_modules/x/i.js",
        )
        # a new or renamed folder is named whole: what was written in it before its watch was added is in it
        assert watch.take() == ["a.txt", "b.txt", "c.txt", "dir", "fresh", "moved", "new.txt", "node_modules"]
        _sh(workspace, "echo again > moved/sub/two.txt; echo g > fresh/deep/g.txt; echo e > node_modules/x/e.js")
        # the renamed folder's files under their new names, the new folder watched, a dependency tree not entered
        assert watch.take() == ["fresh/deep/g.txt", "moved/sub/two.txt"]
        _sh(workspace, "chmod +x c.txt; touch new.txt; rm -r moved")
        assert watch.take() == ["c.txt", "moved", "new.txt"]  # what was in a removed folder: the folder
        assert watch.take() == []
    finally:
        watch.close()


def test_the_watch_cannot_vouch_after_a_gitignore_change_or_a_queue_overflow(workspace: Path) -> None:
    _files(workspace, "a.txt")
    watch = Watch(workspace, frozenset())
    try:
        watch.take()
        _sh(workspace, "echo '*.log' > .gitignore; echo b > b.txt")
        assert watch.take() is None  # what is ignored changed for paths no event names
        queued = int(Path("/proc/sys/fs/inotify/max_queued_events").read_text())
        many = workspace / "many"
        many.mkdir()
        assert watch.take() == ["many"]
        for i in range(queued + 10):  # more events than the kernel queues: it drops the rest and says so
            (many / f"f{i}").touch()
        assert watch.take() is None
        (workspace / "a.txt").write_text("changed")
        assert watch.take() == ["a.txt"]  # and it goes on from there
    finally:
        watch.close()


async def _both(watched: Checkpoints, scanned: Checkpoints) -> tuple[Snapshot, Snapshot]:
    """A checkpoint through the watch (which must not scan) and one by a full scan, as (tree, not covered)."""
    async with watched.session() as git:
        fast = await snapshot(git)
    async with scanned.session() as git:
        full = await snapshot(git)
    assert full.scanned and not fast.scanned
    return fast, full


async def test_checkpoints_through_the_watch_equal_full_scans(workspace: Path, data_dir: Path) -> None:
    _files(workspace, ".gitignore", "keep.txt", "gone.txt", "old.txt", "src/a.py", "src/deep/b.py")
    (workspace / ".gitignore").write_text("*.log\n")
    (workspace / "empty").mkdir()  # becomes a nested repository in place: its `.git` must make git look at it
    watched = Checkpoints(workspace, data_dir / "watched", 1000)
    scanned = Checkpoints(workspace, data_dir / "scanned", 1000, watch=False)
    try:
        async with watched.session() as git:
            first = await snapshot(git)
        assert first.scanned and watched.watching and not scanned.watching  # a new watch has seen nothing yet
        fast, full = await _both(watched, scanned)  # nothing changed: the last tree
        assert fast.tree == first.tree == full.tree
        _sh(
            workspace,
            "rm gone.txt; mv old.txt new.txt; mv src lib; echo edit >> lib/deep/b.py; echo log > run.log;"
            "mkdir -p out/x; echo o > out/x/o.txt; head -c 5000 /dev/zero > big.bin; mkdir -p vendor/lib;"
            "git init -q vendor/lib; echo n > vendor/lib/code.py; git init -q empty; echo e > empty/e.py",
        )
        fast, full = await _both(watched, scanned)
        assert (fast.tree, fast.not_covered) == (full.tree, full.not_covered)
        async with watched.session() as git:
            names = (await git.git("ls-tree", "-r", "--name-only", fast.tree)).split()
        assert names == [".gitignore", "keep.txt", "lib/a.py", "lib/deep/b.py", "new.txt", "out/x/o.txt"]
        assert fast.not_covered == (
            "big.bin (over 0.001 MB)",
            "empty/ (nested repository)",
            "vendor/lib/ (nested repository)",
        )
        _sh(workspace, "echo edit >> out/x/o.txt; rm -r lib")
        fast, full = await _both(watched, scanned)
        assert (fast.tree, fast.not_covered) == (full.tree, full.not_covered)
    finally:
        watched.close()


async def test_an_index_written_by_another_process_means_a_full_scan(workspace: Path, data_dir: Path) -> None:
    """Two servers on one workspace share its shadow repository: the index one wrote is not what the other's watch
    accounted for, so the other scans everything once."""
    _files(workspace, "a.txt", "b.txt")
    first = Checkpoints(workspace, data_dir / "checkpoints", 1000)
    other = Checkpoints(workspace, data_dir / "checkpoints", 1000, watch=False)
    try:
        async with first.session() as git:
            await snapshot(git)
        (workspace / "a.txt").write_text("seen by both")
        async with other.session() as git:
            await snapshot(git)
        (workspace / "b.txt").write_text("after the other's checkpoint")
        async with first.session() as git:
            snap = await snapshot(git)
            assert snap.scanned
            assert await git.file_at(snap.tree, "a.txt") == b"seen by both"
            assert await git.file_at(snap.tree, "b.txt") == b"after the other's checkpoint"
    finally:
        first.close()


async def test_a_file_that_became_a_folder_is_checkpointed_as_its_files(workspace: Path, data_dir: Path) -> None:
    """git takes a tracked file (or symlink) that is a folder now only as the files inside: its entry goes and they
    are listed, through the watch as in a full scan (a command that swaps them failed every checkpoint before)."""
    _files(workspace, "keep.txt", "swap")
    (workspace / "link").symlink_to("keep.txt")
    watched = Checkpoints(workspace, data_dir / "watched", 10**6)
    scanned = Checkpoints(workspace, data_dir / "scanned", 10**6, watch=False)
    try:
        async with watched.session() as git:
            assert (await snapshot(git)).scanned  # a new watch has seen nothing yet
        _sh(workspace, "rm swap link; mkdir -p swap/in link; echo s > swap/in/s.txt; echo l > link/l.txt")
        async with watched.session() as git:
            fast = await snapshot(git)
        async with scanned.session() as git:
            full = await snapshot(git)
        assert fast.tree == full.tree and not fast.scanned
        async with watched.session() as git:
            names = (await git.git("ls-tree", "-r", "--name-only", fast.tree)).split()
        assert names == ["keep.txt", "link/l.txt", "swap/in/s.txt"]
    finally:
        watched.close()


async def test_a_watch_closed_under_the_event_loop_closes_in_a_worker_thread(
    workspace: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Closing an inotify instance waits in the kernel for a grace period (about 8 ms under load): a workspace
    dropped from CheckpointRepos must not stall the loop for it. Without a loop it closes at once."""
    closed_in: list[str] = []
    closed = threading.Event()
    real = Watch.close

    def close(self: Watch) -> None:
        closed_in.append(threading.current_thread().name)
        real(self)
        closed.set()

    monkeypatch.setattr(Watch, "close", close)
    cp = Checkpoints(workspace, data_dir / "checkpoints", 10**6)
    async with cp.session() as git:
        await snapshot(git)
    assert cp.watching
    cp.close()
    assert not cp.watching
    assert await asyncio.to_thread(closed.wait, 10)
    assert closed_in[0] != threading.current_thread().name
    cp = Checkpoints(workspace, data_dir / "checkpoints", 10**6)
    cp.changed_paths()  # its watch starts
    await asyncio.to_thread(cp.close)  # no loop in that thread: closed there, before close() returns
    assert len(closed_in) == 2 and not cp.watching


# A user no other process runs as (this pid is unique while it runs): its inotify instances are the child's alone
OWN_UID = 100_000 + os.getpid()


def _watchless(mode: str, uid: int | None = None) -> dict[str, Any]:
    """watchless_checkpoints.py's report, from a child process (which becomes `uid`, owning its folder, if given)."""
    with tempfile.TemporaryDirectory(prefix="autogpt-watchless-") as folder:
        (Path(folder) / "workspace").mkdir()
        if uid is not None:
            for path in (folder, f"{folder}/workspace"):
                os.chown(path, uid, uid)
        child = subprocess.run(
            [sys.executable, str(Path(__file__).with_name("watchless_checkpoints.py")), mode, folder]
            + ([str(uid)] if uid is not None else []),
            capture_output=True,
            text=True,
            timeout=120,
            env=os.environ | {"HOME": folder},
        )
    assert child.returncode == 0, child.stderr
    return json.loads(child.stdout)  # type: ignore[no-any-return]


def _scanned_right(report: dict[str, Any]) -> None:
    """Every checkpoint a full scan, equal to the scanning repository's, and the watch's failure said once."""
    shots = report["shots"]
    assert [s["tree"] for s in shots] == [s["full"] for s in shots] and all(s["scanned"] for s in shots)
    assert [s["names"] for s in shots] == [
        ["a.txt", "src/deep/b.py"],
        ["a.txt", "c.txt", "lib/deep/b.py"],
        ["c.txt"],
    ]
    assert not report["watching"]
    assert len(report["warnings"]) == 1 and "checkpoints scan the whole workspace" in report["warnings"][0]


def test_without_inotify_simple_checkpoints_scan_with_one_warning() -> None:
    report = _watchless("no-module")
    _scanned_right(report)
    assert "inotify_simple" in report["warnings"][0]


@pytest.mark.skipif(os.geteuid() != 0, reason="running the child as a user of its own needs root")
def test_with_no_inotify_instance_left_checkpoints_scan_with_one_warning() -> None:
    """The user's max_user_instances all open (in a child of its own user, so no other process loses any)."""
    report = _watchless("no-instances", OWN_UID)
    assert report["held"] == int(Path("/proc/sys/fs/inotify/max_user_instances").read_text())
    _scanned_right(report)
    assert "Too many open files" in report["warnings"][0]
