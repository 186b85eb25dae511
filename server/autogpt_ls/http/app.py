"""The Agent Protocol server: FastAPI on uvicorn over one Runtime, bound to loopback unless a token is set."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import signal
import socket
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager

import uvicorn
from fastapi import FastAPI

from autogpt_ls.agent.runtime import Runtime
from autogpt_ls.http import errors
from autogpt_ls.http.routes import router
from autogpt_ls.http.service import Service
from autogpt_ls.netaddr import is_loopback
from autogpt_ls.settings import ConfigError, Settings

PRELOADED = ("openai", "autogpt_ls.llm.providers.openai")
# Seconds the steps in flight get to finish once asked to stop; then they are cancelled (their tasks stay running,
# leases released, for another process to take). Under `docker stop`'s 10 s before its SIGKILL, with time left
# to remove the sandboxes.
SHUTDOWN_GRACE = 5
# Threads for the blocking calls of all tasks (asyncio.to_thread: git for the checkpoints, file tools, the Docker
# SDK; DNS look-ups of the LLM's connections). They wait on a child process or I/O, not on the CPU, so the default
# (cores + 4: six on 2 cores) made tasks queue for them: at 100 tasks a git call waited 640 ms for one on average
# (for 65 ms in it); with 64, 90 ms.
BLOCKING_THREADS = 64


def _preload() -> None:
    for name in PRELOADED:
        importlib.import_module(name)


def create_app(service: Service, token: str | None = None) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # The LLM SDK takes about half a second to import: load it in the background once we are serving,
        # so the server answers at once and the first step does not stall every other request.
        threading.Thread(target=_preload, daemon=True).start()
        asyncio.get_running_loop().set_default_executor(
            ThreadPoolExecutor(BLOCKING_THREADS, thread_name_prefix="autogpt-ls-blocking")
        )
        # The user's MCP servers (MCP_CONFIG_FILE) serve every task (each failure is logged, the rest go on); a
        # task's workspace is a folder this server made, so no workspace config of its own is read.
        await service.runtime.wiring.connect_mcp(None)
        yield
        await service.runtime.aclose()

    app = FastAPI(
        title="autogpt-ls Agent Protocol",
        version="v1",
        openapi_url="/ap/v1/openapi.json",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.service = service
    app.state.token = token
    errors.install(app)
    app.include_router(router)
    return app


def listen(host: str, port: int) -> socket.socket:
    """Bind before serving, so that `--port 0` can announce the port it got and clients may connect at once."""
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(address)
    sock.listen(2048)
    return sock


class _Server(uvicorn.Server):
    """uvicorn's server, stopped gracefully by SIGTERM or SIGINT and then returning: those are how a service
    manager (systemd, Docker, Kubernetes) or a user asks a server to stop, so the process exits 0, not killed by
    the signal afterwards as uvicorn does (a second SIGINT still forces the exit)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        original = {sig: signal.signal(sig, self.handle_exit) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for sig, handler in original.items():
                signal.signal(sig, handler)


def serve(settings: Settings, host: str, port: int, announce: Callable[[str], None]) -> None:
    """Serve until SIGINT/SIGTERM, then stop gracefully: no new connections, the steps in flight finish (or are
    cancelled after SHUTDOWN_GRACE), sandboxes removed and the store closed. Binding anything but loopback needs
    AP_SERVER_TOKEN."""
    token = settings.ap_server_token.get_secret_value() if settings.ap_server_token else None
    if not token and not is_loopback(host):
        raise ConfigError(
            f"binding {host} exposes an agent that can write files and run commands to the network; "
            "set AP_SERVER_TOKEN to a long random secret (clients send 'Authorization: Bearer <token>'), "
            "or bind 127.0.0.1"
        )
    sock = listen(host, port)
    app = create_app(Service(Runtime(settings)), token)
    config = uvicorn.Config(
        app, log_config=None, access_log=False, server_header=False, timeout_graceful_shutdown=SHUTDOWN_GRACE
    )
    server = _Server(config)
    bound = sock.getsockname()[1]
    announce(f"http://{f'[{host}]' if ':' in host else host}:{bound}/ap/v1")
    server.run(sockets=[sock])
