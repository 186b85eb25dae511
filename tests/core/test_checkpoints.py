"""The shadow repository against real git: what is covered, what is not and says so, isolation from the user's
git setup, the lock, and a checkpoint killed with -9."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from autogpt_ls import checkpoints
from autogpt_ls.checkpoint_snapshot import snapshot
from autogpt_ls.checkpoints import Checkpoints


def _checkpoints(workspace: Path, data_dir: Path, max_bytes: int = 1000) -> Checkpoints:
    return Checkpoints(workspace, data_dir / "checkpoints", max_bytes)


async def test_not_covered_is_skipped_and_named(workspace: Path, data_dir: Path) -> None:
    (workspace / ".gitignore").write_text("*.log\n")
    (workspace / "run.log").write_text("ignored")
    (workspace / "node_modules" / "x").mkdir(parents=True)
    (workspace / "node_modules" / "x" / "index.js").write_text("dep")
    (workspace / "big.bin").write_bytes(b"\0" * 2000)
    nested = workspace / "vendor" / "lib"
    nested.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(nested)], check=True)
    (nested / "code.py").write_text("nested")
    (workspace / "src.py").write_text("covered")
    cp = _checkpoints(workspace, data_dir)
    async with cp.session() as git:
        snap = await snapshot(git)
        listed = await git.git("ls-tree", "-r", "--name-only", snap.tree)
    assert listed.split() == [".gitignore", "src.py"]
    assert snap.not_covered == (
        "node_modules/ (dependency tree)",
        "big.bin (over 0.001 MB)",
        "vendor/lib/ (nested repository)",
    )


async def test_a_new_empty_workspace_starts_from_gits_empty_tree(
    workspace: Path, data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its first checkpoint runs no git (here there is none on PATH), nor does the one after its first files are
    written (the watch vouches for them, though there was no index to compare); the steps after diff and
    restore against the empty tree git knows without storing it."""
    cp = _checkpoints(workspace, data_dir)
    async with cp.session():  # the repository's setup (git init)
        pass
    with monkeypatch.context() as m:
        m.setenv("PATH", str(tmp_path / "no-git-here"))
        gitless = _checkpoints(workspace, data_dir)
        async with gitless.session() as git:
            first = await snapshot(git)
            (workspace / "top.txt").write_text("top")
            written = await snapshot(git)
        gitless.close()
    assert written.added == ("top.txt",) and not written.scanned
    async with cp.session() as git:
        (workspace / "sub").mkdir()
        (workspace / "sub" / "new.txt").write_text("new")
        second = await snapshot(git)
        assert await git.changed(first.tree, second.tree) == ["sub/new.txt", "top.txt"]
        await git.restore(first.tree, ["sub/new.txt"])
    assert not (workspace / "sub").exists()


@pytest.mark.parametrize("watch", [True, False])
async def test_a_first_trees_files_are_gits_diff_from_the_empty_tree(
    workspace: Path, data_dir: Path, watch: bool
) -> None:
    """The first tree of a repository lists its files without a diff-tree: the same files in git's order (a
    folder's files after a sibling file whose name sorts before '/'), skipped ones left out."""
    cp = Checkpoints(workspace, data_dir / "checkpoints", 1000, watch)
    async with cp.session() as git:
        first = await snapshot(git)
        for name in ["a/b.txt", "a.txt", "a-z/c", "Z", "é.txt", "sub/deep/x"]:
            (workspace / name).parent.mkdir(parents=True, exist_ok=True)
            (workspace / name).write_text(name)
        (workspace / "big.bin").write_bytes(b"\0" * 2000)
        second = await snapshot(git)
        assert second.added is not None
        assert list(second.added) == await git.changed(first.tree, second.tree)
        assert "big.bin" not in second.added and len(second.added) == 6
        (workspace / "a.txt").write_text("changed")
        third = await snapshot(git)
        assert third.added is None  # past the first tree, git says what changed
        assert await git.changed(second.tree, third.tree) == ["a.txt"]
    cp.close()


async def test_what_the_watch_saw_change_is_recorded_with_no_git_process(
    workspace: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file changed, one added, one deleted and one ignored added: the index in this process lists and records
    them (no `ls-files`, `update-index` nor `write-tree`); a new folder of files is listed by `ls-files` (a walk
    is git's), and recorded here too. git itself reads the trees back."""
    (workspace / ".gitignore").write_text("*.log\n")
    for name in ("kept.txt", "gone.txt"):
        (workspace / name).write_text(name)
    cp = Checkpoints(workspace, data_dir / "checkpoints", 1000, watch=True)
    calls: list[str] = []
    real = checkpoints.run_git

    async def counted(args: list[str], **kwargs: Any) -> str:
        calls.append(args[0])
        return await real(args, **kwargs)

    monkeypatch.setattr(checkpoints, "run_git", counted)
    async with cp.session() as git:
        first = await snapshot(git)
        assert cp.watching
        (workspace / "kept.txt").write_text("changed")
        (workspace / "new.txt").write_text("new")
        (workspace / "link").symlink_to("kept.txt")
        (workspace / "gone.txt").unlink()
        (workspace / "run.log").write_text("ignored")
        calls.clear()
        second = await snapshot(git)
        assert calls == []
        assert await git.changed(first.tree, second.tree) == ["gone.txt", "kept.txt", "link", "new.txt"]
        listed = await git.git("ls-tree", second.tree)
        assert [line.split("\t")[1] for line in listed.splitlines()] == [".gitignore", "kept.txt", "link", "new.txt"]
        assert listed.splitlines()[2].startswith("120000 blob")  # a symlink, as git stores one
        assert await git.file_at(second.tree, "kept.txt") == b"changed"
        (workspace / "src" / "deep").mkdir(parents=True)
        (workspace / "src" / "deep" / "a.py").write_text("a")
        (workspace / "src" / "b.log").write_text("ignored")
        calls.clear()
        third = await snapshot(git)
        assert calls == ["ls-files"]
        assert await git.changed(second.tree, third.tree) == ["src/deep/a.py"]
    cp.close()


async def test_a_file_whose_name_is_not_utf8_is_covered_through_the_watch(workspace: Path, data_dir: Path) -> None:
    """libgit2's bindings take names as str only: such a name (its bytes surrogate-escaped) goes to git's CLI,
    among a new workspace's first files and in a later step, and comes back from the trees as it was."""
    odd = os.fsdecode(b"\xff-odd.txt")
    cp = Checkpoints(workspace, data_dir / "checkpoints", 1000, watch=True)
    async with cp.session() as git:
        empty = await snapshot(git)
        (workspace / odd).write_bytes(b"odd")
        (workspace / "a.txt").write_text("a")
        first = await snapshot(git)
        assert first.added == ("a.txt", odd) and not first.scanned
        (workspace / odd).write_bytes(b"changed")
        (workspace / "a.txt").write_text("b")
        second = await snapshot(git)
        assert not second.scanned
        assert await git.changed(empty.tree, first.tree) == ["a.txt", odd]
        assert await git.changed(first.tree, second.tree) == ["a.txt", odd]
        assert await git.file_at(second.tree, odd) == b"changed"
    cp.close()


async def test_a_file_that_grows_past_the_cap_leaves_the_checkpoints(workspace: Path, data_dir: Path) -> None:
    (workspace / "data.bin").write_bytes(b"small")
    cp = _checkpoints(workspace, data_dir)
    async with cp.session() as git:
        first = await snapshot(git)
        (workspace / "data.bin").write_bytes(b"\1" * 5000)
        second = await snapshot(git)
        assert await git.changed(first.tree, second.tree) == ["data.bin"]
        assert await git.git("ls-tree", "-r", "--name-only", second.tree) == ""
    assert second.not_covered == ("data.bin (over 0.001 MB)",)


async def test_the_callers_git_environment_and_the_users_hooks_are_ignored(
    workspace: Path, data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = tmp_path / "other.git"
    subprocess.run(["git", "init", "-q", "--bare", str(other)], check=True)
    monkeypatch.setenv("GIT_DIR", str(other))  # a shell that exported these must not redirect the checkpoints
    monkeypatch.setenv("GIT_INDEX_FILE", str(tmp_path / "foreign-index"))
    global_config = tmp_path / "gitconfig"
    global_config.write_text(f"[core]\n\thooksPath = {tmp_path}\n\texcludesFile = {tmp_path / 'ignore'}\n")
    (tmp_path / "ignore").write_text("*.txt\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(global_config))
    (workspace / "a.txt").write_text("a")
    cp = _checkpoints(workspace, data_dir)
    async with cp.session() as git:
        snap = await snapshot(git)
        assert (await git.git("ls-tree", "--name-only", snap.tree)).split() == ["a.txt"]
    assert not (tmp_path / "foreign-index").exists()
    assert (
        "0 objects"
        in subprocess.run(
            ["git", "--git-dir", str(other), "count-objects"], capture_output=True, text=True, check=True
        ).stdout
    )


GLOBAL_CONFIG = textwrap.dedent(
    """
    import asyncio, os, sys
    from pathlib import Path
    from autogpt_ls.checkpoint_snapshot import snapshot
    from autogpt_ls.checkpoints import Checkpoints

    async def main() -> None:
        workspace = Path(sys.argv[1])
        cp = Checkpoints(workspace, Path(sys.argv[2]), 10**6, watch=True)
        async with cp.session() as git:
            await snapshot(git)
            (workspace / "A.txt").write_text("A")
            print(await git.git("ls-tree", "-z", "--name-only", (await snapshot(git)).tree), end="")

    asyncio.run(main())
    """
)


def test_the_users_global_config_does_not_reach_the_index_in_this_process(
    workspace: Path, data_dir: Path, tmp_path: Path
) -> None:
    """libgit2 reads ~/.gitconfig and /etc/gitconfig unless told otherwise: a user's `core.ignorecase = true`
    would make A.txt and a.txt one file (a process of its own, so that libgit2 starts with this HOME)."""
    (tmp_path / ".gitconfig").write_text("[core]\n\tignorecase = true\n")
    (workspace / "a.txt").write_text("a")
    run = subprocess.run(
        [sys.executable, "-c", GLOBAL_CONFIG, str(workspace), str(data_dir / "checkpoints")],
        env=os.environ | {"HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout == "A.txt\0a.txt\0"  # one of them only, had the user's config been read


async def test_two_sessions_on_one_workspace_take_turns(workspace: Path, data_dir: Path) -> None:
    first, second = _checkpoints(workspace, data_dir), _checkpoints(workspace, data_dir)
    order: list[str] = []
    entered = asyncio.Event()

    async def hold() -> None:
        async with first.session():
            entered.set()
            order.append("first in")
            await asyncio.sleep(0.2)  # a wait for something that must not happen: the other session entering
            order.append("first out")

    async def wait() -> None:
        await entered.wait()
        async with second.session():
            order.append("second in")

    await asyncio.gather(hold(), wait())
    assert order == ["first in", "first out", "second in"]


KILLED = textwrap.dedent(
    """
    import asyncio, sys
    from pathlib import Path
    from autogpt_ls.checkpoint_snapshot import snapshot
    from autogpt_ls.checkpoints import Checkpoints

    async def main() -> None:
        cp = Checkpoints(Path(sys.argv[1]), Path(sys.argv[2]), 10**6)
        n = 0
        while True:
            async with cp.session() as git:
                (Path(sys.argv[1]) / f"f{n % 50}.txt").write_text(str(n))
                await snapshot(git)
            n += 1
            print(n, flush=True)

    asyncio.run(main())
    """
)


async def test_kill_9_during_a_checkpoint_leaves_both_usable(workspace: Path, data_dir: Path) -> None:
    for i in range(3000):
        (workspace / f"file{i}.txt").write_text(f"content {i}\n")
    proc = subprocess.Popen(
        [sys.executable, "-c", KILLED, str(workspace), str(data_dir / "checkpoints")],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    assert proc.stdout is not None
    for _ in range(3):  # a few checkpoints made, the next one under way
        assert proc.stdout.readline()
    os.killpg(proc.pid, signal.SIGKILL)  # the Python process and whichever git it was running
    proc.wait()
    (workspace / "after.txt").write_text("after the kill")
    cp = _checkpoints(workspace, data_dir, 10**6)
    (cp.git_dir / "index.lock").touch()  # what a git killed while writing the index leaves, if this kill did not
    async with cp.session() as git:
        snap = await snapshot(git)
        names = (await git.git("ls-tree", "--name-only", snap.tree)).split()
        await git.git("fsck", "--no-progress")
    assert "after.txt" in names and "file2999.txt" in names
    assert (workspace / "file0.txt").read_text() == "content 0\n"


async def test_a_setup_killed_after_git_init_is_done_again(workspace: Path, data_dir: Path) -> None:
    """The state a kill right after `git init` leaves (HEAD, no config, no excludes): the next session completes it
    instead of failing every later step (found by tests/http/test_ap_chaos.py)."""
    cp = _checkpoints(workspace, data_dir)
    subprocess.run(["git", "init", "-q", "--bare", str(cp.git_dir)], check=True)
    (workspace / "a.txt").write_text("a")
    async with cp.session() as git:
        snap = await snapshot(git)
        assert await git.git("ls-tree", "-r", "--name-only", snap.tree) == "a.txt\n"
    assert (cp.git_dir / "info" / "skipped").exists()
    config = ["git", "config", "--file", str(cp.git_dir / "config"), "--get"]
    # our config, though `git init` keeps a config it finds (the killed setup's, without it)
    assert subprocess.run([*config, "core.hooksPath"], capture_output=True, text=True).stdout == "/dev/null\n"
    assert subprocess.run([*config, "index.version"], capture_output=True, text=True).stdout == "4\n"
