"""A proxy in front of the local Docker engine's socket that records every API request passed through it: with
DOCKER_HOST pointing at it, a test sees which round trips to the engine our code made (the engine's events show
what changed, not what was asked)."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

REQUEST_LINE = re.compile(rb"(?:^|\n)(GET|HEAD|POST|PUT|DELETE) /v[\d.]+(/\S*) HTTP/1\.[01]\r\n")


class EngineProxy:
    """Listens on a socket of its own; each connection is piped to the engine's, and what clients sent is kept."""

    def __init__(self, engine: str) -> None:
        self.engine = engine
        self.folder = Path(tempfile.mkdtemp(prefix="engine-"))  # short: a unix socket's path has ~100 bytes
        self.path = self.folder / "docker.sock"
        self._sent: list[bytearray] = []
        self._server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._server.bind(str(self.path))
        self._server.listen(16)
        threading.Thread(target=self._accept, daemon=True).start()

    def requests(self) -> list[str]:
        """`METHOD /path?query` of each request so far, without the API version."""
        return [
            f"{m[1].decode()} {m[2].decode()}" for sent in list(self._sent) for m in REQUEST_LINE.finditer(bytes(sent))
        ]

    def _accept(self) -> None:
        with contextlib.suppress(OSError):  # closed by close()
            while True:
                client, _ = self._server.accept()
                engine = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                engine.connect(self.engine)
                sent = bytearray()
                self._sent.append(sent)
                threading.Thread(target=_pipe, args=(client, engine, sent), daemon=True).start()
                threading.Thread(target=_pipe, args=(engine, client, None, True), daemon=True).start()

    def close(self) -> None:
        self._server.close()
        shutil.rmtree(self.folder, ignore_errors=True)


def _pipe(source: socket.socket, target: socket.socket, kept: bytearray | None, last: bool = False) -> None:
    """One direction until its end; the engine's side ends last (it answers the client's last request), then
    both sockets are closed."""
    with contextlib.suppress(OSError):
        while data := source.recv(65536):
            if kept is not None:
                kept += data
            target.sendall(data)
    with contextlib.suppress(OSError):
        target.shutdown(socket.SHUT_WR)
    if last:
        source.close()
        target.close()


@contextlib.contextmanager
def engine_proxy() -> Iterator[EngineProxy]:
    """A proxy to the engine DOCKER_HOST names (unix sockets only), DOCKER_HOST set to it meanwhile."""
    before = os.environ.get("DOCKER_HOST")
    engine = (before or "unix:///var/run/docker.sock").removeprefix("unix://")
    proxy = EngineProxy(engine)
    os.environ["DOCKER_HOST"] = f"unix://{proxy.path}"
    try:
        yield proxy
    finally:
        if before is None:
            os.environ.pop("DOCKER_HOST", None)
        else:
            os.environ["DOCKER_HOST"] = before
        proxy.close()
