"""The client's byte stream cut into messages, with size and depth limits applied before any JSON parser runs.

pygls' own loop hands every body to `json.loads` with cattrs hooks: a body nested 1,000 deep raises
RecursionError there, and one of any size is read whole; neither is answered. This loop refuses both with an
answer (to the request's id when it can be read) and hands the rest, parsed, to `RpcProtocol.accept`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import threading
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any, Protocol

from pygls.io_ import StdinAsyncReader

log = logging.getLogger(__name__)

MAX_BYTES = 8 * 1024 * 1024  # one message; an editor opening a large source file stays far below
MAX_DEPTH = 100  # LSP's own structures nest about ten levels
MAX_HEADER_LINE = 4096
CHUNK = 64 * 1024
PARSE_ERROR, INVALID_REQUEST = -32700, -32600
END = object()  # the stream ended
_LENGTH = re.compile(rb"Content-Length:[ \t]*(\d+)\r?\n", re.IGNORECASE)
# a JSON string (escapes included) or a bracket: brackets inside strings do not nest anything
_TOKEN = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[][{}]', re.DOTALL)
_ID_VALUE = re.compile(rb'\s*:\s*(-?\d+|"[^"\\]*(?:\\.[^"\\]*)*")\s*[,}]', re.DOTALL)


@dataclass
class Rejected:
    """A message refused unparsed, and the id of the request it was, if that could be read."""

    code: int
    message: str
    msg_id: int | str | None


class Reader(Protocol):
    def readline(self) -> Awaitable[bytes]: ...

    def readexactly(self, n: int) -> Awaitable[bytes]: ...


class Receiver(Protocol):
    def accept(self, data: Any) -> None: ...

    def refuse(self, rejected: Rejected) -> None: ...


class StdinReader(StdinAsyncReader):
    """pygls' stdin reader with header lines capped, so a client never sending a newline cannot fill memory."""

    def readline(self) -> Awaitable[bytes]:
        line: Awaitable[bytes] = self.loop.run_in_executor(self.executor, self.stdin.readline, MAX_HEADER_LINE)
        return line


def scan(body: bytes) -> tuple[int, int | str | None]:
    """The nesting depth of `body` and its top-level `id`, found without parsing it (strings are skipped)."""
    depth = deepest = 0
    msg_id: int | str | None = None
    for token in _TOKEN.finditer(body):
        text = token.group()
        if text in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
        elif text in (b"]", b"}"):
            depth -= 1
        elif depth == 1 and text == b'"id"' and msg_id is None and (value := _ID_VALUE.match(body, token.end())):
            msg_id = json.loads(value.group(1))
    return deepest, msg_id


def decode(body: bytes) -> Any:
    """The parsed message, or why it was refused."""
    if body.count(b"[") + body.count(b"{") > MAX_DEPTH:  # only then can it nest too deep: scan it
        deepest, msg_id = scan(body)
        if deepest > MAX_DEPTH:
            return Rejected(INVALID_REQUEST, f"message nested deeper than {MAX_DEPTH} levels", msg_id)
    try:
        return json.loads(body)
    except ValueError as e:  # invalid JSON or invalid UTF-8
        return Rejected(PARSE_ERROR, f"parse error: {e}", None)


async def _read(reader: Reader, n: int) -> bytes | None:
    try:
        data = await reader.readexactly(n)
    except asyncio.IncompleteReadError:
        return None
    return data if len(data) == n else None


async def _content_length(reader: Reader) -> int | None:
    """Read one message's headers; its Content-Length, or None at the end of the stream."""
    length = None
    while True:
        try:
            line = await reader.readline()
        except ValueError:  # asyncio's StreamReader: a line past its limit, already discarded
            log.warning("ignored an over-long header line")
            continue
        if not line:
            return None
        if match := _LENGTH.fullmatch(line):
            length = int(match.group(1))
        elif length is not None and not line.strip():
            return length


async def _oversize(reader: Reader, length: int) -> Any:
    """Skip a body past the limit in chunks, keeping only enough of its start to find the request's id."""
    head = await _read(reader, min(length, CHUNK))
    if head is None:
        return END
    left = length - len(head)
    while left:
        if await _read(reader, min(left, CHUNK)) is None:
            return END
        left -= min(left, CHUNK)
    return Rejected(INVALID_REQUEST, f"message of {length} bytes is over the limit of {MAX_BYTES}", scan(head)[1])


async def _next(reader: Reader) -> Any:
    """The next message (parsed, or why it was refused), or END when the stream ends."""
    length = await _content_length(reader)
    if length is None:
        return END
    if length > MAX_BYTES:
        return await _oversize(reader, length)
    body = await _read(reader, length)
    return END if body is None else decode(body)


async def serve(reader: Reader, protocol: Receiver, stop: threading.Event) -> None:
    """Read messages until the stream ends (or the server stops) and hand each one over."""
    while not stop.is_set() and (message := await _next(reader)) is not END:
        try:
            protocol.refuse(message) if isinstance(message, Rejected) else protocol.accept(message)
        except Exception:  # our fault: log it and keep serving the client
            log.exception("failed to handle a message")
