"""File tools with AutoGPT's names and parameters; every path goes through the executor's workspace."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, Field

from autogpt_ls.changes import ChangeSet, FileChange
from autogpt_ls.models import Result
from autogpt_ls.tools.base import ToolContext, ToolRefused, tool

Filename = Annotated[str, Field(description="Path of the file, relative to the workspace")]
MAX_READ_CHARS = 60_000


def _current(ctx: ToolContext, filename: str, *, on_disk: bool = False) -> str | None:
    """The file's text as the user sees it (an open editor buffer first), or on disk when executing."""
    workspace = ctx.executor.workspace
    try:
        text: str | None = workspace.read_text(filename)
    except IsADirectoryError:
        raise ToolRefused(f"{filename!r} is a folder, not a file.") from None
    except (FileNotFoundError, NotADirectoryError):
        text = None
    buffer = None if on_disk else ctx.buffers(workspace.resolve(filename))
    return text if buffer is None else buffer


def _change(ctx: ToolContext, filename: str, after: str) -> ChangeSet:
    path = ctx.executor.workspace.resolve(filename)
    change = FileChange(
        path=ctx.executor.workspace.relative(path), absolute_path=str(path), before=_current(ctx, filename), after=after
    )
    return ChangeSet(files=[change])


def _replaced(ctx: ToolContext, filename: str, old: str, new: str, *, on_disk: bool = False) -> str:
    """The file's contents after the replacement, or a refusal the LLM can act on."""
    before = _current(ctx, filename, on_disk=on_disk)
    if before is None:
        raise ToolRefused(f"File {filename!r} does not exist.")
    if not old:
        raise ToolRefused("old_text must not be empty.")
    count = before.count(old)
    if count != 1:
        raise ToolRefused(
            f"old_text occurs {count} times in {filename!r}; it must occur exactly once. "
            "Include more surrounding lines to make it unique."
        )
    return before.replace(old, new)


class Edit(BaseModel):
    old_text: str = Field(description="Exact text to replace; must occur exactly once when this edit applies")
    new_text: str = Field(description="Text to put in its place")


def _edited(ctx: ToolContext, filename: str, edits: list[Edit], *, on_disk: bool = False) -> str:
    """The file after every edit, applied in order; the first edit that does not apply names itself."""
    text = _current(ctx, filename, on_disk=on_disk)
    if text is None:
        raise ToolRefused(f"File {filename!r} does not exist.")
    if not edits:
        raise ToolRefused("edits must name at least one {old_text, new_text} pair.")
    for n, edit in enumerate(edits, 1):
        count = text.count(edit.old_text) if edit.old_text else 0
        if count != 1:
            found = "is empty" if not edit.old_text else f"occurs {count} times"
            raise ToolRefused(
                f"Edit {n} of {len(edits)}: its old_text {found} in {filename!r} (after the edits before it); it "
                "must occur exactly once. Nothing was written. Quote the file exactly, with enough lines to be unique."
            )
        text = text.replace(edit.old_text, edit.new_text)
    return text


def _check_readable(ctx: ToolContext, args: Any) -> None:
    if _current(ctx, args.filename) is None:
        raise ToolRefused(f"File {args.filename!r} does not exist.")


@tool("read_file", "file_operations", "read", check=_check_readable)
async def read_file(ctx: ToolContext, filename: Filename) -> Result:
    """Read a text file from the workspace."""
    text = ctx.executor.read_file(filename)
    if len(text) > MAX_READ_CHARS:
        text = text[:MAX_READ_CHARS] + f"\n[... truncated: the file has {len(text)} characters ...]"
    return Result(ok=True, output=text)


@tool(
    "write_file",
    "file_operations",
    "write",
    check=lambda ctx, a: _current(ctx, a.filename),
    preview=lambda ctx, a: _change(ctx, a.filename, a.contents),
)
async def write_file(
    ctx: ToolContext,
    filename: Filename,
    contents: Annotated[str, Field(description="The complete new contents of the file")],
) -> Result:
    """Create a file or overwrite it with new contents."""
    written = ctx.executor.workspace.relative(ctx.executor.write_file(filename, contents))
    return Result(ok=True, output=f"Wrote {len(contents)} characters to {written}.", files=[written])


@tool(
    "replace_in_file",
    "file_operations",
    "write",
    check=lambda ctx, a: _replaced(ctx, a.filename, a.old_text, a.new_text),
    preview=lambda ctx, a: _change(ctx, a.filename, _replaced(ctx, a.filename, a.old_text, a.new_text)),
)
async def replace_in_file(
    ctx: ToolContext,
    filename: Filename,
    old_text: Annotated[str, Field(description="Exact text to replace; must occur exactly once")],
    new_text: Annotated[str, Field(description="Text to put in its place")],
) -> Result:
    """Replace one exact occurrence of old_text in a file with new_text."""
    path = ctx.executor.write_file(filename, _replaced(ctx, filename, old_text, new_text, on_disk=True))
    return Result(ok=True, output=f"Replaced the text in {filename}.", files=[ctx.executor.workspace.relative(path)])


@tool(
    "edit_file",
    "file_operations",
    "write",
    check=lambda ctx, a: _edited(ctx, a.filename, a.edits),
    preview=lambda ctx, a: _change(ctx, a.filename, _edited(ctx, a.filename, a.edits)),
)
async def edit_file(
    ctx: ToolContext,
    filename: Filename,
    edits: Annotated[list[Edit], Field(description="Replacements applied in order, all or none")],
) -> Result:
    """Make several exact replacements in one file at once, shown as one diff; if any old_text does not occur
    exactly once, nothing is written."""
    path = ctx.executor.write_file(filename, _edited(ctx, filename, edits, on_disk=True))
    return Result(
        ok=True, output=f"Made {len(edits)} edits in {filename}.", files=[ctx.executor.workspace.relative(path)]
    )


def check_folder(ctx: ToolContext, path: str) -> None:
    """A refusal the LLM can act on for a folder argument that is not one (the search tools' too)."""
    try:
        ctx.executor.workspace.listdir(path or ".")
    except (FileNotFoundError, NotADirectoryError):
        raise ToolRefused(f"{path!r} is not a folder of the workspace.") from None


@tool("list_folder", "file_operations", "read", check=lambda ctx, a: check_folder(ctx, a.folder))
async def list_folder(
    ctx: ToolContext,
    folder: Annotated[str, Field(description="Folder relative to the workspace; '.' for its root")] = ".",
) -> Result:
    """List the files and folders in a folder of the workspace (folders end with '/')."""
    entries = ctx.executor.list_folder(folder)
    return Result(ok=True, output="\n".join(entries) if entries else "(empty folder)")


TOOLS = [read_file, write_file, replace_in_file, edit_file, list_folder]
