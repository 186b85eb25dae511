"""An exec's attached socket, read and written the same way on the local engine's unix socket and on a remote
engine's TLS one.

The docker SDK's reader (docker.utils.socket.frames_iter) polls the file descriptor before every read. Over TLS
that waits for nothing: a TLS record is decrypted whole, the SDK asks for 8 bytes of a frame's header, and the rest
stays inside the SSL layer, where no poll of the descriptor sees it; a shell's reply then hangs until its next
output. And one thread reads while another writes (an interrupted line's report, a close), which one OpenSSL
connection does not allow at the same time. So the socket is non-blocking: every read and write is tried first,
under one lock (a read gets what the SSL layer already holds), and only when it would block does the thread wait
on the descriptor, outside the lock.
"""

from __future__ import annotations

import contextlib
import functools
import select
import socket
import ssl
import struct
import threading
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

HEADER = struct.Struct(">BxxxL")  # a non-tty exec's frame: its stream (1 stdout, 2 stderr) and payload size
STDOUT, STDERR = 1, 2
T = TypeVar("T")


class ExecSocket:
    """What `exec_start(socket=True)` returned: its frames for one reading thread; stdin from any thread."""

    def __init__(self, sock: Any) -> None:
        # Over TLS the SDK hands out the SSL socket itself; locally a SocketIO around the unix socket.
        self._raw: socket.socket = sock if isinstance(sock, socket.socket) else sock._sock
        self._keep = sock  # the SDK keeps the HTTP response alive through it (else it closes a TLS socket)
        self._raw.setblocking(False)
        self._lock = threading.Lock()  # one call at a time into the connection (OpenSSL's rule)
        self._buffer = bytearray()

    def _io(self, call: Callable[[], T], blocked: int) -> T:
        """`call` under the lock, again after waiting outside it for as long as it would block (`blocked`: on
        what, unless the SSL layer says it needs the other way first)."""
        while True:
            with self._lock:
                try:
                    return call()
                except ssl.SSLWantReadError:
                    events = select.POLLIN
                except ssl.SSLWantWriteError:
                    events = select.POLLOUT
                except BlockingIOError:
                    events = blocked
            poll = select.poll()  # not select(): a busy server's descriptors pass 1024
            poll.register(self._raw, events)
            poll.poll()

    def _exactly(self, size: int) -> bytes | None:
        while len(self._buffer) < size:
            chunk = self._io(functools.partial(self._raw.recv, 1 << 16), select.POLLIN)
            if not chunk:
                return None
            self._buffer += chunk
        data = bytes(self._buffer[:size])
        del self._buffer[:size]
        return data

    def frames(self) -> Iterator[tuple[int, bytes]]:
        """(stream, payload) until the exec's stream ends or the socket is shut down."""
        while True:
            try:
                header = self._exactly(HEADER.size)
                if header is None:
                    return
                stream, size = HEADER.unpack(header)
                payload = self._exactly(size)
            except (OSError, ValueError):  # shut down or closed by another thread (close())
                return
            if payload is None:
                return
            yield stream, payload

    def send(self, data: bytes) -> None:
        view = memoryview(data)
        while view:  # an SSL write that would block is retried with the same bytes, as OpenSSL requires
            view = view[self._io(functools.partial(self._raw.send, view), select.POLLOUT) :]

    def __enter__(self) -> ExecSocket:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Shut it down (which also wakes a thread waiting to read it), then close it."""
        with self._lock, contextlib.suppress(OSError):
            self._raw.shutdown(socket.SHUT_RDWR)
        for closing in (self._keep, self._raw):
            with contextlib.suppress(OSError):
                closing.close()
