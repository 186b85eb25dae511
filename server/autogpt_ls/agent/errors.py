"""The core's domain errors. Messages are written for the client; each front end maps the types in one table
(JSON-RPC codes in lsp/, HTTP statuses in http/, exit codes in the CLI)."""

from __future__ import annotations


class CoreError(Exception):
    """A request the core refuses; nothing was changed."""


class NotFound(CoreError):
    """No such task, step or artifact (or the artifact's file is gone)."""


class InvalidInput(CoreError):
    """Well-formed input the core cannot use (an empty goal, feedback without text, an upload too large)."""


class Forbidden(CoreError):
    """A path outside the task's workspace."""


class TaskBusy(CoreError):
    """Another process, or another driver in this one, is driving the task, or the step was already decided."""


class NotWaiting(CoreError):
    """The task or step is not waiting for a decision right now (the message says what is)."""


class Conflict(CoreError):
    """An undo or redo would overwrite files changed since by someone else; nothing was restored."""


class TaskOver(CoreError):
    """The task has ended; it takes no more steps."""


class LLMUnavailable(CoreError):
    """The LLM could not be reached after retries; the task is unchanged and the step can be tried again."""
