"""The git tools against real repositories: what they show and commit, the user's staged work and identity,
hooks and config programs that must not run, clones from inside the workspace only, and refused paths (outside
the workspace, into .git)."""

from __future__ import annotations

import functools
import http.server
import os
import subprocess
import threading
from pathlib import Path

import pytest

from autogpt_ls.executors.local import LocalExecutor
from autogpt_ls.models import Result
from autogpt_ls.tools.base import Tool, ToolContext, ToolRefused
from autogpt_ls.tools.clone import clone_repository
from autogpt_ls.tools.git import git_branch, git_checkout, git_commit, git_diff, git_log, git_status
from autogpt_ls.workspace import PathOutsideWorkspace, Workspace


def sh(cwd: Path, *args: str) -> str:
    """The test's own git, as a user would run it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    done = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True)
    return done.stdout


def make_repo(folder: Path, identity: bool = True) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    sh(folder, "init", "-q", "-b", "main")
    if identity:
        sh(folder, "config", "user.name", "Repo Owner")
        sh(folder, "config", "user.email", "owner@example.com")
    (folder / "a.txt").write_text("one\n")
    sh(folder, "add", "a.txt")
    sh(folder, "-c", "user.name=Setup", "-c", "user.email=setup@example.com", "commit", "-q", "-m", "first")
    return folder


@pytest.fixture(autouse=True)
def no_global_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A home without a ~/.gitconfig: only what each test sets up counts."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.delenv("GIT_CONFIG_GLOBAL", raising=False)


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "ws")


def ctx(root: Path, network: bool = False) -> ToolContext:
    return ToolContext(executor=LocalExecutor(Workspace(root), allow_commands=False), network=network)


async def use(tool: Tool, root: Path, network: bool = False, **arguments: object) -> Result:
    """Validate, check (as before the human is asked), then run, as the agent loop does."""
    context = ctx(root, network)
    args = tool.validate(arguments)
    tool.check(context, args)
    return await tool.run(context, args)


async def test_status_diff_and_log_show_the_repository(ws: Path) -> None:
    (ws / "a.txt").write_text("one\ntwo\n")
    (ws / "b.txt").write_text("staged\n")
    sh(ws, "add", "b.txt")
    (ws / "new.txt").write_text("untracked\n")
    status = await use(git_status, ws)
    assert status.ok and status.output.splitlines() == ["## main", " M a.txt", "A  b.txt", "?? new.txt"]
    unstaged = await use(git_diff, ws)
    assert "+two" in unstaged.output and "b.txt" not in unstaged.output
    staged = await use(git_diff, ws, staged=True)
    assert "+staged" in staged.output and "a.txt" not in staged.output
    assert (await use(git_diff, ws, path="b.txt")).output == "(no differences)"
    log = await use(git_log, ws, n=5)
    assert log.output.count("\n") == 1 and log.output.endswith("Setup (HEAD -> main): first\n")


async def test_commit_of_paths_leaves_the_users_staged_work_staged(ws: Path) -> None:
    (ws / "user.txt").write_text("the user's work\n")
    sh(ws, "add", "user.txt")
    (ws / "agent.txt").write_text("the agent's file\n")
    result = await use(git_commit, ws, message="Add agent.txt", paths=["agent.txt"])
    assert result.ok, result.output
    assert "Committed" in result.output and "Add agent.txt" in result.output
    assert sh(ws, "show", "--name-only", "--format=%an <%ae>|%s", "HEAD").split() == [
        "Repo",
        "Owner",
        "<owner@example.com>|Add",
        "agent.txt",
        "agent.txt",
    ]
    assert sh(ws, "diff", "--cached", "--name-only") == "user.txt\n"
    assert "stays in the repository's history" in result.undo_note


async def test_commit_of_everything_and_the_fallback_author(tmp_path: Path) -> None:
    ws = make_repo(tmp_path / "plain", identity=False)
    (ws / "a.txt").write_text("changed\n")
    (ws / "c.txt").write_text("new\n")
    assert (await use(git_commit, ws, message="All of it")).ok
    assert sh(ws, "log", "-1", "--format=%an <%ae> %cn").strip() == "autogpt-ls <autogpt-ls@localhost> autogpt-ls"
    assert sh(ws, "status", "--porcelain") == ""
    nothing = await use(git_commit, ws, message="Again")
    assert not nothing.ok and "nothing to commit" in nothing.output


async def test_the_users_global_identity_when_the_repository_has_none(tmp_path: Path) -> None:
    ws = make_repo(tmp_path / "plain", identity=False)
    (Path(os.environ["HOME"]) / ".gitconfig").write_text("[user]\n\tname = Global User\n\temail = g@example.com\n")
    (ws / "a.txt").write_text("changed\n")
    assert (await use(git_commit, ws, message="mine", paths=["a.txt"])).ok
    assert sh(ws, "log", "-1", "--format=%an <%ae>").strip() == "Global User <g@example.com>"


async def test_branch_and_checkout_and_what_undo_cannot_restore(ws: Path) -> None:
    created = await use(git_branch, ws, name="feature")
    assert created.ok and "still on main" in created.output
    assert sh(ws, "branch", "--show-current").strip() == "main"
    switched = await use(git_checkout, ws, ref="feature")
    assert switched.output == "Switched from main to feature."
    assert sh(ws, "branch", "--show-current").strip() == "feature"
    assert "HEAD stays on feature" in switched.undo_note and "git_checkout main" in switched.undo_note
    bad = await use(git_branch, ws, name="no..dots")
    assert not bad.ok and "check-ref-format" in bad.output
    for tool, field in ((git_branch, "name"), (git_checkout, "ref")):
        with pytest.raises(ToolRefused, match="must be non-empty and not start with '-'"):
            await use(tool, ws, **{field: "--orphan=x"})


async def test_paths_outside_the_workspace_or_into_git_are_refused(ws: Path, tmp_path: Path) -> None:
    (tmp_path / "outside.txt").write_text("outside\n")
    before = sh(ws, "rev-parse", "HEAD")
    for arguments in (
        {"message": "x", "paths": [".git/config"]},
        {"message": "x", "paths": ["sub/.git/hooks/pre-commit"]},
        {"message": "x", "paths": ["../outside.txt"]},
        {"message": "x", "paths": [str(tmp_path / "outside.txt")]},
    ):
        with pytest.raises(PathOutsideWorkspace):
            await use(git_commit, ws, **arguments)
    with pytest.raises(PathOutsideWorkspace, match="climbs out"):
        await use(git_diff, ws, path="../outside.txt")
    with pytest.raises(PathOutsideWorkspace, match=r"\.git folder"):
        await use(clone_repository, ws, url=".", clone_path=".git/hooks")
    assert sh(ws, "rev-parse", "HEAD") == before


async def test_hooks_and_programs_named_in_config_never_run(ws: Path, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    script = f'#!/bin/sh\necho "$0" >> {marker}\n'
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    for folder in (ws / ".git" / "hooks", hooks):
        for name in ("pre-commit", "commit-msg", "post-commit", "post-checkout", "reference-transaction"):
            (folder / name).write_text(script)
            (folder / name).chmod(0o755)
    (tmp_path / "monitor").write_text(script)
    (tmp_path / "monitor").chmod(0o755)
    (Path(os.environ["HOME"]) / ".gitconfig").write_text(f"[core]\n\thooksPath = {hooks}\n")
    sh(ws, "config", "core.fsmonitor", str(tmp_path / "monitor"))
    sh(ws, "config", "diff.external", str(tmp_path / "monitor"))
    sh(ws, "config", "commit.gpgSign", "true")
    sh(ws, "config", "gpg.program", str(tmp_path / "monitor"))
    (ws / "a.txt").write_text("changed\n")
    assert (await use(git_status, ws)).ok
    assert "+changed" in (await use(git_diff, ws)).output
    assert (await use(git_commit, ws, message="no hooks")).ok
    assert (await use(git_branch, ws, name="other")).ok
    assert (await use(git_checkout, ws, ref="other")).ok
    assert not marker.exists(), marker.read_text()


async def test_a_workspace_that_is_not_a_repository_is_refused_not_its_parent(tmp_path: Path) -> None:
    parent = make_repo(tmp_path / "parent")
    inner = parent / "inner"
    inner.mkdir()
    (inner / "x.txt").write_text("x\n")
    for tool, arguments in ((git_status, {}), (git_commit, {"message": "x"}), (git_log, {})):
        with pytest.raises(ToolRefused, match="not a git repository"):
            await use(tool, inner, **arguments)
    assert sh(parent, "status", "--porcelain") == "?? inner/\n"


async def test_clone_from_inside_the_workspace_only(ws: Path, tmp_path: Path) -> None:
    make_repo(ws / "vendor" / "lib")
    cloned = await use(clone_repository, ws, url="vendor/lib", clone_path="copy")
    assert cloned.ok, cloned.output
    assert (ws / "copy" / "a.txt").read_text() == "one\n" and cloned.output.endswith("(on main).")
    assert not list((ws / "copy" / ".git" / "hooks").glob("*"))  # no template hooks either
    assert "repository of its own" in cloned.undo_note
    by_url = await use(clone_repository, ws, url=f"file://{ws / 'vendor' / 'lib'}", clone_path="empty")
    assert by_url.ok and (ws / "empty" / "a.txt").exists()
    outside = make_repo(tmp_path / "outside")
    refusals = {
        str(outside): PathOutsideWorkspace,
        f"file://{outside}": PathOutsideWorkspace,
        "../outside": PathOutsideWorkspace,
        "vendor/lib/.git": PathOutsideWorkspace,
        "https://127.0.0.1:9/repo.git": ToolRefused,
        "git@127.0.0.1:repo.git": ToolRefused,
        "127.0.0.1:repo": ToolRefused,
        "ext::sh -c touch% /tmp/pwned": ToolRefused,
        "ftp://127.0.0.1/repo": ToolRefused,
        "file://example.com/repo": ToolRefused,
        "--upload-pack=touch /tmp/pwned": ToolRefused,
        "missing": ToolRefused,
    }
    for url, error in refusals.items():
        with pytest.raises(error):
            await use(clone_repository, ws, url=url, clone_path="again")
    with pytest.raises(ToolRefused, match="needs the network"):
        await use(clone_repository, ws, url="https://127.0.0.1:9/repo.git", clone_path="again")
    with pytest.raises(ToolRefused, match="not an empty folder"):
        await use(clone_repository, ws, url="vendor/lib", clone_path="copy")
    assert not (ws / "again").exists()


async def test_a_network_clone_runs_only_with_network_access(ws: Path, tmp_path: Path) -> None:
    """With the task's network on, an http URL is cloned (a loopback server of a repository's files, git's dumb
    HTTP protocol); a port nothing listens on is git's own error."""
    served = make_repo(tmp_path / "served" / "repo")
    sh(served, "update-server-info")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path / "served"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/repo/.git"
        with pytest.raises(ToolRefused, match="needs the network"):
            await use(clone_repository, ws, url=url, clone_path="net")
        cloned = await use(clone_repository, ws, network=True, url=url, clone_path="net")
        assert cloned.ok, cloned.output
        assert (ws / "net" / "a.txt").read_text() == "one\n"
    finally:
        server.shutdown()
        server.server_close()
    failed = await use(clone_repository, ws, network=True, url=url, clone_path="again")
    assert not failed.ok and "git clone failed" in failed.output
