"""What a proposal would do, shown before it runs: a change set of files, or a command in full.

A change set is the one shape for every multi-file change (an edit, a staged command's effects, an undo, a remote
sandbox's copy-back); each front end renders it once: a unified diff per file in the terminal, one WorkspaceEdit
over LSP, artifacts over HTTP.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from autogpt_ls.models import Record

Change = Literal["created", "modified", "deleted"]


class FileChange(Record):
    """One file's text before and after (None: the file does not exist then); a binary file is named, not shown."""

    path: str  # relative to the workspace
    absolute_path: str
    before: str | None
    after: str | None
    binary: bool = False
    truncated: bool = False  # the preview shows only the start of a large file (a staged change applies it whole)

    @property
    def change(self) -> Change:
        if self.before is None:
            return "created"
        return "deleted" if self.after is None else "modified"


class ChangeSet(Record):
    kind: Literal["change_set"] = "change_set"
    files: list[FileChange]

    def paths(self) -> list[str]:
        return [f.path for f in self.files]


class CommandPreview(Record):
    """A proposed command in full, and where it would run."""

    kind: Literal["command"] = "command"
    language: Literal["shell", "python"] = "shell"
    command: str
    where: str


Preview = Annotated[ChangeSet | CommandPreview, Field(discriminator="kind")]
