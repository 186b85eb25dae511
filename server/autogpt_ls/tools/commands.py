"""Shell and Python tools: they run only through the task's executor, after the shell policy allows them."""

from __future__ import annotations

import os
from typing import Annotated, Any

from pydantic import Field

from autogpt_ls.changes import CommandPreview
from autogpt_ls.executors.base import CommandResult
from autogpt_ls.executors.shell_state import shell_argv
from autogpt_ls.models import Result
from autogpt_ls.tools.base import ToolContext, ToolRefused, tool
from autogpt_ls.tools.shell_policy import check_shell_command


def _allowed(ctx: ToolContext) -> None:
    reason = ctx.executor.commands_allowed()
    if reason:
        raise ToolRefused(reason)


def _check_shell(ctx: ToolContext, args: Any) -> None:
    _allowed(ctx)
    policy = ctx.shell
    check_shell_command(args.command_line, policy.mode, policy.allowlist, policy.denylist)


def _check_python_file(ctx: ToolContext, args: Any) -> None:
    _allowed(ctx)
    path = ctx.executor.workspace.resolve(args.filename)
    if path.suffix != ".py":
        raise ToolRefused(f"{args.filename!r} is not a .py file.")
    if not path.is_file():
        raise ToolRefused(f"File {args.filename!r} does not exist.")


def _outcome(res: CommandResult, timeout: float) -> Result:
    if res.timed_out:
        return Result(ok=False, output=f"The command timed out after {timeout:g} s and was killed.\n{res.output}")
    return Result(ok=res.exit_code == 0, output=f"Exit code: {res.exit_code}\n{res.output}", exit_code=res.exit_code)


async def _run(ctx: ToolContext, argv: list[str]) -> Result:
    timeout = ctx.shell.timeout_seconds
    result = await ctx.executor.run(argv, timeout=timeout, on_output=ctx.on_output, on_progress=ctx.on_progress)
    return _outcome(result, timeout)


@tool(
    "execute_shell",
    "execute_code",
    "command",
    check=_check_shell,
    preview=lambda ctx, a: CommandPreview(command=a.command_line, where=ctx.executor.where()),
)
async def execute_shell(
    ctx: ToolContext, command_line: Annotated[str, Field(description="The shell command line to run")]
) -> Result:
    """Run a shell command line in the workspace folder and return its exit code and output."""
    return await _run(ctx, shell_argv(command_line))


@tool(
    "execute_python_code",
    "execute_code",
    "command",
    check=lambda ctx, a: _allowed(ctx),
    preview=lambda ctx, a: CommandPreview(language="python", command=a.code, where=ctx.executor.where()),
)
async def execute_python_code(
    ctx: ToolContext, code: Annotated[str, Field(description="Python source code to run")]
) -> Result:
    """Run Python code in the workspace folder and return what it printed."""
    return await _run(ctx, [ctx.executor.python, "-c", code])


@tool(
    "execute_python_file",
    "execute_code",
    "command",
    check=_check_python_file,
    preview=lambda ctx, a: CommandPreview(
        command=" ".join(["python", a.filename, *a.args]), where=ctx.executor.where()
    ),
)
async def execute_python_file(
    ctx: ToolContext,
    filename: Annotated[str, Field(description="The .py file to run, relative to the workspace")],
    args: Annotated[list[str], Field(description="Command-line arguments for the script")] = [],  # noqa: B006
) -> Result:
    """Run a Python file from the workspace with arguments and return what it printed."""
    workspace = ctx.executor.workspace
    # Relative to the workspace, where every executor runs commands: the same file on the host and in a container.
    path = os.path.join(".", workspace.relative(workspace.resolve(filename)))
    return await _run(ctx, [ctx.executor.python, path, *args])


TOOLS = [execute_shell, execute_python_code, execute_python_file]
