"""An exec's attached socket, read and written the same way on the local engine's unix socket and on a remote
engine's TLS one.

The docker SDK's reader (docker.utils.socket.frames_iter) polls the file descriptor before every read. Over TLS
that waits for nothing: a TLS record is decrypted whole, the SDK asks for 8 bytes of a frame's header, and the rest
stays inside the SSL layer, where no poll of the descriptor sees it; a shell's reply then hangs until its next
output. Here the reads block in the socket itself (through a buffered reader), and an SSL socket's recv returns
what its layer already holds before it waits on the descriptor.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
from collections.abc import Iterator
from typing import Any

HEADER = struct.Struct(">BxxxL")  # a non-tty exec's frame: its stream (1 stdout, 2 stderr) and payload size
STDOUT, STDERR = 1, 2


class ExecSocket:
    """What `exec_start(socket=True)` returned: its frames for one reading thread; stdin from any thread."""

    def __init__(self, sock: Any) -> None:
        # Over TLS the SDK hands out the SSL socket itself; locally a SocketIO around the unix socket.
        self._raw: socket.socket = sock if isinstance(sock, socket.socket) else sock._sock
        self._keep = sock  # the SDK keeps the HTTP response alive through it (else it closes a TLS socket)
        self._reader = self._raw.makefile("rb")
        self._writing = threading.Lock()  # one line and an interrupt's report must not interleave

    def frames(self) -> Iterator[tuple[int, bytes]]:
        """(stream, payload) until the exec's stream ends or the socket is shut down."""
        while True:
            try:
                header = self._reader.read(HEADER.size)
                if len(header) < HEADER.size:
                    return
                stream, size = HEADER.unpack(header)
                payload = self._reader.read(size)
            except (OSError, ValueError):  # shut down or closed by another thread (close())
                return
            if len(payload) < size:
                return
            yield stream, payload

    def send(self, data: bytes) -> None:
        with self._writing:
            self._raw.sendall(data)

    def __enter__(self) -> ExecSocket:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Shut it down (which also wakes a thread reading it), then close it."""
        with contextlib.suppress(OSError):
            self._raw.shutdown(socket.SHUT_RDWR)
        for closing in (self._reader, self._keep, self._raw):
            with contextlib.suppress(OSError):
                closing.close()
