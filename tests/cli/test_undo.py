"""Undo and redo through the real CLI, on real files and real git repositories: the user types at each prompt
(and edits files between steps) while the run goes on."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

from fakes.openai_server import FakeOpenAI, tool_call

FINISH = tool_call("finish", {"reason": "done"})


def write(name: str, text: str) -> object:
    return tool_call("write_file", {"filename": name, "contents": text})


def shell(line: str) -> object:
    return tool_call("execute_shell", {"command_line": line})


def files(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): p.read_text()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(folder).parts
    }


def test_undo_after_a_file_write_and_the_llm_is_told(dialogue, fake: FakeOpenAI, workspace: Path) -> None:
    (workspace / "keep.txt").write_text("mine\n")
    fake.script(write("a.txt", "1"), write("b.txt", "2"), FINISH)
    run = dialogue()
    run.prompt()
    shown = run.answer("y")
    assert "Files changed: a.txt" in shown
    assert files(workspace) == {"a.txt": "1", "keep.txt": "mine\n"}
    shown = run.answer("undo")  # at the proposal of b.txt: step 1 is undone, the proposal discarded
    assert files(workspace) == {"keep.txt": "mine\n"}
    assert "undid step 1" in shown
    assert run.finish() == 0
    told = str(fake.requests[2]["messages"])
    assert "then the user undid it" in told and "The user undid step 1" in told
    assert not (workspace / "b.txt").exists()


def test_undo_and_redo_a_command_that_creates_deletes_and_renames(dialogue, fake, workspace: Path) -> None:
    (workspace / "old.txt").write_text("old\n")
    (workspace / "gone.txt").write_text("gone\n")
    (workspace / "keep.txt").write_text("keep\n")
    fake.script(
        shell("mkdir -p d && echo new > d/new.txt && rm gone.txt && mv old.txt renamed.txt"), FINISH, FINISH, FINISH
    )
    before = files(workspace)
    run = dialogue()
    run.prompt()
    shown = run.answer("y")
    after = files(workspace)
    assert after == {"d/new.txt": "new\n", "keep.txt": "keep\n", "renamed.txt": "old\n"}
    assert "Files changed: d/new.txt, gone.txt, old.txt, renamed.txt" in shown
    run.answer("undo")
    assert files(workspace) == before
    assert not (workspace / "d").exists()  # the folder the command made goes with its file
    shown = run.answer("redo")
    assert "redid step 1" in shown
    assert files(workspace) == after
    assert run.finish() == 0


def test_undo_n_goes_back_before_step_n_over_several_steps(dialogue, fake, workspace: Path) -> None:
    fake.script(write("a.txt", "1"), write("b.txt", "2"), shell("echo 3 >> a.txt"), write("c.txt", "4"), FINISH)
    run = dialogue()
    run.prompt()
    run.answer("y")
    run.answer("y")
    run.answer("y")
    assert files(workspace) == {"a.txt": "13\n", "b.txt": "2"}
    run.answer("undo 2")  # at step 4's proposal: steps 2 and 3 go, step 1's a.txt comes back as it wrote it
    assert files(workspace) == {"a.txt": "1"}
    assert run.finish() == 0


def test_a_user_edit_between_two_steps_survives_an_undo_of_both(dialogue, fake, workspace: Path) -> None:
    (workspace / "notes.txt").write_text("v1\n")
    fake.script(write("a.txt", "1"), write("b.txt", "2"), FINISH, FINISH)
    run = dialogue()
    run.prompt()
    run.answer("y")
    (workspace / "notes.txt").write_text("v2, the user's\n")  # between step 1 and step 2
    (workspace / "mine.txt").write_text("new file of the user's\n")
    run.answer("y")
    run.answer("undo 1")
    assert files(workspace) == {"notes.txt": "v2, the user's\n", "mine.txt": "new file of the user's\n"}
    assert run.finish() == 0


def test_a_conflicting_file_is_kept_unless_forced(dialogue, fake, workspace: Path) -> None:
    fake.script(write("a.txt", "agent\n"), write("b.txt", "2"), FINISH)
    run = dialogue()
    run.prompt()
    run.answer("y")
    (workspace / "a.txt").write_text("the user's edit\n")
    shown = run.answer("undo")
    assert "Nothing was undone" in shown and "a.txt" in shown
    assert (workspace / "a.txt").read_text() == "the user's edit\n"
    shown = run.answer("undo!")
    assert not (workspace / "a.txt").exists()
    assert run.finish() == 0


def _git(repo: Path, *args: str) -> str:
    env = {"GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1", "PATH": "/usr/bin:/bin", "HOME": str(repo)}
    return subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True, text=True).stdout


def _hashes(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.rglob("*") if p.is_file()
    }


def test_the_users_git_repository_is_left_byte_identical(dialogue, fake, workspace: Path) -> None:
    _git(workspace, "init", "-q", "-b", "main")
    _git(workspace, "config", "user.email", "u@example.invalid")
    _git(workspace, "config", "user.name", "U")
    (workspace / "tracked.txt").write_text("v1\n")
    (workspace / "staged.txt").write_text("s1\n")
    _git(workspace, "add", ".")
    _git(workspace, "commit", "-q", "-m", "first")
    (workspace / "tracked.txt").write_text("stashed change\n")
    _git(workspace, "stash", "-q")
    (workspace / "staged.txt").write_text("s2, staged\n")
    _git(workspace, "add", "staged.txt")
    (workspace / ".git" / "hooks" / "pre-commit").write_text("#!/bin/sh\ntouch /tmp/never\n")
    status = _git(workspace, "status", "--porcelain=v2", "--branch")
    git_before = _hashes(workspace / ".git")
    fake.script(
        write("tracked.txt", "agent\n"), shell("echo x > new.txt && rm staged.txt"), FINISH, FINISH, FINISH, FINISH
    )
    run = dialogue()
    run.prompt()
    run.answer("y")
    run.answer("y")
    run.answer("undo 1")
    assert (workspace / "staged.txt").read_text() == "s2, staged\n"
    run.answer("redo")
    run.answer("undo 1")
    assert run.finish() == 0
    assert _hashes(workspace / ".git") == git_before
    assert _git(workspace, "status", "--porcelain=v2", "--branch") == status
    assert _git(workspace, "stash", "list").count("\n") == 1
