"""clone_repository: into a new folder of the workspace, from a repository inside the workspace (a path or a
`file://` URL) or, only when the task has network access, from an https, ssh or git URL. Transport helpers
(`ext::`, `fd::`) and other schemes are refused: they would run programs or reach what the user did not allow."""

from __future__ import annotations

import re
import shlex
from typing import Annotated, Any
from urllib.parse import unquote, urlsplit

from pydantic import Field

from autogpt_ls.changes import CommandPreview
from autogpt_ls.gitcli import clean_env, run_git
from autogpt_ls.models import Result
from autogpt_ls.tools.base import ToolContext, ToolRefused, tool
from autogpt_ls.tools.git import WHERE, confined, git_errors, no_option
from autogpt_ls.userrepo import NETWORK_PROTOCOLS, UserRepo, safe_options

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
_SCP_LIKE = re.compile(r"^[^/]*:")  # host:path or user@host:path, which git reads as ssh


def source(ctx: ToolContext, url: str) -> tuple[str, bool]:
    """What git clones from, and whether that needs the network; or a refusal."""
    no_option(url, "The URL")
    scheme = _SCHEME.match(url)
    name = scheme.group(1).lower() if scheme else ""
    if "::" in url.split("/", 1)[0]:
        raise ToolRefused(f"{url!r} names a git transport helper, which clone_repository does not run.")
    if name == "file":
        parts = urlsplit(url)
        if parts.netloc not in ("", "localhost"):
            raise ToolRefused(f"{url!r} names another host; a file:// URL must name a folder of the workspace.")
        return _local(ctx, unquote(parts.path)), False
    if name in NETWORK_PROTOCOLS or (not scheme and _SCP_LIKE.match(url)):
        if not ctx.network:
            raise ToolRefused(
                f"{url!r} needs the network, which this task does not have: clone_repository can only clone a "
                "repository from a folder of the workspace (a path or a file:// URL)."
            )
        return url, True
    if scheme:
        raise ToolRefused(f"clone_repository does not clone {name}:// URLs; use https, ssh, git or file://.")
    return _local(ctx, url), False


def _local(ctx: ToolContext, path: str) -> str:
    """A local source only from inside the workspace (its `.git` folders excepted)."""
    relative = confined(ctx, [path])[0]
    folder = ctx.executor.workspace.root / relative
    if not folder.is_dir():
        raise ToolRefused(f"{path!r} is not a folder of the workspace.")
    return str(folder)


def destination(ctx: ToolContext, clone_path: str) -> str:
    """The clone's folder relative to the workspace: new, or an empty folder."""
    relative = confined(ctx, [clone_path])[0]
    folder = ctx.executor.workspace.root / relative
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise ToolRefused(f"{clone_path!r} already exists and is not an empty folder.")
    return relative


def _check(ctx: ToolContext, args: Any) -> None:
    source(ctx, args.url)
    destination(ctx, args.clone_path)


@tool(
    "clone_repository",
    "git",
    "command",
    check=_check,
    preview=lambda ctx, a: CommandPreview(command=shlex.join(["git", "clone", "--", a.url, a.clone_path]), where=WHERE),
)
@git_errors
async def clone_repository(
    ctx: ToolContext,
    url: Annotated[str, Field(description="The repository: a folder of the workspace, file://, https:// or ssh")],
    clone_path: Annotated[str, Field(description="A new folder of the workspace to clone into")],
) -> Result:
    """Clone a git repository into a new folder of the workspace."""
    src, network = source(ctx, url)
    relative = destination(ctx, clone_path)
    root = ctx.executor.workspace.root
    args = [*safe_options(network), "clone", "-q", "--template=", "--", src, str(root / relative)]
    await run_git(args, env=clean_env(), cwd=root, timeout=ctx.shell.timeout_seconds)
    branch = await UserRepo(root / relative).head()
    return Result(
        ok=True,
        output=f"Cloned {url} into {relative} (on {branch or 'no commit yet'}).",
        undo_note=f"the clone in {relative} is a repository of its own, which an undo leaves in place",
    )


TOOLS = [clone_repository]
