"""Git through the real CLI on real repositories: GIT_AUTO_COMMIT's task branch (one commit per step and per
undo, the user's HEAD, index and branch untouched, no hook run), and an undo after git_checkout that says what it
cannot restore."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from test_undo import FINISH, _git, shell, write

from fakes.openai_server import FakeOpenAI, tool_call


@pytest.fixture
def repo(workspace: Path, tmp_path: Path) -> Path:
    _git(workspace, "init", "-q", "-b", "main")
    _git(workspace, "config", "user.name", "Repo Owner")
    _git(workspace, "config", "user.email", "owner@example.invalid")
    for name, text in {"a.txt": "main\n", "gone.txt": "to delete\n", "staged.txt": "s1\n"}.items():
        (workspace / name).write_text(text)
    _git(workspace, "add", ".")
    _git(workspace, "commit", "-q", "-m", "first")
    hook = f'#!/bin/sh\necho "$0" >> {tmp_path / "hook-ran"}\n'
    for name in ("reference-transaction", "post-checkout", "pre-commit", "post-commit"):
        (workspace / ".git" / "hooks" / name).write_text(hook)
        (workspace / ".git" / "hooks" / name).chmod(0o755)
    return workspace


def test_auto_commit_builds_a_task_branch_and_leaves_the_users_git_alone(
    dialogue: Callable[..., Any], fake: FakeOpenAI, repo: Path, tmp_path: Path
) -> None:
    (repo / "staged.txt").write_text("s2, the user's staged work\n")
    _git(repo, "add", "staged.txt")
    head, index = _git(repo, "rev-parse", "HEAD"), hashlib.sha256((repo / ".git" / "index").read_bytes()).digest()
    fake.script(write("new.txt", "agent\n"), shell("echo two > b.txt && rm gone.txt"), FINISH, FINISH)
    run = dialogue(GIT_AUTO_COMMIT="True")
    run.prompt()
    assert "Committed " in run.answer("y") and "on the task branch" in run.out
    run.answer("y")
    run.answer("undo")  # step 2 undone: b.txt gone again, gone.txt back; the undo is committed too
    assert run.finish() == 0
    branch = _git(repo, "for-each-ref", "--format=%(refname:short)", "refs/heads/autogpt/").strip()
    assert branch.startswith("autogpt/")
    log = _git(repo, "log", "--format=%s|%an", f"main..{branch}").splitlines()
    assert log == [
        "autogpt: undo of step 2|Repo Owner",
        "autogpt: step 2: execute_shell|Repo Owner",
        "autogpt: step 1: write_file|Repo Owner",
    ]
    assert _git(repo, "ls-tree", "--name-only", f"{branch}~1").split() == ["a.txt", "b.txt", "new.txt", "staged.txt"]
    assert _git(repo, "ls-tree", "--name-only", branch).split() == ["a.txt", "gone.txt", "new.txt", "staged.txt"]
    assert _git(repo, "show", f"{branch}:staged.txt") == "s1\n"  # the user's staged work is theirs, not the branch's
    assert _git(repo, "rev-parse", "HEAD") == head and _git(repo, "branch", "--show-current") == "main\n"
    assert hashlib.sha256((repo / ".git" / "index").read_bytes()).digest() == index
    assert _git(repo, "status", "--porcelain") == "M  staged.txt\n?? new.txt\n"  # staged as it was; the agent's file
    assert not (tmp_path / "hook-ran").exists()


def test_undo_after_git_checkout_says_what_it_cannot_restore(
    dialogue: Callable[..., Any], fake: FakeOpenAI, repo: Path, tmp_path: Path
) -> None:
    _git(repo, "checkout", "-q", "-b", "feature")
    (repo / "a.txt").write_text("feature\n")
    _git(repo, "commit", "-q", "-am", "on feature")
    _git(repo, "checkout", "-q", "main")
    (tmp_path / "hook-ran").unlink()  # the setup's own git ran the hooks; autogpt-ls must not
    fake.script(tool_call("git_checkout", {"ref": "feature"}), FINISH, FINISH)
    run = dialogue()
    shown = run.prompt()
    assert "git checkout feature" in shown
    shown = run.answer("y")
    assert "Switched from main to feature." in shown and "Files changed: a.txt" in shown
    shown = run.answer("undo")
    assert "Not undone: HEAD stays on feature" in shown and "git_checkout main switches back" in shown
    assert (repo / "a.txt").read_text() == "main\n"  # the files are back as before the checkout
    assert _git(repo, "branch", "--show-current") == "feature\n"  # HEAD is not, as said
    assert run.finish() == 0
    assert "Not undone: HEAD stays on feature" in str(fake.requests[-1]["messages"])
    assert not (tmp_path / "hook-ran").exists()
