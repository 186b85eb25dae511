"""The language server: hosts the agent runtime and renders its events as LSP notifications and previews."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import sys
import threading
from collections.abc import Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO
from urllib.parse import unquote

from lsprotocol import types
from pygls.io_ import StdoutWriter
from pygls.lsp.server import LanguageServer
from pygls.workspace import TextDocument

from autogpt_ls import __version__
from autogpt_ls.lsp import framing, previews
from autogpt_ls.lsp.rpc import RpcProtocol

if TYPE_CHECKING:
    from autogpt_ls.agent.runtime import Runtime
    from autogpt_ls.lsp.editor import DiagnosticsInbox
    from autogpt_ls.lsp.jobs import Jobs
    from autogpt_ls.lsp.mcp_servers import McpServers
    from autogpt_ls.lsp.payloads import Notification
    from autogpt_ls.lsp.render import PendingEdit
    from autogpt_ls.models import Decision, Step
    from autogpt_ls.settings import Settings

log = logging.getLogger(__name__)


class EditorLog(logging.Handler):
    """The activity log, shown in the editor's output (window/logMessage)."""

    LEVELS = {logging.ERROR: types.MessageType.Error, logging.WARNING: types.MessageType.Warning}

    def __init__(self, ls: LanguageServer) -> None:
        super().__init__()
        self._ls = ls

    def emit(self, record: logging.LogRecord) -> None:
        kind = self.LEVELS.get(record.levelno, types.MessageType.Log)
        self._ls.window_log_message(types.LogMessageParams(type=kind, message=record.getMessage()))


class AutogptLanguageServer(LanguageServer):
    """State lives here (the runtime, the tasks' jobs, what is on show); handlers in `handlers.py` stay thin."""

    protocol: RpcProtocol

    def __init__(self, debug: bool = False) -> None:
        super().__init__("autogpt-ls", __version__, protocol_cls=RpcProtocol)
        self._debug = debug
        self._settings: Settings | None = None
        self._runtime: Runtime | None = None
        self._jobs: Jobs | None = None
        self._diagnostics: DiagnosticsInbox | None = None
        self._mcp_servers: McpServers | None = None
        self.edits: dict[str, PendingEdit] = {}  # by step id
        self.initialization_options: Any = None
        self._tasks: set[asyncio.Task[None]] = set()
        # token -> (its task, its begin): end never overtakes begin, and a task's end closes all of its progress
        self._progress: dict[str, tuple[str, asyncio.Task[None]]] = {}

    # Both transports read through `framing.serve`, which refuses what pygls' own loop would leave unanswered.
    def start_io(self, stdin: BinaryIO | None = None, stdout: BinaryIO | None = None) -> None:
        self._stop_event = threading.Event()
        self.protocol.set_writer(StdoutWriter(stdout or sys.stdout.buffer))
        reader = framing.StdinReader(stdin or sys.stdin.buffer, self.thread_pool)
        try:
            asyncio.run(framing.serve(reader, self.protocol, self._stop_event))
        except BrokenPipeError:
            log.error("the connection to the client was lost")
        except (KeyboardInterrupt, SystemExit):
            pass
        finally:
            self.shutdown()  # type: ignore[no-untyped-call]

    def start_tcp(self, host: str, port: int) -> None:
        self._stop_event = stop = threading.Event()

        async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            self.protocol.set_writer(writer)
            await framing.serve(reader, self.protocol, stop)
            self.shutdown()  # type: ignore[no-untyped-call]

        async def listen() -> None:
            self._server = await asyncio.start_server(connection, host, port)
            async with self._server:
                await self._server.serve_forever()

        with contextlib.suppress(asyncio.CancelledError):
            asyncio.run(listen())

    # Settings, the store, the tools and the SDKs load on first use, after `initialize` is answered: an editor
    # waits on start-up, so it costs no more than pygls itself.
    @property
    def settings(self) -> Settings:
        if self._settings is None:
            from autogpt_ls.logs import configure_logging, redacted
            from autogpt_ls.settings import Settings

            self._settings = Settings.load()
            configure_logging(self._settings, debug=self._debug)
            forward = redacted(EditorLog(self), self._settings.secrets())
            forward.setLevel(logging.INFO)
            logging.getLogger("autogpt_ls").addHandler(forward)
        return self._settings

    @property
    def runtime(self) -> Runtime:
        if self._runtime is None:
            from autogpt_ls.agent.runtime import Runtime
            from autogpt_ls.lsp.render import Renderer

            self._runtime = Runtime(self.settings)
            self._runtime.wiring.buffers = self.buffer_text
            if self._option("diagnosticsFeedback"):
                self._runtime.wiring.diagnostics = self.diagnostics_inbox.wait
            self._runtime.subscribe(Renderer(self).on_event)
        return self._runtime

    @property
    def mcp_servers(self) -> McpServers:
        if self._mcp_servers is None:
            from autogpt_ls.lsp.mcp_servers import McpServers

            self._mcp_servers = McpServers(self)
        return self._mcp_servers

    @property
    def diagnostics_inbox(self) -> DiagnosticsInbox:
        if self._diagnostics is None:
            from autogpt_ls.lsp.editor import DiagnosticsInbox

            self._diagnostics = DiagnosticsInbox()
        return self._diagnostics

    @property
    def jobs(self) -> Jobs:
        if self._jobs is None:
            from autogpt_ls.lsp.jobs import Jobs

            self._jobs = Jobs(self.runtime)
        return self._jobs

    @property
    def started(self) -> bool:
        """Whether any agent work began (so there may be tasks to pause)."""
        return self._jobs is not None

    def authorized(self) -> bool:
        """With LSP_SERVER_TOKEN set (a TCP server off loopback), only a client that sent it may drive agents."""
        token = self.settings.lsp_server_token
        if token is None:
            return True
        options = self.initialization_options
        sent = options.get("token") if isinstance(options, dict) else None
        return bool(sent) and hmac.compare_digest(str(sent), token.get_secret_value())

    def _option(self, name: str) -> bool:
        """A capability the client declared in initializationOptions."""
        options = self.initialization_options
        return isinstance(options, dict) and options.get(name) is True

    @property
    def agent_notifications(self) -> bool:
        """Whether the client handles agent/* (it says so); every other client is asked with standard LSP."""
        return self._option("agentNotifications")

    def supports_show_document(self) -> bool:
        window = self.client_capabilities.window if self.client_capabilities else None
        return bool(window and window.show_document and window.show_document.support)

    async def decide(self, task_id: str, step_id: str, decision: Decision) -> Step:
        """Hand `decision` on the pending `step_id` to its job (a stale step id is refused there); an approved
        command shows its progress while it runs."""
        from autogpt_ls.models import DecisionKind

        step = await self.jobs.pending(task_id, step_id)
        tool = self.runtime.wiring.tools.get(step.proposal.tool_call.name) if step.proposal else None
        if decision.kind == DecisionKind.APPROVE and tool is not None and tool.kind == "command":
            self.begin_progress(f"run-{step.id}", task_id, "AutoGPT is running a command")
        return await self.jobs.decide(task_id, step_id, decision)

    def _open_document(self, uri: str) -> TextDocument | None:
        """The editor's buffer for `uri`, only if the editor opened it (pygls keys them unquoted)."""
        doc: TextDocument | None = self.workspace.text_documents.get(unquote(uri))
        return doc

    def buffer_text(self, path: Path) -> str | None:
        doc = self._open_document(previews.uri_of(path))
        return doc.source if doc is not None else None

    def version_of(self, uri: str) -> int | None:
        doc = self._open_document(uri)
        return doc.version if doc is not None else None

    def send(self, payload: Notification) -> None:
        self.protocol.notify(payload.method, payload.wire())

    def background(self, work: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        """Run `work` soon; keep a reference so it is not garbage-collected half way."""
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    # -- work-done progress, cancellable from the editor
    def _supports_progress(self) -> bool:
        window = self.client_capabilities.window if self.client_capabilities else None
        return bool(window and window.work_done_progress)

    def begin_progress(self, token: str, task_id: str, title: str) -> None:
        if not self._supports_progress() or token in self._progress:
            return

        async def begin() -> None:
            await self.work_done_progress.create_async(token)

            def on_done(fut: Any) -> None:
                if fut.cancelled():  # the user pressed Cancel on the progress notification
                    self._cancel_from_progress(task_id)

            self.work_done_progress.tokens[token].add_done_callback(on_done)
            self.work_done_progress.begin(token, types.WorkDoneProgressBegin(title=title, cancellable=True))

        self._progress[token] = (task_id, self.background(begin()))

    def _cancel_from_progress(self, task_id: str) -> None:
        from autogpt_ls.agent.errors import CoreError

        async def cancel() -> None:
            log.info("task %s cancelled from the editor's progress", task_id)
            with contextlib.suppress(CoreError):  # it may have ended meanwhile
                await self.jobs.cancel(task_id, "cancelled from the editor")

        self.background(cancel())

    def end_task_progress(self, task_id: str) -> None:
        """A task that ended (even on an LLM error, with no proposal) leaves no progress spinning."""
        for token in [t for t, (owner, _) in self._progress.items() if owner == task_id]:
            self.end_progress(token)

    def report_progress(self, token: str, message: str) -> None:
        entry = self._progress.get(token)
        if entry is None:
            return
        begun = entry[1]

        async def report() -> None:
            await begun  # reports wait for the begin, in the order they were made
            self.work_done_progress.report(token, types.WorkDoneProgressReport(message=message))

        self.background(report())

    def end_progress(self, token: str, message: str | None = None) -> None:
        entry = self._progress.pop(token, None)
        if entry is None:
            return
        begun = entry[1]

        async def end() -> None:
            await begun
            self.work_done_progress.end(token, types.WorkDoneProgressEnd(message=message))
            self.work_done_progress.tokens.pop(token, None)

        self.background(end())
