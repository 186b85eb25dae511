"""Git tools on the workspace's own repository, approved like every tool; git runs as `userrepo.UserRepo` says
(hooks off, the user's config left alone, nothing above the workspace). Paths go through the workspace, so none
leads outside it or into a `.git` folder. What an undo cannot put back (HEAD, branches, commits) is said on the
step's result (`undo_note`)."""

from __future__ import annotations

import shlex
from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Annotated, Any

from pydantic import Field

from autogpt_ls.changes import CommandPreview
from autogpt_ls.gitcli import GitFailed
from autogpt_ls.models import Result
from autogpt_ls.tools.base import ToolContext, ToolRefused, tool
from autogpt_ls.userrepo import UserRepo

MAX_OUTPUT_CHARS = 60_000
WHERE = "on this machine, in the workspace's git repository (hooks off)"
Paths = Annotated[
    list[str], Field(description="Files or folders relative to the workspace; none: every change in the workspace")
]


def repo(ctx: ToolContext) -> UserRepo:
    return UserRepo(ctx.executor.workspace.root)


def confined(ctx: ToolContext, paths: list[str]) -> list[str]:
    """Each path relative to the workspace root, or a refusal: outside the workspace, or into a `.git` folder."""
    workspace = ctx.executor.workspace
    return [workspace.relative(workspace.resolve(p)) for p in paths]


def no_option(value: str, what: str) -> None:
    """A name that git would read as an option is refused, not passed on."""
    if not value.strip() or value.startswith("-"):
        raise ToolRefused(f"{what} {value!r} is not valid: it must be non-empty and not start with '-'.")


def _check_repo(ctx: ToolContext, args: Any = None) -> None:
    if not repo(ctx).exists():
        raise ToolRefused(
            "The workspace is not a git repository (it has no .git folder); "
            "clone_repository can clone one into a folder of the workspace."
        )


def capped(text: str, empty: str) -> str:
    if not text.strip():
        return empty
    if len(text) > MAX_OUTPUT_CHARS:
        return text[:MAX_OUTPUT_CHARS] + f"\n[... truncated: {len(text)} characters in all ...]"
    return text


def shown(*argv: str) -> CommandPreview:
    """The preview of a git tool: the git command it stands for, in full."""
    return CommandPreview(command=shlex.join(["git", *argv]), where=WHERE)


GitRunner = Callable[..., Awaitable[Result]]


def git_errors(func: GitRunner) -> GitRunner:
    """git's refusal (no commits yet, a conflict, an unknown ref) is an observation for the LLM."""

    @wraps(func)
    async def run(ctx: ToolContext, **kwargs: Any) -> Result:
        try:
            return await func(ctx, **kwargs)
        except GitFailed as e:
            return Result.error(str(e))

    return run


def _check_paths(ctx: ToolContext, args: Any) -> None:
    _check_repo(ctx)
    confined(ctx, getattr(args, "paths", None) or ([args.path] if getattr(args, "path", "") else []))


@tool("git_status", "git", "read", check=_check_repo)
@git_errors
async def git_status(ctx: ToolContext) -> Result:
    """Show the workspace repository's current branch and its changed, staged and untracked files."""
    out = await repo(ctx).git("status", "--short", "--branch", "--untracked-files=normal")
    return Result(ok=True, output=capped(out, "(nothing to show)"))


@tool("git_diff", "git", "read", check=_check_paths)
@git_errors
async def git_diff(
    ctx: ToolContext,
    path: Annotated[str, Field(description="Only this file or folder (relative to the workspace); '' for all")] = "",
    staged: Annotated[bool, Field(description="Show the staged changes instead of the unstaged ones")] = False,
) -> Result:
    """Show the repository's changes as a unified diff: unstaged ones, or staged ones with staged=true."""
    where = ["--", *confined(ctx, [path])] if path else []
    out = await repo(ctx).git("diff", "--no-color", "--no-ext-diff", "--no-textconv", *(["--cached"] * staged), *where)
    return Result(ok=True, output=capped(out, "(no differences)"))


@tool("git_log", "git", "read", check=_check_repo)
@git_errors
async def git_log(
    ctx: ToolContext, n: Annotated[int, Field(description="How many commits to show", ge=1, le=200)] = 10
) -> Result:
    """Show the last n commits of the current branch: hash, date, author, subject."""
    fmt = "--format=%h %ad %an%d: %s"
    out = await repo(ctx).git("log", "--no-color", f"-n{n}", "--date=short", fmt)
    return Result(ok=True, output=capped(out, "(no commits)"))


def _check_commit(ctx: ToolContext, args: Any) -> None:
    _check_paths(ctx, args)
    if not args.message.strip():
        raise ToolRefused("The commit message must not be empty.")


def _commit_preview(ctx: ToolContext, args: Any) -> CommandPreview:
    paths = confined(ctx, args.paths)
    add = shlex.join(["git", "add", "-A", "--", *paths])
    commit = shlex.join(["git", "commit", "-m", args.message, *(["--", *paths] if paths else [])])
    return CommandPreview(command=f"{add} && {commit}", where=WHERE)


@tool("git_commit", "git", "command", check=_check_commit, preview=_commit_preview)
@git_errors
async def git_commit(
    ctx: ToolContext,
    message: Annotated[str, Field(description="The commit message")],
    paths: Paths = [],  # noqa: B006
) -> Result:
    """Commit the changes to these paths (staging them first), or every change in the workspace when no path is
    given, on the current branch. Other staged changes stay staged when paths are given."""
    git, paths = repo(ctx), confined(ctx, paths)
    await git.git("add", "-A", "--", *paths)
    await git.git("commit", "-q", "-m", message, *(["--", *paths] if paths else []), env=await git.identity())
    fmt = "--format=Committed %h on %D: %s"
    summary = await git.git("show", "--no-color", "--no-ext-diff", "--no-textconv", "--stat", fmt, "HEAD")
    sha = (await git.git("rev-parse", "--short", "HEAD")).strip()
    return Result(ok=True, output=summary, undo_note=f"the commit {sha} stays in the repository's history")


def _check_name(ctx: ToolContext, args: Any) -> None:
    _check_repo(ctx)
    no_option(args.name, "The branch name")


@tool("git_branch", "git", "command", check=_check_name, preview=lambda ctx, a: shown("branch", a.name))
@git_errors
async def git_branch(ctx: ToolContext, name: Annotated[str, Field(description="The new branch's name")]) -> Result:
    """Create a branch at the current commit (it does not switch to it: git_checkout does)."""
    git = repo(ctx)
    await git.git("check-ref-format", "--branch", name)
    await git.git("branch", name)
    current = await git.head()
    return Result(
        ok=True,
        output=f"Created branch {name} at {current}'s commit; still on {current}.",
        undo_note=f"the branch {name} stays",
    )


def _check_ref(ctx: ToolContext, args: Any) -> None:
    _check_repo(ctx)
    no_option(args.ref, "The ref")


@tool("git_checkout", "git", "command", check=_check_ref, preview=lambda ctx, a: shown("checkout", a.ref))
@git_errors
async def git_checkout(
    ctx: ToolContext, ref: Annotated[str, Field(description="A branch, tag or commit to switch to")]
) -> Result:
    """Switch the workspace to a branch, tag or commit; refused by git when it would overwrite local changes."""
    git = repo(ctx)
    before = await git.head()
    await git.git("checkout", "-q", ref, "--")
    after = await git.head()
    note = (
        f"HEAD stays on {after}: an undo puts back the files as they were before the checkout, not HEAD "
        f"(it was on {before}; git_checkout {before} switches back)"
    )
    return Result(ok=True, output=f"Switched from {before} to {after}.", undo_note=note)


TOOLS = [git_status, git_diff, git_log, git_commit, git_branch, git_checkout]
